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

    #[test]
    fn plain_terms_still_match_anywhere_in_the_name() {
        let conn = open_db().unwrap();
        assert_eq!(
            search_products(&conn, "100").unwrap(),
            [
                "100% cotton tee",
                "1000-piece puzzle",
                "Tote bag, 100 cm handles"
            ]
        );
        assert_eq!(search_products(&conn, "MUG").unwrap(), ["snake_case mug"]);
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
    fn backslash_matches_literally() {
        let conn = open_db().unwrap();
        assert_eq!(
            search_products(&conn, r"C:\Users").unwrap(),
            [r"Poster: C:\Users\Public"],
            "a backslash in the term must match a backslash"
        );
    }
}
