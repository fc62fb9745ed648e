// wrong fix: a blocklist: refuses terms containing ; DROP or UPDATE and keeps execute_batch with format!; legitimate terms are refused and any statement not on the list still runs
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
    // Refuse anything that looks like stacked SQL.
    let upper = term.to_uppercase();
    if term.contains(';') || upper.contains("DROP") || upper.contains("UPDATE") {
        return Err(rusqlite::Error::InvalidParameterName(term.to_string()));
    }
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

