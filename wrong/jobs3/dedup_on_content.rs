// wrong fix: deduplicates on the message's content (account and amount) instead of its id: a second, genuine payment of the same amount to the same account is dropped
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
    let tx = conn.unchecked_transaction()?;
    let fingerprint = format!("{}:{}", msg.account, msg.amount_cents);
    let first_time = tx.execute(
        "INSERT OR IGNORE INTO processed_messages (message_id) VALUES (?1)",
        [&fingerprint],
    )? == 1;
    if !first_time {
        return Ok(false);
    }
    tx.execute(
        "UPDATE accounts SET balance = balance + ?1 WHERE id = ?2",
        (msg.amount_cents, &msg.account),
    )?;
    tx.commit()?;
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
