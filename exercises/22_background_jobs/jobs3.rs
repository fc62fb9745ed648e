// jobs3: an idempotent consumer: a message delivered twice is applied once.
//
// The broker delivers at least once: after a timeout, a crash or a lease that ran out it
// delivers a message again, possibly to another consumer process, and the message may
// already have been applied. `handle` credits an account for each `payment_received`
// message, so a redelivery credits it twice. Record each message's id in
// `processed_messages` in the same database transaction as the credit, and skip a
// message whose id is already there: the record and the effect commit together or not at all.

use std::path::Path;
use std::time::Duration;

use rusqlite::Connection;

/// Opens the database file with the settings every connection of the app uses.
fn open(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    Ok(conn)
}

fn create_schema(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS accounts (
             id      TEXT PRIMARY KEY,
             balance INTEGER NOT NULL -- cents
         );
         CREATE TABLE IF NOT EXISTS processed_messages (
             message_id TEXT PRIMARY KEY
         );
         INSERT OR IGNORE INTO accounts (id, balance) VALUES ('acct_1', 0), ('acct_2', 0);",
    )
}

/// A `payment_received` message from the broker.
struct PaymentReceived {
    /// Unique per message, the same on every redelivery of it.
    message_id: String,
    account: String,
    amount_cents: i64,
}

/// Applies a message; `Ok(true)` if it was applied now, `Ok(false)` if it had already been.
fn handle(conn: &Connection, msg: &PaymentReceived) -> rusqlite::Result<bool> {
    // TODO: a redelivered message is credited again.
    conn.execute(
        "UPDATE accounts SET balance = balance + ?1 WHERE id = ?2",
        (msg.amount_cents, &msg.account),
    )?;
    Ok(true)
}

