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
    // TODO: the values become part of the SQL text.
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

    /// An attack must be refused like any wrong password: no login, no SQL error.
    fn assert_refused(result: rusqlite::Result<Option<i64>>, attack: &str) {
        match result {
            Ok(None) => {}
            Ok(Some(id)) => panic!("`{attack}` logged in as user {id} without the password"),
            Err(err) => panic!(
                "`{attack}` broke the query instead of being refused: {}",
                err.to_string().escape_debug()
            ),
        }
    }

    #[test]
    fn right_password_logs_in() {
        let conn = open_db().unwrap();
        assert_eq!(
            login(&conn, "ada", "analytical").expect("the login query failed"),
            Some(3),
            "ada with her password must log in as user 3"
        );
    }

    #[test]
    fn wrong_password_is_refused() {
        let conn = open_db().unwrap();
        assert_eq!(
            login(&conn, "admin", "password").expect("a wrong password is not a SQL error"),
            None,
            "admin with a wrong password must not log in"
        );
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

    #[test]
    fn a_nul_byte_is_just_a_character() {
        let conn = open_db().unwrap();
        // SQLite stops reading SQL text at a NUL byte, so a NUL pasted into the text cuts
        // the statement short; a bound value may contain any character.
        assert_refused(login(&conn, "ada\0", "analytical"), "ada\\0");
        assert_refused(
            login(&conn, "ada", "analytical\0' OR '1'='1"),
            "analytical\\0",
        );
    }

    #[test]
    fn credentials_never_become_part_of_the_sql_text() {
        let conn = open_db().unwrap();
        let (username, password) = ("probe-user-5d1e", "probe-pass-93c7");
        let mut statements = Vec::new();
        let result = watch_sql(
            &conn,
            |sql| statements.push(sql.to_string()),
            || login(&conn, username, password),
        );
        assert_refused(result, username);
        assert!(
            !statements.is_empty(),
            "login ran no statement on the connection it was given"
        );
        for sql in &statements {
            for (what, value) in [("username", username), ("password", password)] {
                assert!(
                    !sql.contains(value),
                    "the {what} reached SQLite inside the SQL text, so SQLite parses it as \
                     code (escaping only hides that): bind it to a placeholder instead. \
                     SQL was: {sql}"
                );
            }
        }
    }
}
