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
    use rusqlite::TransactionBehavior;
    use std::path::PathBuf;
    use std::sync::{Arc, Barrier, mpsc};
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
        assert_eq!(add_points(&conn, 1, 10).unwrap(), 10);
        assert_eq!(add_points(&conn, 1, 5).unwrap(), 15);
        assert_eq!(points(&conn, 1), 15);
        assert_eq!(points(&conn, 2), 0, "user 2 is untouched");
    }

    #[test]
    fn two_simultaneous_requests_both_count() {
        let db = TempDb::new("simultaneous");
        // Two request handlers, each with its own connection. Their busy handler reports
        // when they have to wait for the database's write lock.
        let (waiting, waits) = mpsc::channel();
        let mut connections = Vec::new();
        for _ in 0..2 {
            let mut conn = open(&db.0).unwrap();
            let waiting = waiting.clone();
            let handler = move |attempt: i32| {
                if attempt == 0 {
                    let _ = waiting.send(());
                }
                thread::sleep(Duration::from_millis(1));
                attempt < 5000
            };
            conn.busy_handler(Some(handler)).unwrap();
            connections.push(conn);
        }

        // A third connection takes the write lock, so both requests run up to the point
        // where they must write, and wait there. Then the lock is released.
        let mut holder = open(&db.0).unwrap();
        let lock = holder
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .unwrap();
        let workers: Vec<_> = connections
            .into_iter()
            .map(|conn| thread::spawn(move || add_points(&conn, 1, 1)))
            .collect();
        let deadline = std::time::Instant::now() + Duration::from_secs(2);
        for _ in 0..2 {
            let _ =
                waits.recv_timeout(deadline.saturating_duration_since(std::time::Instant::now()));
        }
        lock.rollback().unwrap();

        for worker in workers {
            worker.join().unwrap().expect("add_points failed");
        }
        let conn = open(&db.0).unwrap();
        assert_eq!(points(&conn, 1), 2, "two requests added 1 point each");
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
                        add_points(&conn, 1, 1).unwrap();
                    }
                })
            })
            .collect();
        for worker in workers {
            worker.join().unwrap();
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