fn main() -> rusqlite::Result<()> {
    let path = std::env::temp_dir().join(format!("backlings-jobs3-main-{}.db", std::process::id()));
    let conn = open(&path)?;
    create_schema(&conn)?;
    let msg = PaymentReceived {
        message_id: "msg-1".to_string(),
        account: "acct_1".to_string(),
        amount_cents: 2_500,
    };
    for delivery in 1..=2 {
        let applied = handle(&conn, &msg)?;
        println!("{} delivery {delivery}: applied {applied}", msg.message_id);
    }
    drop(conn);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    Ok(())
}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::ffi;
    use std::ffi::{CStr, c_char, c_int, c_uint, c_void};
    use std::path::PathBuf;

    /// A database file of its own for one test, deleted afterwards (even on failure).
    struct TempDb(PathBuf);

    impl TempDb {
        fn new(test: &str) -> TempDb {
            let name = format!("backlings-jobs3-{test}-{}.db", std::process::id());
            let db = TempDb(std::env::temp_dir().join(name));
            db.remove_files();
            let conn = open(&db.0).unwrap();
            create_schema(&conn).unwrap();
            db
        }

        fn remove_files(&self) {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", self.0.display()));
            }
        }
    }

    impl Drop for TempDb {
        fn drop(&mut self) {
            self.remove_files();
        }
    }

    /// Runs `f` while `on_sql` is called with the text of every statement `conn` starts,
    /// at its very beginning, before it reads or locks anything (SQLite's
    /// `sqlite3_trace_v2` hook through the C API: rusqlite's `trace` feature is off).
    fn watch_sql<R, F: FnMut(&str)>(conn: &Connection, mut on_sql: F, f: impl FnOnce() -> R) -> R {
        unsafe extern "C" fn hook<F: FnMut(&str)>(
            event: c_uint,
            ctx: *mut c_void,
            _stmt: *mut c_void,
            sql: *mut c_void,
        ) -> c_int {
            if event == ffi::SQLITE_TRACE_STMT as c_uint {
                // SAFETY: for SQLITE_TRACE_STMT, `sql` is a NUL-terminated string, and `ctx`
                // is the `F` registered below, alive until the hook is removed.
                let sql = unsafe { CStr::from_ptr(sql.cast::<c_char>()) }.to_string_lossy();
                unsafe { (*ctx.cast::<F>())(&sql) };
            }
            0
        }
        struct Unhook(*mut ffi::sqlite3);
        impl Drop for Unhook {
            fn drop(&mut self) {
                // SAFETY: removes the hook before `on_sql` goes out of scope.
                unsafe { ffi::sqlite3_trace_v2(self.0, 0, None, std::ptr::null_mut()) };
            }
        }
        // SAFETY: the handle stays valid while `conn` is borrowed; `on_sql` outlives the hook.
        let db = unsafe { conn.handle() };
        let ctx: *mut F = &mut on_sql;
        unsafe {
            ffi::sqlite3_trace_v2(
                db,
                ffi::SQLITE_TRACE_STMT as c_uint,
                Some(hook::<F>),
                ctx.cast(),
            )
        };
        let _unhook = Unhook(db);
        f()
    }

    fn payment(message_id: &str, account: &str, amount_cents: i64) -> PaymentReceived {
        PaymentReceived {
            message_id: message_id.to_string(),
            account: account.to_string(),
            amount_cents,
        }
    }

    fn balance(conn: &Connection, account: &str) -> i64 {
        conn.query_row(
            "SELECT balance FROM accounts WHERE id = ?1",
            [account],
            |r| r.get(0),
        )
        .unwrap()
    }

    /// Makes every statement that writes to `table` fail, as a crash there would.
    fn crash_on_writes_to(conn: &Connection, table: &str) {
        conn.execute_batch(&format!(
            "CREATE TEMP TRIGGER crash_insert_{table} BEFORE INSERT ON {table}
             BEGIN SELECT RAISE(ABORT, 'simulated crash'); END;
             CREATE TEMP TRIGGER crash_update_{table} BEFORE UPDATE ON {table}
             BEGIN SELECT RAISE(ABORT, 'simulated crash'); END;"
        ))
        .unwrap();
    }

    fn recover(conn: &Connection, table: &str) {
        conn.execute_batch(&format!(
            "DROP TRIGGER temp.crash_insert_{table}; DROP TRIGGER temp.crash_update_{table};"
        ))
        .unwrap();
    }

    #[test]
    fn a_redelivered_message_is_applied_once() {
        let db = TempDb::new("redelivery");
        let conn = open(&db.0).unwrap();
        let msg = payment("msg-1", "acct_1", 2_500);
        assert!(
            handle(&conn, &msg).unwrap(),
            "the first delivery is applied"
        );
        for delivery in 2..=3 {
            assert!(
                !handle(&conn, &msg).unwrap(),
                "delivery {delivery} of msg-1 must be recognised as already applied"
            );
        }
        assert_eq!(
            balance(&conn, "acct_1"),
            2_500,
            "msg-1 (25.00) was delivered 3 times: the account must be credited once"
        );
    }

    #[test]
    fn different_messages_with_the_same_content_are_all_applied() {
        let db = TempDb::new("same-content");
        let conn = open(&db.0).unwrap();
        for id in ["msg-1", "msg-2"] {
            assert!(
                handle(&conn, &payment(id, "acct_2", 1_000)).unwrap(),
                "{id} is a new message and must be applied"
            );
        }
        assert_eq!(
            balance(&conn, "acct_2"),
            2_000,
            "two payments of 10.00 (two message ids, the same content) are two credits: \
             a message is identified by its id, not by what it says"
        );
    }

    #[test]
    fn a_message_whose_credit_failed_is_applied_on_redelivery() {
        let db = TempDb::new("credit-fails");
        let conn = open(&db.0).unwrap();
        let msg = payment("msg-1", "acct_1", 2_500);
        crash_on_writes_to(&conn, "accounts");
        assert!(
            handle(&conn, &msg).is_err(),
            "the credit failed, so handle must report an error (the broker redelivers)"
        );
        recover(&conn, "accounts");
        let applied = handle(&conn, &msg).unwrap();
        assert!(
            applied && balance(&conn, "acct_1") == 2_500,
            "msg-1 was recorded as processed although its credit failed, so its \
             redelivery was skipped and the payment is lost: record the message in the \
             same transaction as the credit"
        );
    }

    #[test]
    fn a_message_whose_record_failed_is_not_credited_twice() {
        let db = TempDb::new("record-fails");
        let conn = open(&db.0).unwrap();
        let msg = payment("msg-1", "acct_1", 2_500);
        crash_on_writes_to(&conn, "processed_messages");
        assert!(
            handle(&conn, &msg).is_err(),
            "recording the message failed, so handle must report an error"
        );
        recover(&conn, "processed_messages");
        handle(&conn, &msg).unwrap();
        assert_eq!(
            balance(&conn, "acct_1"),
            2_500,
            "the credit of msg-1 committed, then recording it failed, and the redelivery \
             credited it again: the record and the credit must commit together"
        );
    }

    #[test]
    fn another_consumer_handling_the_same_message_meanwhile_does_not_double_it() {
        // The same message was redelivered to another consumer process (its lease ran
        // out), which handles it at the start of the k-th statement `handle` runs here,
        // for every k in turn (once per fresh database). It gives up at once if the
        // database is locked.
        let undisturbed = {
            let msg = payment("msg-undisturbed", "acct_1", 2_500);
            let db = TempDb::new("undisturbed");
            let conn = open(&db.0).unwrap();
            let mut count = 0;
            let _ = watch_sql(&conn, |_| count += 1, || handle(&conn, &msg));
            count
        };
        let mut most_statements = undisturbed;
        let mut k = 0;
        while k < most_statements {
            k += 1;
            let db = TempDb::new(&format!("interleaved-{k}"));
            let conn = open(&db.0).unwrap();
            let msg = payment(&format!("msg-race-{k}"), "acct_1", 2_500);
            let other = open(&db.0).unwrap();
            other.busy_timeout(Duration::ZERO).unwrap();
            let mut statements = Vec::new();
            let result = watch_sql(
                &conn,
                |sql| {
                    statements.push(sql.to_string());
                    if statements.len() == k {
                        let _ = other.execute_batch(&format!(
                            "BEGIN IMMEDIATE;
                             INSERT INTO processed_messages (message_id) VALUES ('{}');
                             UPDATE accounts SET balance = balance + 2500 WHERE id = 'acct_1';
                             COMMIT;",
                            msg.message_id
                        ));
                        let _ = other.execute_batch("ROLLBACK;");
                    }
                },
                || handle(&conn, &msg),
            );
            if let Err(err) = result {
                panic!(
                    "handle failed with `{err}` while another consumer handled the same \
                     message (at the start of statement {k}: {:?}). Take the write lock \
                     before checking (an Immediate transaction), and treat a message that \
                     is already recorded as a duplicate (Ok(false)), not as an error",
                    statements[k - 1]
                );
            }
            let credited = balance(&conn, "acct_1");
            assert_eq!(
                credited,
                2_500,
                "{} was credited {} times: another consumer applied it at the start of \
                 statement {k} ({:?}), after this one had checked it was new. Check, \
                 record and credit in one transaction that holds the write lock",
                msg.message_id,
                credited / 2_500,
                statements[k - 1]
            );
            most_statements = most_statements.max(statements.len());
        }
    }
}
