// wrong fix: drops both pragma lines so foreign keys stay on during the rebuild; DROP TABLE orders then deletes every order first, and ON DELETE CASCADE wipes the shipments that reference them
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
        "BEGIN;
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
         COMMIT;",

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

