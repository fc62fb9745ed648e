// wrong fix: deletes % and _ from the term (a blocklist) instead of escaping them; "100%" then finds every name with 100 in it and "%" the whole catalogue
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

/// Names of the products whose name contains `term` (case-insensitively), sorted.
fn search_products(conn: &Connection, term: &str) -> rusqlite::Result<Vec<String>> {
    let mut stmt = conn.prepare(
        r"SELECT name FROM products
          WHERE name LIKE '%' || ?1 || '%'
          ORDER BY name",
    )?;
    let cleaned: String = term.chars().filter(|c| !matches!(c, '%' | '_')).collect();
    let names = stmt.query_map([cleaned], |row| row.get(0))?;

    names.collect()
}

fn main() -> rusqlite::Result<()> {
    let conn = open_db()?;
    for term in ["100%", "snake_case", "%"] {
        println!("{term:>10} -> {:?}", search_products(&conn, term)?);
    }
    Ok(())
}

