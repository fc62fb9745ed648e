// injection3: a bound value is still a LIKE pattern: escape `%` and `_`.
//
// `search_products` binds the term (no SQL injection here), but it is spliced into a
// `LIKE` pattern, where `%` matches any run of characters and `_` any one character. A
// shopper searching for "100%" gets everything containing "100"; "%" alone lists the
// whole catalogue, and terms like `%_%_%_` make the database work hard for nothing.
// Escape the term so it matches literally: prefix `%`, `_` and the escape character
// itself with an escape character, and name that character in an `ESCAPE` clause.

use rusqlite::Connection;

const SCHEMA: &str = r"
    CREATE TABLE products (
        id   INTEGER PRIMARY KEY,
        name TEXT NOT NULL
    );
    INSERT INTO products (name) VALUES
        ('100% cotton tee'),
        ('1000-piece puzzle'),
        ('Tote bag, 100 cm handles'),
        ('snake_case mug'),
        ('snake-case stickers'),
        ('Poster: C:\Users\Public');
";

fn open_db() -> rusqlite::Result<Connection> {
    let conn = Connection::open_in_memory()?;
    conn.execute_batch(SCHEMA)?;
    Ok(conn)
}

/// `term` with the LIKE wildcards (and the escape character) made literal.
fn escape_like(term: &str) -> String {
    let mut escaped = String::with_capacity(term.len());
    for c in term.chars() {
        if matches!(c, '\\' | '%' | '_') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

/// Names of the products whose name contains `term` (case-insensitively), sorted.
fn search_products(conn: &Connection, term: &str) -> rusqlite::Result<Vec<String>> {
    let mut stmt = conn.prepare(
        r"SELECT name FROM products
          WHERE name LIKE '%' || ?1 || '%' ESCAPE '\'
          ORDER BY name",
    )?;
    let names = stmt.query_map([escape_like(term)], |row| row.get(0))?;
    names.collect()
}

fn main() -> rusqlite::Result<()> {
    let conn = open_db()?;
    for term in ["100%", "snake_case", "%"] {
        println!("{term:>10} -> {:?}", search_products(&conn, term)?);
    }
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
    fn plain_terms_still_match_anywhere_in_the_name() {
        let conn = open_db().unwrap();
        assert_eq!(
            search_products(&conn, "100").unwrap(),
            [
                "100% cotton tee",
                "1000-piece puzzle",
                "Tote bag, 100 cm handles"
            ],
            "a plain term matches anywhere in the name"
        );
        assert_eq!(
            search_products(&conn, "MUG").unwrap(),
            ["snake_case mug"],
            "the search ignores case"
        );
    }

    #[test]
    fn percent_sign_matches_literally() {
        let conn = open_db().unwrap();
        assert_eq!(
            search_products(&conn, "100%").unwrap(),
            ["100% cotton tee"],
            "`%` in the term must match a percent sign, not any run of characters"
        );
    }

    #[test]
    fn lone_percent_does_not_dump_the_catalogue() {
        let conn = open_db().unwrap();
        assert_eq!(
            search_products(&conn, "%").unwrap(),
            ["100% cotton tee"],
            "searching for `%` listed the whole catalogue"
        );
    }

    #[test]
    fn underscore_matches_literally() {
        let conn = open_db().unwrap();
        assert_eq!(
            search_products(&conn, "snake_case").unwrap(),
            ["snake_case mug"],
            "`_` in the term must match an underscore, not any one character"
        );
        assert!(
            search_products(&conn, "_____").unwrap().is_empty(),
            "no product name contains five underscores"
        );
    }

    #[test]
    fn every_punctuation_character_matches_literally() {
        let conn = open_db().unwrap();
        let sign = r##"Sign: !"#$%&'()*+,-./:;<=>?@[\]^_`{|}~ (all of them)"##;
        conn.execute("INSERT INTO products (name) VALUES (?1)", [sign])
            .unwrap();
        let names: Vec<String> = {
            let mut stmt = conn.prepare("SELECT name FROM products").unwrap();
            let rows = stmt.query_map([], |r| r.get(0)).unwrap();
            rows.collect::<rusqlite::Result<_>>().unwrap()
        };
        // Whatever the escape character, a term that contains it (or the wildcards) must
        // still find exactly the names that contain the term.
        let mut terms: Vec<String> = r##"!"#$%&'()*+,-./:;<=>?@[\]^_`{|}~"##
            .chars()
            .map(String::from)
            .collect();
        terms.extend(
            [
                r"\%", r"%\", r"\\", "%%", "__", "!%", "^_", "[%]", "'%'", "~_",
            ]
            .map(String::from),
        );
        for term in &terms {
            let mut expected: Vec<&str> = names
                .iter()
                .filter(|n| n.to_ascii_lowercase().contains(&term.to_ascii_lowercase()))
                .map(String::as_str)
                .collect();
            expected.sort_unstable();
            let found = search_products(&conn, term)
                .unwrap_or_else(|err| panic!("searching for {term:?} failed: {err}"));
            assert_eq!(
                found, expected,
                "searching for {term:?} must list exactly the names containing it: every \
                 character of the term is literal, the escape character included"
            );
        }
    }

    #[test]
    fn the_term_never_becomes_part_of_the_sql_text() {
        let conn = open_db().unwrap();
        let term = "probe-term-77aa";
        let mut statements = Vec::new();
        let found = watch_sql(
            &conn,
            |sql| statements.push(sql.to_string()),
            || search_products(&conn, term),
        )
        .expect("searching for a plain term failed");
        assert!(
            found.is_empty(),
            "no product contains {term}, found {found:?}"
        );
        assert!(
            !statements.is_empty(),
            "search_products ran no statement on the connection it was given"
        );
        for sql in &statements {
            assert!(
                !sql.contains(term),
                "the search term reached SQLite inside the SQL text, so SQLite parses it \
                 as code: escape the LIKE wildcards, but still bind the term. SQL was: {sql}"
            );
        }
    }

    #[test]
    fn backslash_matches_literally() {
        let conn = open_db().unwrap();
        assert_eq!(
            search_products(&conn, r"C:\Users").unwrap(),
            [r"Poster: C:\Users\Public"],
            "a backslash in the term must match a backslash"
        );
    }
}
