// sql1: bind parameters in the order the placeholders expect.
//
// rusqlite binds values to numbered placeholders: `?1` gets the first element of the
// params, `?2` the second. Nothing checks that they mean what you think: if the types
// fit, swapped values run happily and update the wrong row (or none at all).
// `update_price` below gets the order wrong. Fix it, ideally with named parameters
// (`:price_cents`, `:id` and `rusqlite::named_params!`), which cannot be swapped.

use rusqlite::Connection;

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
    // TODO: which value lands in `?1`, and which in `?2`?
    conn.execute(
        "UPDATE products SET price_cents = ?1 WHERE id = ?2",
        (id, price_cents),
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

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn updates_the_price_of_the_right_product() {
        let conn = open_db().unwrap();
        assert_eq!(
            update_price(&conn, 2, 7900).unwrap(),
            1,
            "one row should change"
        );
        assert_eq!(price_of(&conn, 2).unwrap(), 7900);
    }

    #[test]
    fn leaves_other_products_alone() {
        let conn = open_db().unwrap();
        // A price that happens to equal another product's id: swapped values would
        // rewrite product 3 instead.
        update_price(&conn, 1, 3).unwrap();
        assert_eq!(
            price_of(&conn, 1).unwrap(),
            3,
            "product 1 should cost 3 cents"
        );
        assert_eq!(price_of(&conn, 2).unwrap(), 8900, "product 2 was changed");
        assert_eq!(price_of(&conn, 3).unwrap(), 1200, "product 3 was changed");
    }

    #[test]
    fn unknown_product_changes_nothing() {
        let conn = open_db().unwrap();
        assert_eq!(
            update_price(&conn, 99, 2).unwrap(),
            0,
            "there is no product 99"
        );
        assert_eq!(price_of(&conn, 2).unwrap(), 8900);
    }
}
