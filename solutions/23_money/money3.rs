// money3: concurrent withdrawals must not overdraw an account.
//
// `withdraw` reads the balance, checks that it covers the amount, then writes the new
// balance. Two requests, handled by two server processes, can both read 100, both see that
// 70 fits, and both withdraw: 140 leaves an account that held 100. Make the check and the
// write one atomic step: a conditional `UPDATE … WHERE balance >= ?` that tells you whether
// it changed a row, or a transaction that takes the write lock before it reads
// (`TransactionBehavior::Immediate`). A `Mutex` can't stop another process.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension};

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
             id      INTEGER PRIMARY KEY,
             balance INTEGER NOT NULL -- in cents
         );",
    )
}

#[derive(Debug)]
enum WithdrawError {
    /// The balance doesn't cover the amount: nothing was withdrawn.
    InsufficientFunds,
    Db(rusqlite::Error),
}

impl std::fmt::Display for WithdrawError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WithdrawError::InsufficientFunds => f.write_str("insufficient funds"),
            WithdrawError::Db(err) => write!(f, "database error: {err}"),
        }
    }
}

impl From<rusqlite::Error> for WithdrawError {
    fn from(err: rusqlite::Error) -> Self {
        WithdrawError::Db(err)
    }
}

/// Withdraws `amount` cents (> 0) from an existing account; returns the new balance.
fn withdraw(conn: &Connection, account: i64, amount: i64) -> Result<i64, WithdrawError> {
    // One statement checks and writes: SQLite runs it under the write lock, so no other
    // connection can change the balance between the check and the update.
    let new_balance = conn
        .query_row(
            "UPDATE accounts SET balance = balance - ?1
             WHERE id = ?2 AND balance >= ?1
             RETURNING balance",
            (amount, account),
            |row| row.get(0),
        )
        .optional()?;
    new_balance.ok_or(WithdrawError::InsufficientFunds)
}

