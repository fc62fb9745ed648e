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
        record_search(&conn, "kettle").unwrap();
        assert_eq!(logged_terms(&conn), ["kettle"]);
        assert_eq!(searches(&conn), 1);
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
        assert_eq!(logged_terms(&conn), [attack], "the term is logged as typed");
        assert_eq!(searches(&conn), 1);
    }

    #[test]
    fn stacked_update_does_not_run() {
        let conn = open_db().unwrap();
        let attack = "x'); UPDATE stats SET searches = 1000000; --";
        let _ = record_search(&conn, attack);
        assert_eq!(searches(&conn), 1, "a search term rewrote the statistics");
        assert_eq!(logged_terms(&conn), [attack]);
    }

    #[test]
    fn quotes_in_terms_are_fine() {
        let conn = open_db().unwrap();
        record_search(&conn, "O'Reilly's \"Rust\" book")
            .expect("a quote in a search term is not an error");
        assert_eq!(logged_terms(&conn), ["O'Reilly's \"Rust\" book"]);
    }
}
