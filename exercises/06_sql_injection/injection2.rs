// injection2: `execute_batch` runs every statement in the string, including the attacker's.
//
// `record_search` logs each search term and bumps a counter. It needs two statements, so
// someone glued them into one `format!`ed string for `execute_batch`, which takes no
// parameters and runs *every* statement it finds. A term like
// `x'); DROP TABLE products; --` closes the INSERT and stacks its own statement after it
// (OWASP A03:2021 Injection). Run the two statements separately with `execute` and bind the term.

use rusqlite::Connection;

const SCHEMA: &str = "
    CREATE TABLE products (
        id   INTEGER PRIMARY KEY,
        name TEXT NOT NULL
    );
    CREATE TABLE search_log (
        id   INTEGER PRIMARY KEY,
        term TEXT NOT NULL
    );
    CREATE TABLE stats (searches INTEGER NOT NULL);
    INSERT INTO stats (searches) VALUES (0);
    INSERT INTO products (name) VALUES ('Pour-over kettle'), ('Paper filters'), ('Scale');
";

fn open_db() -> rusqlite::Result<Connection> {
    let conn = Connection::open_in_memory()?;
    conn.execute_batch(SCHEMA)?;
    Ok(conn)
}

/// Remembers that someone searched for `term`.
fn record_search(conn: &Connection, term: &str) -> rusqlite::Result<()> {
    // TODO: one string, two statements, and the term pasted in between.
    conn.execute_batch(&format!(
        "INSERT INTO search_log (term) VALUES ('{term}');
         UPDATE stats SET searches = searches + 1;"
    ))
}

fn main() -> rusqlite::Result<()> {
    let conn = open_db()?;
    record_search(&conn, "kettle")?;
    record_search(&conn, "x'); DROP TABLE products; --")?;
    let left: rusqlite::Result<i64> =
        conn.query_row("SELECT count(*) FROM products", [], |r| r.get(0));
    println!("products after the attack: {left:?}");
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

    fn logged_terms(conn: &Connection) -> Vec<String> {
        let mut stmt = conn
            .prepare("SELECT term FROM search_log ORDER BY id")
            .unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap()
    }

    fn searches(conn: &Connection) -> i64 {
        conn.query_row("SELECT searches FROM stats", [], |r| r.get(0))
            .unwrap()
    }

    #[test]
    fn plain_term_is_logged_and_counted() {
        let conn = open_db().unwrap();
        record_search(&conn, "kettle").expect("recording a plain search term failed");
        assert_eq!(
            logged_terms(&conn),
            ["kettle"],
            "the term is logged as typed"
        );
        assert_eq!(searches(&conn), 1, "one search was counted");
    }

    #[test]
    fn stacked_drop_table_does_not_run() {
        let conn = open_db().unwrap();
        let attack = "x'); DROP TABLE products; --";
        let _ = record_search(&conn, attack);
        let products = conn.query_row("SELECT count(*) FROM products", [], |r| r.get::<_, i64>(0));
        assert_eq!(
            products.ok(),
            Some(3),
            "the products table was dropped by a search term"
        );
        assert_eq!(
            logged_terms(&conn),
            [attack],
            "the term must be logged as typed, however odd it looks: refusing \
             suspicious terms is a blocklist, binding makes them harmless"
        );
        assert_eq!(searches(&conn), 1, "the search was counted once");
    }

    #[test]
    fn stacked_update_does_not_run() {
        let conn = open_db().unwrap();
        let attack = "x'); UPDATE stats SET searches = 1000000; --";
        let _ = record_search(&conn, attack);
        assert_eq!(
            searches(&conn),
            1,
            "the search must be counted exactly once: a stacked UPDATE rewrites the counter, \
             a refused term is not counted at all"
        );
        assert_eq!(
            logged_terms(&conn),
            [attack],
            "the term must be logged as typed, however odd it looks: refusing \
             suspicious terms is a blocklist, binding makes them harmless"
        );
    }

    #[test]
    fn quotes_in_terms_are_fine() {
        let conn = open_db().unwrap();
        record_search(&conn, "O'Reilly's \"Rust\" book")
            .expect("a quote in a search term is not an error");
        assert_eq!(
            logged_terms(&conn),
            ["O'Reilly's \"Rust\" book"],
            "the term is logged as typed"
        );
    }

    #[test]
    fn the_term_never_becomes_part_of_the_sql_text() {
        let conn = open_db().unwrap();
        let term = "probe-term-4b8e";
        let mut statements = Vec::new();
        watch_sql(
            &conn,
            |sql| statements.push(sql.to_string()),
            || record_search(&conn, term),
        )
        .expect("recording a plain search term failed");
        assert!(
            statements.len() >= 2,
            "record_search must run its INSERT and its UPDATE on the connection it was \
             given, ran: {statements:?}"
        );
        for sql in &statements {
            assert!(
                !sql.contains(term),
                "the search term reached SQLite inside the SQL text, so SQLite parses it \
                 as code (escaping only hides that): bind it to a placeholder with \
                 `execute`. SQL was: {sql}"
            );
        }
        assert_eq!(logged_terms(&conn), [term], "the term is logged as typed");
    }
}
