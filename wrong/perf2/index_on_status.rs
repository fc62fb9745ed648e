// wrong fix: indexes the status column: a status matches a quarter of all orders, so SQLite still reads every order with that status to find the customer's, and sorts them
// perf2: an index for the query you run, proved with EXPLAIN QUERY PLAN.
//
// A customer's order page runs `RECENT_ORDERS`: their last 10 orders with one status,
// newest first. Without an index SQLite reads every row of `orders` (`SCAN orders`) and
// sorts what it finds in a temporary B-tree: fine for a thousand orders, not for ten
// million. Write `MIGRATION` so that the query becomes `SEARCH orders USING INDEX ...` on
// both filters, and needs no sort. Change the schema, not the query. Check your index with
// `EXPLAIN QUERY PLAN` (see `main`): which columns, and in which order, matter.

use rusqlite::Connection;

const SCHEMA: &str = "
    CREATE TABLE orders (
        id          INTEGER PRIMARY KEY,
        customer_id INTEGER NOT NULL,
        status      TEXT NOT NULL,
        created_at  INTEGER NOT NULL,
        total_cents INTEGER NOT NULL
    );
";

/// The migration that makes the order page fast.
const MIGRATION: &str = "
    CREATE INDEX orders_by_status ON orders (status);
";

/// The order page: a customer's 10 most recent orders with the given status.
const RECENT_ORDERS: &str = "
    SELECT id, created_at, total_cents
    FROM orders
    WHERE customer_id = ?1 AND status = ?2
    ORDER BY created_at DESC
    LIMIT 10
";

fn open_db() -> rusqlite::Result<Connection> {
    let conn = Connection::open_in_memory()?;
    conn.execute_batch(SCHEMA)?;
    conn.execute_batch(MIGRATION)?;
    Ok(conn)
}

/// `(id, created_at, total_cents)` of the customer's 10 most recent orders in `status`.
fn recent_orders(
    conn: &Connection,
    customer_id: i64,
    status: &str,
) -> rusqlite::Result<Vec<(i64, i64, i64)>> {
    let mut stmt = conn.prepare(RECENT_ORDERS)?;
    let rows = stmt.query_map((customer_id, status), |row| {
        Ok((row.get(0)?, row.get(1)?, row.get(2)?))
    })?;
    rows.collect()
}

fn main() -> rusqlite::Result<()> {
    let conn = open_db()?;
    // The plan is made without values: the placeholders stay unbound.
    let mut plan = conn.prepare(&format!("EXPLAIN QUERY PLAN {RECENT_ORDERS}"))?;
    let mut steps = plan.raw_query();
    while let Some(step) = steps.next()? {
        println!("{}", step.get::<_, String>(3)?);
    }
    conn.execute_batch(
        "INSERT INTO orders (customer_id, status, created_at, total_cents) VALUES
            (7, 'shipped', 1700000000, 1250), (7, 'shipped', 1700000500, 990)",
    )?;
    println!("{:?}", recent_orders(&conn, 7, "shipped")?);
    Ok(())
}

