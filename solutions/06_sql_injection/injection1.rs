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
    conn.query_row(
        "SELECT id FROM users WHERE username = ?1 AND password = ?2",
        (username, password),
        |row| row.get(0),
    )
    .optional()
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

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn right_password_logs_in() {
        let conn = open_db().unwrap();
        assert_eq!(login(&conn, "ada", "analytical").unwrap(), Some(3));
    }

    #[test]
    fn wrong_password_is_refused() {
        let conn = open_db().unwrap();
        assert_eq!(login(&conn, "admin", "password").unwrap(), None);
    }

    /// An attack must be refused like any wrong password: no login, no SQL error.
    fn assert_refused(result: rusqlite::Result<Option<i64>>, attack: &str) {
        match result {
            Ok(None) => {}
            Ok(Some(id)) => panic!("`{attack}` logged in as user {id} without the password"),
            Err(err) => panic!("`{attack}` broke the query instead of being refused: {err}"),
        }
    }

    #[test]
    fn comment_attack_does_not_log_in_as_admin() {
        let conn = open_db().unwrap();
        // The attack: end the username literal, comment out the password check.
        assert_refused(login(&conn, "admin' --", "anything"), "admin' --");
    }

    #[test]
    fn always_true_password_does_not_log_in() {
        let conn = open_db().unwrap();
        // The other classic: make the WHERE clause true for every row.
        assert_refused(login(&conn, "ada", "' OR '1'='1"), "' OR '1'='1");
    }

    #[test]
    fn names_with_quotes_can_log_in() {
        let conn = open_db().unwrap();
        match login(&conn, "O'Brien", "shamrock-42") {
            Ok(Some(2)) => {}
            other => panic!("O'Brien must be able to log in, got {other:?}"),
        }
    }
}
