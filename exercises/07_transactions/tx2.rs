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
    let tx = conn.transaction()?;
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
    // TODO: what happens to `tx` here?
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

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;

    fn ledger_lines(conn: &Connection) -> i64 {
        conn.query_row("SELECT count(*) FROM ledger", [], |r| r.get(0))
            .unwrap()
    }

    #[test]
    fn payment_is_stored() {
        let mut conn = open_db().unwrap();
        assert_eq!(
            record_payment(&mut conn, "evt_1", 7, 4200).unwrap(),
            Outcome::Recorded,
            "a new event is recorded"
        );
        assert_eq!(
            paid_cents(&conn, 7).unwrap(),
            4200,
            "order 7 should be paid: was the transaction committed?"
        );
        assert_eq!(ledger_lines(&conn), 1, "one ledger line per payment");
    }

    #[test]
    fn redelivered_event_is_recorded_once() {
        let mut conn = open_db().unwrap();
        record_payment(&mut conn, "evt_1", 7, 4200).unwrap();
        assert_eq!(
            record_payment(&mut conn, "evt_1", 7, 4200).unwrap(),
            Outcome::Duplicate,
            "the provider retried evt_1: a Duplicate, unless the first delivery was never \
             committed"
        );
        assert_eq!(
            paid_cents(&conn, 7).unwrap(),
            4200,
            "the retried event must not be counted twice"
        );
        assert_eq!(
            ledger_lines(&conn),
            1,
            "one ledger line per payment, not per retry"
        );
    }

    #[test]
    fn partial_payments_add_up() {
        let mut conn = open_db().unwrap();
        record_payment(&mut conn, "evt_1", 7, 2000).unwrap();
        record_payment(&mut conn, "evt_2", 7, 2200).unwrap();
        assert_eq!(
            paid_cents(&conn, 7).unwrap(),
            4200,
            "two recorded payments should add up to 4200"
        );
        assert_eq!(ledger_lines(&conn), 2, "one ledger line per payment");
    }

    #[test]
    fn connection_is_not_left_inside_a_transaction() {
        let mut conn = open_db().unwrap();
        record_payment(&mut conn, "evt_1", 7, 4200).unwrap();
        assert!(conn.is_autocommit(), "a transaction was left open");
    }

    #[test]
    fn a_failed_payment_leaves_no_trace() {
        let mut conn = open_db().unwrap();
        // The event is for an order we don't have (yet): the ledger's foreign key refuses
        // the line, after the event id and the order update have been written.
        let failed = record_payment(&mut conn, "evt_9", 99, 1000);
        assert!(
            failed.is_err(),
            "a payment for unknown order 99 must fail: {failed:?}"
        );
        let remembered: i64 = conn
            .query_row(
                "SELECT count(*) FROM processed_events WHERE event_id = 'evt_9'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(
            remembered, 0,
            "the failed payment's event id was kept, so the provider's retry would be \
             ignored as a duplicate and the payment lost: a failure must roll back all of \
             it (commit only at the end, and keep the rollback-on-drop default)"
        );
        assert!(conn.is_autocommit(), "a transaction was left open");
    }
}
