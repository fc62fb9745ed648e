// wrong fix: switches to named parameters but pairs each name with the other value; names only help if each one gets its own value
// sql1: bind parameters in the order the placeholders expect.
//
// rusqlite binds values to numbered placeholders: `?1` gets the first element of the
// params, `?2` the second. Nothing checks that they mean what you think: if the types
// fit, swapped values run happily and update the wrong row (or none at all).
// `update_price` below gets the order wrong. Fix it, ideally with named parameters
// (`:price_cents`, `:id` and `rusqlite::named_params!`), which cannot be swapped.

use rusqlite::{Connection, named_params};

const SCHEMA: &str = "
    CREATE TABLE products (
        id          INTEGER PRIMARY KEY,
        name        TEXT NOT NULL,
        price_cents INTEGER NOT NULL
    );
    INSERT INTO products (id, name, price_cents) VALUES
        (1, 'Espresso beans 1 kg', 2490),
        (2, 'Grinder', 8900),
        (3, 'Milk jug', 1200);
";

fn open_db() -> rusqlite::Result<Connection> {
    let conn = Connection::open_in_memory()?;
    conn.execute_batch(SCHEMA)?;
    Ok(conn)
}

/// Sets the price of product `id`. Returns how many rows were updated (0: no such product).
fn update_price(conn: &Connection, id: i64, price_cents: i64) -> rusqlite::Result<usize> {
    conn.execute(
        "UPDATE products SET price_cents = :price_cents WHERE id = :id",
        named_params! { ":price_cents": id, ":id": price_cents },
    )

}

/// The current price of product `id`.
fn price_of(conn: &Connection, id: i64) -> rusqlite::Result<i64> {
    conn.query_row(
        "SELECT price_cents FROM products WHERE id = ?1",
        [id],
        |row| row.get(0),
    )
}

fn main() -> rusqlite::Result<()> {
    let conn = open_db()?;
    let changed = update_price(&conn, 2, 7900)?;
    println!(
        "updated {changed} row(s); grinder now costs {} cents",
        price_of(&conn, 2)?
    );
    Ok(())
}

