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
    use rusqlite::ffi;
    use std::ffi::{CStr, c_char, c_int, c_uint, c_void};

    /// Runs `f` while `on_sql` is shown the text of every statement `conn` starts, exactly as
    /// SQLite received it: placeholders such as `?1` appear in it, bound values never do.
    /// (rusqlite's safe `trace_v2` needs its `trace` feature, which this course leaves off;
    /// this installs the same SQLite hook through the C API.)
    fn watch_sql<R, F: FnMut(&str)>(conn: &Connection, mut on_sql: F, f: impl FnOnce() -> R) -> R {
        unsafe extern "C" fn hook<F: FnMut(&str)>(
            event: c_uint,
            ctx: *mut c_void,
            _stmt: *mut c_void,
            sql: *mut c_void,
        ) -> c_int {
            if event == ffi::SQLITE_TRACE_STMT as c_uint {
                // SAFETY: for SQLITE_TRACE_STMT, `sql` is a NUL-terminated string, and `ctx`
                // is the `F` registered below, alive until the hook is removed.
                let sql = unsafe { CStr::from_ptr(sql.cast::<c_char>()) }.to_string_lossy();
                unsafe { (*ctx.cast::<F>())(&sql) };
            }
            0
        }
        struct Unhook(*mut ffi::sqlite3);
        impl Drop for Unhook {
            fn drop(&mut self) {
                // SAFETY: removes the hook before `on_sql` goes out of scope.
                unsafe { ffi::sqlite3_trace_v2(self.0, 0, None, std::ptr::null_mut()) };
            }
        }
        // SAFETY: the handle stays valid while `conn` is borrowed; `on_sql` outlives the hook.
        let db = unsafe { conn.handle() };
        let ctx: *mut F = &mut on_sql;
        unsafe {
            ffi::sqlite3_trace_v2(
                db,
                ffi::SQLITE_TRACE_STMT as c_uint,
                Some(hook::<F>),
                ctx.cast(),
            )
        };
        let _unhook = Unhook(db);
        f()
    }

    #[test]
    fn updates_the_price_of_the_right_product() {
        let conn = open_db().unwrap();
        assert_eq!(
            update_price(&conn, 2, 7900).unwrap(),
            1,
            "one row should change"
        );
        assert_eq!(
            price_of(&conn, 2).unwrap(),
            7900,
            "the grinder (product 2) should now cost 7900 cents"
        );
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
        assert_eq!(
            price_of(&conn, 2).unwrap(),
            8900,
            "updating a missing product must not change product 2"
        );
    }

    #[test]
    fn values_are_bound_not_written_into_the_sql() {
        let conn = open_db().unwrap();
        let mut statements = Vec::new();
        let changed = watch_sql(
            &conn,
            |sql| statements.push(sql.to_string()),
            || update_price(&conn, 3, 4242),
        )
        .expect("update_price failed");
        assert_eq!(changed, 1, "one row should change");
        assert!(
            !statements.is_empty(),
            "update_price ran no statement on the connection it was given"
        );
        for sql in &statements {
            assert!(
                !sql.contains("4242"),
                "the price was written into the SQL text instead of being bound to a \
                 placeholder (chapter 06 shows where that leads). SQL was: {sql}"
            );
        }
    }
}
