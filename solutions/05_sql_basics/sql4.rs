// sql4: foreign keys are connection state: turn them back on, outside any transaction.
//
// SQLite checks `REFERENCES` clauses only while the connection's `foreign_keys` pragma is
// ON. The setting lives in the connection, not in the file, and SQLite ignores it inside
// a transaction. `open_db` rebuilds the `orders` table the way the SQLite docs describe
// (foreign keys off, rebuild inside a transaction, foreign keys on), yet afterwards orders
// for customers that do not exist go straight in. Make the rebuild leave enforcement on.

use rusqlite::Connection;

const SCHEMA_V1: &str = "
    CREATE TABLE customers (
        id   INTEGER PRIMARY KEY,
        name TEXT NOT NULL
    );
    CREATE TABLE orders (
        id          INTEGER PRIMARY KEY,
        customer_id INTEGER NOT NULL REFERENCES customers(id),
        item        TEXT NOT NULL,
        quantity    INTEGER NOT NULL
    );
    CREATE TABLE shipments (
        id       INTEGER PRIMARY KEY,
        order_id INTEGER NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
        carrier  TEXT NOT NULL
    );
    INSERT INTO customers (id, name) VALUES (1, 'Ada'), (2, 'Grace');
    INSERT INTO orders (id, customer_id, item, quantity) VALUES (1, 1, 'keyboard', 1);
    INSERT INTO shipments (order_id, carrier) VALUES (1, 'Royal Mail');
";

/// Version 2 adds `CHECK (quantity > 0)`. SQLite cannot add a CHECK to an existing table,
/// so the table is rebuilt: https://sqlite.org/lang_altertable.html#otheralter
fn rebuild_orders(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(
        "PRAGMA foreign_keys = OFF;
         BEGIN;
         CREATE TABLE orders_new (
             id          INTEGER PRIMARY KEY,
             customer_id INTEGER NOT NULL REFERENCES customers(id),
             item        TEXT NOT NULL,
             quantity    INTEGER NOT NULL CHECK (quantity > 0)
         );
         INSERT INTO orders_new (id, customer_id, item, quantity)
             SELECT id, customer_id, item, quantity FROM orders;
         DROP TABLE orders;
         ALTER TABLE orders_new RENAME TO orders;
         COMMIT;
         PRAGMA foreign_keys = ON;",
    )
}

fn open_db() -> rusqlite::Result<Connection> {
    let conn = Connection::open_in_memory()?;
    conn.execute_batch(SCHEMA_V1)?;
    rebuild_orders(&conn)?;
    Ok(conn)
}

fn place_order(
    conn: &Connection,
    customer_id: i64,
    item: &str,
    quantity: i64,
) -> rusqlite::Result<i64> {
    conn.execute(
        "INSERT INTO orders (customer_id, item, quantity) VALUES (?1, ?2, ?3)",
        (customer_id, item, quantity),
    )?;
    Ok(conn.last_insert_rowid())
}

fn delete_customer(conn: &Connection, id: i64) -> rusqlite::Result<usize> {
    conn.execute("DELETE FROM customers WHERE id = ?1", [id])
}

fn main() -> rusqlite::Result<()> {
    let conn = open_db()?;
    let order = place_order(&conn, 2, "mouse", 1)?;
    println!("order {order} placed for Grace");
    match place_order(&conn, 42, "monitor", 1) {
        Ok(id) => println!("order {id} placed for customer 42, who does not exist!"),
        Err(err) => println!("order for customer 42 refused: {err}"),
    }
    match delete_customer(&conn, 1) {
        Ok(_) => println!("Ada deleted, her orders are orphans now!"),
        Err(err) => println!("deleting Ada refused: {err}"),
    }
    Ok(())
}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;

    fn is_foreign_key_error(err: &rusqlite::Error) -> bool {
        matches!(
            err,
            rusqlite::Error::SqliteFailure(e, _)
                if e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY
        )
    }

    #[test]
    fn rebuild_keeps_the_data_and_adds_the_check() {
        let conn = open_db().unwrap();
        let items: i64 = conn
            .query_row(
                "SELECT count(*) FROM orders WHERE item = 'keyboard'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(items, 1, "the rebuild must copy the existing orders");
        assert!(
            place_order(&conn, 1, "cable", 0).is_err(),
            "quantity 0 must be refused by the new CHECK"
        );
    }

    #[test]
    fn rebuild_keeps_the_rows_that_reference_orders() {
        let conn = open_db().unwrap();
        let shipments: i64 = conn
            .query_row(
                "SELECT count(*) FROM shipments WHERE order_id = 1",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(
            shipments, 1,
            "the shipment of order 1 is gone: with foreign keys ON, `DROP TABLE orders` \
             deletes every order first and ON DELETE CASCADE takes the shipments with them, \
             which is why the rebuild runs with foreign keys OFF"
        );
    }

    #[test]
    fn orders_for_known_customers_are_accepted() {
        let conn = open_db().unwrap();
        let placed = place_order(&conn, 2, "mouse", 1);
        assert!(
            placed.is_ok(),
            "Grace (customer 2) exists, her order must go in: {placed:?}"
        );
    }

    #[test]
    fn order_for_unknown_customer_is_refused() {
        let conn = open_db().unwrap();
        match place_order(&conn, 42, "monitor", 1) {
            Ok(id) => panic!("order {id} was stored for customer 42, who does not exist"),
            Err(err) => assert!(
                is_foreign_key_error(&err),
                "expected a FOREIGN KEY constraint error, got: {err}"
            ),
        }
    }

    #[test]
    fn customer_with_orders_cannot_be_deleted() {
        let conn = open_db().unwrap();
        match delete_customer(&conn, 1) {
            Ok(_) => panic!("customer 1 was deleted, leaving their order orphaned"),
            Err(err) => assert!(
                is_foreign_key_error(&err),
                "expected a FOREIGN KEY constraint error, got: {err}"
            ),
        }
        assert_eq!(delete_customer(&conn, 2).unwrap(), 1, "Grace has no orders");
    }

    #[test]
    fn enforcement_is_on_after_open() {
        let conn = open_db().unwrap();
        let on: i64 = conn
            .pragma_query_value(None, "foreign_keys", |r| r.get(0))
            .unwrap();
        assert_eq!(
            on, 1,
            "PRAGMA foreign_keys must be 1 (ON) once open_db returns: every query on the \
             connection relies on it, not only the ones the tests call"
        );
    }
}
