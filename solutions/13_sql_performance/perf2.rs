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
    CREATE INDEX orders_by_customer_status_created
        ON orders (customer_id, status, created_at);
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

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::ffi;
    use std::ffi::{CStr, c_char, c_int, c_uint, c_void};
    use std::sync::{Arc, Mutex};

    /// The order page's query as it ships: the lesson changes the schema, not the query.
    const THE_QUERY: &str = "SELECT id, created_at, total_cents FROM orders \
        WHERE customer_id = ?1 AND status = ?2 ORDER BY created_at DESC LIMIT 10";

    /// From now on, records the text of every statement `conn` starts running, as SQLite
    /// received it. (rusqlite's safe `trace_v2` needs its `trace` feature, which this course
    /// leaves off; this installs the same SQLite hook, `sqlite3_trace_v2`, through the C API.)
    fn record_statements(conn: &Connection) -> Arc<Mutex<Vec<String>>> {
        unsafe extern "C" fn hook(
            event: c_uint,
            ctx: *mut c_void,
            _stmt: *mut c_void,
            sql: *mut c_void,
        ) -> c_int {
            if event == ffi::SQLITE_TRACE_STMT as c_uint {
                // SAFETY: for SQLITE_TRACE_STMT, `sql` is a NUL-terminated string; `ctx` is
                // the leaked `Arc` below, so it stays valid as long as the connection.
                let sql = unsafe { CStr::from_ptr(sql.cast::<c_char>()) };
                let log = unsafe { &*ctx.cast::<Mutex<Vec<String>>>() };
                log.lock().unwrap().push(sql.to_string_lossy().into_owned());
            }
            0
        }
        let log = Arc::new(Mutex::new(Vec::new()));
        // Leaked on purpose (one per test): the hook may run until the connection closes.
        let ctx = Arc::into_raw(Arc::clone(&log)).cast_mut().cast::<c_void>();
        // SAFETY: the handle is valid while `conn` lives, and `ctx` is never freed.
        unsafe {
            ffi::sqlite3_trace_v2(
                conn.handle(),
                ffi::SQLITE_TRACE_STMT as c_uint,
                Some(hook),
                ctx,
            )
        };
        log
    }

    fn normalize(sql: &str) -> String {
        sql.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    const STATUSES: [&str; 4] = ["pending", "paid", "shipped", "cancelled"];

    /// The migrated database with 3,000 orders of 50 customers.
    fn seeded_db() -> Connection {
        let conn = open_db().expect("SCHEMA and MIGRATION must run without error");
        let mut insert = conn
            .prepare(
                "INSERT INTO orders (id, customer_id, status, created_at, total_cents)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )
            .unwrap();
        conn.execute_batch("BEGIN").unwrap();
        for id in 1..=3000_i64 {
            let customer = id * 7 % 50 + 1;
            let status = STATUSES[(id * 13 % 4) as usize];
            let created_at = 1_700_000_000 + (id * 7919) % 100_000;
            insert
                .execute((id, customer, status, created_at, id * 37 % 10_000))
                .unwrap();
        }
        conn.execute_batch("COMMIT").unwrap();
        drop(insert);
        conn
    }

    /// The query the page runs, captured while `recent_orders` runs.
    fn query_run_by_the_page(conn: &Connection) -> String {
        let log = record_statements(conn);
        recent_orders(conn, 8, "shipped").expect("recent_orders failed");
        let statements = log.lock().unwrap().clone();
        assert_eq!(
            statements.len(),
            1,
            "recent_orders must run exactly one statement, got {statements:?}"
        );
        let sql = normalize(&statements[0]);
        assert_eq!(
            sql,
            normalize(THE_QUERY),
            "recent_orders must run the order page's query unchanged: this lesson fixes the \
             schema (an index in MIGRATION), not the query"
        );
        sql
    }

    /// The `detail` lines of `EXPLAIN QUERY PLAN sql`.
    fn plan_of(conn: &Connection, sql: &str) -> Vec<String> {
        let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        let mut rows = stmt.raw_query();
        let mut plan = Vec::new();
        while let Some(row) = rows.next().unwrap() {
            plan.push(row.get::<_, String>(3).unwrap());
        }
        plan
    }

    #[test]
    fn recent_orders_are_the_newest_ten_with_that_status() {
        let conn = seeded_db();
        let got = recent_orders(&conn, 8, "shipped").expect("recent_orders failed");
        let mut want: Vec<(i64, i64, i64)> = conn
            .prepare(
                "SELECT id, created_at, total_cents FROM orders NOT INDEXED
                 WHERE customer_id = 8 AND status = 'shipped'",
            )
            .unwrap()
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        want.sort_by_key(|&(_, created_at, _)| std::cmp::Reverse(created_at));
        want.truncate(10);
        assert_eq!(
            got, want,
            "customer 8's page must list their 10 newest shipped orders, newest first"
        );
    }

    #[test]
    fn the_query_does_not_scan_the_table() {
        let conn = seeded_db();
        let sql = query_run_by_the_page(&conn);
        let plan = plan_of(&conn, &sql);
        assert!(
            !plan.iter().any(|step| step.starts_with("SCAN")),
            "the order page reads the whole table: the plan is {plan:?}. A SCAN visits every \
             row (or every index entry) to find one customer's orders; an index whose first \
             columns are the ones compared with = lets SQLite SEARCH instead"
        );
    }

    #[test]
    fn the_index_narrows_on_both_filters() {
        let conn = seeded_db();
        let sql = query_run_by_the_page(&conn);
        let plan = plan_of(&conn, &sql);
        let search = plan
            .iter()
            .find(|step| step.starts_with("SEARCH orders USING"))
            .unwrap_or_else(|| {
                panic!("the plan must SEARCH orders using an index, but it is {plan:?}")
            });
        assert!(
            search.contains("INDEX") && search.contains("(customer_id=? AND status=?)"),
            "the index must narrow the search on both customer_id and status, but the plan \
             is {plan:?}: an index on one of them still reads every row of that customer \
             (or every order with that status) to check the other"
        );
    }

    #[test]
    fn the_query_needs_no_sort() {
        let conn = seeded_db();
        let sql = query_run_by_the_page(&conn);
        let plan = plan_of(&conn, &sql);
        assert!(
            !plan.iter().any(|step| step.contains("TEMP B-TREE")),
            "the plan is {plan:?}: SQLite collects every matching order and sorts them in a \
             temporary B-tree before it can return the first 10. Put the ORDER BY column in \
             the index, after the columns compared with =, so the entries are already in order"
        );
    }
}