fn main() -> Result<(), WithdrawError> {
    let path =
        std::env::temp_dir().join(format!("backlings-money3-main-{}.db", std::process::id()));
    let conn = open(&path)?;
    create_schema(&conn)?;
    conn.execute(
        "INSERT OR REPLACE INTO accounts (id, balance) VALUES (1, 10000)",
        [],
    )?;
    println!(
        "balance after withdrawing 25.00: {}",
        withdraw(&conn, 1, 2500)?
    );
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
    use std::sync::{Arc, Barrier};
    use std::thread;

    /// A database file of its own for one test, deleted afterwards (even on failure).
    struct TempDb(PathBuf);

    impl TempDb {
        fn new(test: &str, balance: i64) -> TempDb {
            let name = format!("backlings-money3-{test}-{}.db", std::process::id());
            let db = TempDb(std::env::temp_dir().join(name));
            db.remove_files();
            let conn = open(&db.0).unwrap();
            create_schema(&conn).unwrap();
            conn.execute(
                "INSERT INTO accounts (id, balance) VALUES (1, ?1), (2, 5000)",
                [balance],
            )
            .unwrap();
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

    fn balance(conn: &Connection, account: i64) -> i64 {
        conn.query_row(
            "SELECT balance FROM accounts WHERE id = ?1",
            [account],
            |r| r.get(0),
        )
        .unwrap()
    }

    #[test]
    fn withdraws_what_the_balance_covers_and_refuses_the_rest() {
        let db = TempDb::new("basic", 10000);
        let conn = open(&db.0).unwrap();
        match withdraw(&conn, 1, 3000) {
            Ok(new_balance) => assert_eq!(new_balance, 7000, "100.00 - 30.00 leaves 70.00"),
            Err(err) => panic!("withdrawing 30.00 from 100.00 must succeed, got {err:?}"),
        }
        match withdraw(&conn, 1, 8000) {
            Err(WithdrawError::InsufficientFunds) => {}
            other => panic!(
                "withdrawing 80.00 from 70.00 must fail with InsufficientFunds, got {other:?}"
            ),
        }
        assert_eq!(
            balance(&conn, 1),
            7000,
            "a refused withdrawal must leave the balance as it was"
        );
        match withdraw(&conn, 1, 7000) {
            Ok(new_balance) => assert_eq!(new_balance, 0, "70.00 - 70.00 leaves 0.00"),
            Err(err) => panic!("withdrawing the whole balance must succeed, got {err:?}"),
        }
        assert_eq!(
            balance(&conn, 1),
            0,
            "the stored balance is the one returned"
        );
        assert_eq!(balance(&conn, 2), 5000, "another account is untouched");
    }

    #[test]
    fn a_withdrawal_from_another_process_in_between_cannot_overdraw() {
        // Another server process, with its own connection to the same file, withdraws 70.00
        // at the start of the k-th statement `withdraw` runs, for every k in turn (once per
        // fresh database). It gives up at once if the database is locked.
        let undisturbed = {
            let db = TempDb::new("undisturbed", 10000);
            let conn = open(&db.0).unwrap();
            let mut count = 0;
            let _ = watch_sql(&conn, |_| count += 1, || withdraw(&conn, 1, 7000));
            count
        };
        let mut most_statements = undisturbed;
        let mut k = 0;
        while k < most_statements {
            k += 1;
            let db = TempDb::new(&format!("interleaved-{k}"), 10000);
            let conn = open(&db.0).unwrap();
            let other = open(&db.0).unwrap();
            other.busy_timeout(Duration::ZERO).unwrap();
            let mut statements = Vec::new();
            let mut other_withdrew = 0;
            let result = watch_sql(
                &conn,
                |sql| {
                    statements.push(sql.to_string());
                    if statements.len() == k {
                        let sql = "UPDATE accounts SET balance = balance - 7000 \
                                   WHERE id = 1 AND balance >= 7000";
                        if matches!(other.execute(sql, []), Ok(1)) {
                            other_withdrew = 7000;
                        }
                    }
                },
                || withdraw(&conn, 1, 7000),
            );
            assert!(
                !statements.is_empty(),
                "withdraw ran no statement on the connection it was given"
            );
            let we_withdrew = match result {
                Ok(_) => 7000,
                Err(WithdrawError::InsufficientFunds) => 0,
                Err(WithdrawError::Db(err)) => panic!(
                    "withdraw failed with `{err}` while another process withdrew from the same \
                     account (at the start of statement {k}: {:?}). A transaction that reads, \
                     then writes, can't upgrade its lock once another connection has \
                     committed: take the write lock at BEGIN (Immediate) or use one \
                     conditional UPDATE",
                    statements[k - 1]
                ),
            };
            let stored = balance(&conn, 1);
            assert!(
                we_withdrew + other_withdrew <= 10000 && stored >= 0,
                "two withdrawals of 70.00 both succeeded from a balance of 100.00 (balance now \
                 {stored}): another process withdrew at the start of statement {k} ({:?}), \
                 after this one had checked the balance. The check and the write must be one \
                 atomic step in the database; a lock inside this process can't stop another",
                statements[k - 1]
            );
            assert_eq!(
                stored,
                10000 - we_withdrew - other_withdrew,
                "the balance must be 100.00 minus what was withdrawn (statements: {statements:?})"
            );
            if let Ok(returned) = result {
                assert_eq!(
                    returned, stored,
                    "withdraw must return the balance it stored"
                );
            }
            most_statements = most_statements.max(statements.len());
        }
    }

    #[test]
    fn concurrent_withdrawals_on_separate_connections_never_overdraw() {
        const THREADS: usize = 2;
        const PER_THREAD: usize = 25;
        let db = TempDb::new("threads", 30 * 1000);
        let start = Arc::new(Barrier::new(THREADS));
        let workers: Vec<_> = (0..THREADS)
            .map(|_| {
                let conn = open(&db.0).unwrap();
                let start = Arc::clone(&start);
                thread::spawn(move || {
                    start.wait();
                    let mut succeeded = 0;
                    for _ in 0..PER_THREAD {
                        match withdraw(&conn, 1, 1000) {
                            Ok(_) => succeeded += 1,
                            Err(WithdrawError::InsufficientFunds) => {}
                            Err(WithdrawError::Db(err)) => panic!(
                                "withdraw failed with `{err}` while another connection was \
                                 withdrawing too"
                            ),
                        }
                    }
                    succeeded
                })
            })
            .collect();
        let succeeded: i64 = workers
            .into_iter()
            .map(|w| {
                w.join()
                    .expect("a request handler panicked: see its message above")
            })
            .sum();
        let stored = balance(&open(&db.0).unwrap(), 1);
        assert_eq!(
            (succeeded, stored),
            (30, 0),
            "50 withdrawals of 10.00 from 300.00 must leave exactly 30 succeeded and 0.00 \
             (got {succeeded} succeeded, balance {stored}): withdrawals overdrew or were lost"
        );
    }
}
