// wrong fix: wraps the read and the write in a default (DEFERRED) transaction; it reads without the write lock, so when another connection commits first its write fails with SQLITE_BUSY (or, without WAL, both wait on each other)
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
    let tx = conn.unchecked_transaction()?;
    let current: i64 = tx.query_row(
        "SELECT points FROM loyalty WHERE user_id = ?1",
        [user_id],
        |row| row.get(0),
    )?;
    let new_balance = current + points;
    tx.execute(
        "UPDATE loyalty SET points = ?1 WHERE user_id = ?2",
        (new_balance, user_id),
    )?;
    tx.commit()?;
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

