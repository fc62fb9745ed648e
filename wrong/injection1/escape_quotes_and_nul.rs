// wrong fix: hand-rolled escaping that also refuses NUL bytes: every corner case the tests probe is patched, but the credentials are still pasted into the SQL text instead of bound
// injection1: never build SQL with `format!`; bind the user's input as a parameter.
//
// `login` pastes the username and password into the SQL text. The quote in a value ends
// the string literal early and the rest is read as SQL: `admin' --` turns the password
// check into a comment and logs in as admin with any password (OWASP A03:2021 Injection),
// while a real user called O'Brien gets a syntax error. Rewrite the query with `?1`/`?2`
// placeholders so the values can never change its structure.
// (Passwords are stored in clear here to keep the lesson on SQL; a later chapter hashes them.)

use rusqlite::{Connection, OptionalExtension};

const SCHEMA: &str = "
    CREATE TABLE users (
        id       INTEGER PRIMARY KEY,
        username TEXT NOT NULL UNIQUE,
        password TEXT NOT NULL
    );
    INSERT INTO users (id, username, password) VALUES
        (1, 'admin', 'x7#Lq!v9Rz'),
        (2, 'O''Brien', 'shamrock-42'),
        (3, 'ada', 'analytical');
";

fn open_db() -> rusqlite::Result<Connection> {
    let conn = Connection::open_in_memory()?;
    conn.execute_batch(SCHEMA)?;
    Ok(conn)
}

/// The id of the user with this username and password, or `None`.
fn login(conn: &Connection, username: &str, password: &str) -> rusqlite::Result<Option<i64>> {
    if username.contains('\0') || password.contains('\0') {
        return Ok(None);
    }
    let username = username.replace('\'', "''");
    let password = password.replace('\'', "''");
    let sql =
        format!("SELECT id FROM users WHERE username = '{username}' AND password = '{password}'");

    conn.query_row(&sql, [], |row| row.get(0)).optional()
}

fn main() -> rusqlite::Result<()> {
    let conn = open_db()?;
    println!(
        "ada / analytical  -> {:?}",
        login(&conn, "ada", "analytical")?
    );
    println!(
        "admin' -- / guess -> {:?}",
        login(&conn, "admin' --", "guess")?
    );
    Ok(())
}

