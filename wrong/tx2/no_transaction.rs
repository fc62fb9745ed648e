// wrong fix: drops the transaction so every statement autocommits; a failure halfway keeps the event id, and the provider's retry is then ignored as a duplicate
// tx2: a rusqlite `Transaction` that is dropped without `commit()` is rolled back.
//
// The payment provider calls our webhook once per payment, and again if it didn't hear
// back in time. `record_payment` does the right things inside a transaction: remember the
// event id (so a retry is ignored), mark the order as paid, write a ledger line. It even
// returns `Ok(Recorded)`. But when `tx` goes out of scope without `commit()`, rusqlite
// rolls it back, silently. Commit before reporting success.

use rusqlite::Connection;

#[derive(Debug, PartialEq)]
enum Outcome {
    Recorded,
    /// The provider re-sent an event we had already processed.
    Duplicate,
}

const SCHEMA: &str = "
    CREATE TABLE orders (
        id          INTEGER PRIMARY KEY,
        total_cents INTEGER NOT NULL,
        paid_cents  INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE processed_events (event_id TEXT PRIMARY KEY);
    CREATE TABLE ledger (
        id           INTEGER PRIMARY KEY,
        order_id     INTEGER NOT NULL REFERENCES orders(id),
        amount_cents INTEGER NOT NULL
    );
    INSERT INTO orders (id, total_cents) VALUES (7, 4200);
";

fn open_db() -> rusqlite::Result<Connection> {
    let conn = Connection::open_in_memory()?;
    conn.execute_batch(SCHEMA)?;
    Ok(conn)
}

/// Handles the provider's "payment succeeded" event.
fn record_payment(
    conn: &mut Connection,
    event_id: &str,
    order_id: i64,
    amount_cents: i64,
) -> rusqlite::Result<Outcome> {
    // No transaction: each statement is saved as soon as it runs.
    let tx = &*conn;
    let new_event = tx.execute(
        "INSERT OR IGNORE INTO processed_events (event_id) VALUES (?1)",
        [event_id],
    )?;
    if new_event == 0 {
        // Nothing was written: letting the transaction roll back is fine here.
        return Ok(Outcome::Duplicate);
    }
    tx.execute(
        "UPDATE orders SET paid_cents = paid_cents + ?1 WHERE id = ?2",
        (amount_cents, order_id),
    )?;
    tx.execute(
        "INSERT INTO ledger (order_id, amount_cents) VALUES (?1, ?2)",
        (order_id, amount_cents),
    )?;

    Ok(Outcome::Recorded)
}

fn paid_cents(conn: &Connection, order_id: i64) -> rusqlite::Result<i64> {
    conn.query_row(
        "SELECT paid_cents FROM orders WHERE id = ?1",
        [order_id],
        |row| row.get(0),
    )
}

fn main() -> rusqlite::Result<()> {
    let mut conn = open_db()?;
    let outcome = record_payment(&mut conn, "evt_1", 7, 4200)?;
    println!("{outcome:?}; order 7 paid: {} cents", paid_cents(&conn, 7)?);
    Ok(())
}

