// tx3: read-modify-write loses updates when two requests run at the same time.
//
// `add_points` reads the balance, adds in Rust and writes the sum back. Two requests for
// the same user can both read 40, both compute 41 and both write 41: one update is lost
// and no error is reported anywhere. Let the database do the arithmetic in one atomic
// statement (`SET points = points + ?1`; `RETURNING points` hands back the new value), or
// hold the write lock from the read to the write with `TransactionBehavior::Immediate`.

use std::path::Path;
use std::time::Duration;

use rusqlite::Connection;

/// Opens the database file with the settings every connection of the app uses.
fn open(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    // Wait for another connection's write lock instead of failing with SQLITE_BUSY.
    conn.busy_timeout(Duration::from_secs(5))?;
    // Readers don't block the writer; fsync at checkpoints rather than on every commit.
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    Ok(conn)
}

fn create_schema(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS loyalty (
             user_id INTEGER PRIMARY KEY,
             points  INTEGER NOT NULL
         );
         INSERT OR IGNORE INTO loyalty (user_id, points) VALUES (1, 0), (2, 0);",
    )
}

/// Adds `points` to the user's balance and returns the new balance.
fn add_points(conn: &Connection, user_id: i64, points: i64) -> rusqlite::Result<i64> {
    // TODO: another connection can write between this read and the write below.
    let current: i64 = conn.query_row(
        "SELECT points FROM loyalty WHERE user_id = ?1",
        [user_id],
        |row| row.get(0),
    )?;
    let new_balance = current + points;
    conn.execute(
        "UPDATE loyalty SET points = ?1 WHERE user_id = ?2",
        (new_balance, user_id),
    )?;
    Ok(new_balance)
}

fn main() -> rusqlite::Result<()> {
    let path = std::env::temp_dir().join(format!("backlings-tx3-main-{}.db", std::process::id()));
    let conn = open(&path)?;
    create_schema(&conn)?;
    add_points(&conn, 1, 10)?;
    println!("user 1 now has {} points", add_points(&conn, 1, 5)?);
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
        fn new(test: &str) -> TempDb {
            let name = format!("backlings-tx3-{test}-{}.db", std::process::id());
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
    /// at its very beginning, before it reads or locks anything. (rusqlite's safe
    /// `trace_v2` needs its `trace` feature, which this course leaves off; this installs
    /// the same SQLite hook through the C API.)
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

    fn points(conn: &Connection, user_id: i64) -> i64 {
        conn.query_row(
            "SELECT points FROM loyalty WHERE user_id = ?1",
            [user_id],
            |r| r.get(0),
        )
        .unwrap()
    }

    #[test]
    fn returns_the_new_balance() {
        let db = TempDb::new("balance");
        let conn = open(&db.0).unwrap();
        assert_eq!(add_points(&conn, 1, 10).unwrap(), 10, "0 + 10 points");
        assert_eq!(add_points(&conn, 1, 5).unwrap(), 15, "10 + 5 points");
        assert_eq!(
            points(&conn, 1),
            15,
            "the stored balance is what was returned"
        );
        assert_eq!(points(&conn, 2), 0, "user 2 is untouched");
    }

    #[test]
    fn a_write_from_another_process_is_not_lost() {
        let db = TempDb::new("interleaved");
        let conn = open(&db.0).unwrap();
        // Another server process, with its own connection to the same file. It tries to
        // add 100 points at the start of every statement `add_points` runs, and gives up
        // at once if the database is locked (a lock in this process can't stop it).
        let other = open(&db.0).unwrap();
        other.busy_timeout(Duration::ZERO).unwrap();
        let mut statements = Vec::new();
        let mut added_by_other = 0;
        let result = watch_sql(
            &conn,
            |sql| {
                statements.push(sql.to_string());
                let write = "UPDATE loyalty SET points = points + 100 WHERE user_id = 1";
                if other.execute(write, []).is_ok() {
                    added_by_other += 100;
                }
            },
            || add_points(&conn, 1, 1),
        );
        let returned = result.unwrap_or_else(|err| {
            panic!(
                "add_points failed while another connection was writing: {err}. A \
                 transaction that reads, then writes, can't upgrade its lock once another \
                 connection has committed (SQLITE_BUSY): take the write lock at BEGIN \
                 (Immediate) or do it all in one UPDATE"
            )
        });
        assert!(
            !statements.is_empty(),
            "add_points ran no statement on the connection it was given"
        );
        let stored = points(&conn, 1);
        assert_eq!(
            stored,
            added_by_other + 1,
            "another process added {added_by_other} points while add_points added 1, yet \
             the balance is {stored}: an update was lost between the read and the write, \
             where a lock inside this process can't stop another one (statements run: \
             {statements:?})"
        );
        assert_eq!(
            returned, stored,
            "add_points must return the balance it stored"
        );
    }

    #[test]
    fn many_concurrent_increments_add_up() {
        const THREADS: usize = 2;
        const PER_THREAD: usize = 100;
        let db = TempDb::new("many");
        let start = Arc::new(Barrier::new(THREADS));
        let workers: Vec<_> = (0..THREADS)
            .map(|_| {
                let conn = open(&db.0).unwrap();
                let start = Arc::clone(&start);
                thread::spawn(move || {
                    start.wait();
                    for _ in 0..PER_THREAD {
                        add_points(&conn, 1, 1).expect(
                            "add_points failed while another connection was adding points too",
                        );
                    }
                })
            })
            .collect();
        for worker in workers {
            worker
                .join()
                .expect("a request handler panicked: see its message above");
        }
        let expected = (THREADS * PER_THREAD) as i64;
        let got = points(&open(&db.0).unwrap(), 1);
        assert_eq!(
            got,
            expected,
            "{} of {expected} increments were lost",
            expected - got
        );
    }
}
