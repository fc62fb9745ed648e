// migrations2: a migration and its version bump commit together, or not at all.
//
// A migration is usually several statements. When one in the middle fails (a typo, a
// constraint the existing data violates), the runner below has already run the ones
// before it, and `user_version` still says the old version: the next startup replays
// the migration from the top and trips over its own half-finished tables. SQLite's DDL
// is transactional, so run each migration *and* its `user_version` bump in one
// transaction: a failure then leaves the schema and the data exactly at the old version.

use rusqlite::Connection;

const MIGRATIONS: &[&str] = &[
    // 1: users
    "CREATE TABLE users (
         id    INTEGER PRIMARY KEY,
         email TEXT NOT NULL
     );",
    // 2: e-mails are case-insensitive and unique; tags
    "UPDATE users SET email = lower(email);
     CREATE UNIQUE INDEX users_by_email ON users(email);
     CREATE TABLE tags (
         id   INTEGER PRIMARY KEY,
         name TEXT NOT NULL UNIQUE
     );",
];

fn schema_version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.pragma_query_value(None, "user_version", |row| row.get(0))
}

/// Brings the schema up to date with `migrations`. Returns how many were applied.
fn migrate(conn: &mut Connection, migrations: &[&str]) -> rusqlite::Result<usize> {
    let current = schema_version(conn)?;
    let mut applied = 0;
    for (version, sql) in (1..).zip(migrations) {
        if version <= current {
            continue;
        }
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", version)?;
        tx.commit()?;
        applied += 1;
    }
    Ok(applied)
}

fn main() -> rusqlite::Result<()> {
    let mut conn = Connection::open_in_memory()?;
    let applied = migrate(&mut conn, MIGRATIONS)?;
    println!(
        "applied {applied}, now at version {}",
        schema_version(&conn)?
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
    fn watch_sql<R, F: FnMut(&str)>(
        conn: &mut Connection,
        mut on_sql: F,
        f: impl FnOnce(&mut Connection) -> R,
    ) -> R {
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
        f(conn)
    }

    /// Version 2 as first written: the last statement has a typo in a column name.
    const BROKEN_V2: &str = "
        UPDATE users SET email = lower(email);
        CREATE UNIQUE INDEX users_by_email ON users(email);
        CREATE TABLE tags (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
        CREATE INDEX tags_by_name ON tags(nmae);";

    /// A database at version 1 with a user in it, as the first release left it.
    fn database_at_v1() -> Connection {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn, &MIGRATIONS[..1]).unwrap();
        conn.execute("INSERT INTO users (email) VALUES ('Ada@Example.com')", [])
            .unwrap();
        conn
    }

    fn exists(conn: &Connection, name: &str) -> bool {
        let sql = "SELECT count(*) FROM sqlite_schema WHERE name = ?1";
        let count: i64 = conn.query_row(sql, [name], |r| r.get(0)).unwrap();
        count == 1
    }

    fn email(conn: &Connection) -> String {
        conn.query_row("SELECT email FROM users", [], |r| r.get(0))
            .unwrap()
    }

    #[test]
    fn good_migrations_apply() {
        let mut conn = database_at_v1();
        assert_eq!(
            migrate(&mut conn, MIGRATIONS).expect("migrating to version 2 failed"),
            1,
            "a database at version 1 needs migration 2 only"
        );
        assert_eq!(schema_version(&conn).unwrap(), 2, "user_version records 2");
        assert!(exists(&conn, "tags"), "migration 2 creates the table tags");
        assert_eq!(
            email(&conn),
            "ada@example.com",
            "migration 2 lowercases e-mails"
        );
    }

    #[test]
    fn failed_migration_leaves_the_previous_version() {
        let mut conn = database_at_v1();
        let result = migrate(&mut conn, &[MIGRATIONS[0], BROKEN_V2]);
        assert!(
            result.is_err(),
            "the broken migration must be reported: {result:?}"
        );
        assert_eq!(
            schema_version(&conn).unwrap(),
            1,
            "the failed migration must leave the version at 1"
        );
        assert!(
            !exists(&conn, "tags"),
            "half of version 2 was left behind: table tags"
        );
        assert!(
            !exists(&conn, "users_by_email"),
            "half of version 2 was left behind: index"
        );
        assert_eq!(
            email(&conn),
            "Ada@Example.com",
            "the data change was not rolled back"
        );
    }

    #[test]
    fn fixed_migration_applies_after_a_failed_one() {
        let mut conn = database_at_v1();
        let _ = migrate(&mut conn, &[MIGRATIONS[0], BROKEN_V2]);
        let applied = migrate(&mut conn, MIGRATIONS).expect("the corrected migration failed");
        assert_eq!(applied, 1, "the corrected migration 2 is applied");
        assert_eq!(schema_version(&conn).unwrap(), 2, "user_version records 2");
        assert!(exists(&conn, "tags"), "migration 2 creates the table tags");
    }

    #[test]
    fn connection_is_not_left_inside_a_transaction() {
        let mut conn = database_at_v1();
        let _ = migrate(&mut conn, &[MIGRATIONS[0], BROKEN_V2]);
        assert!(conn.is_autocommit(), "a transaction was left open");
    }

    #[test]
    fn the_version_bump_commits_with_the_migration() {
        let mut conn = database_at_v1();
        // SAFETY: the handle of `conn`, only read while `conn` is alive.
        let db = unsafe { conn.handle() };
        let mut statements: Vec<(String, bool)> = Vec::new();
        watch_sql(
            &mut conn,
            |sql| {
                // SAFETY: reads a flag of the connection that is running this statement.
                let in_transaction = unsafe { ffi::sqlite3_get_autocommit(db) } == 0;
                statements.push((sql.trim().to_ascii_uppercase(), in_transaction));
            },
            |conn| migrate(conn, MIGRATIONS),
        )
        .expect("migrating to version 2 failed");
        let first = statements
            .iter()
            .position(|(sql, _)| sql.starts_with("UPDATE USERS SET EMAIL"))
            .unwrap_or_else(|| panic!("migration 2 never ran: {statements:?}"));
        let bump = statements
            .iter()
            .skip(first)
            .position(|(sql, _)| sql.contains("USER_VERSION") && sql.contains('='))
            .map(|n| first + n)
            .unwrap_or_else(|| {
                panic!("user_version was not set after migration 2: {statements:?}")
            });
        for (sql, in_transaction) in &statements[first..=bump] {
            let ends_it = ["COMMIT", "END", "ROLLBACK"]
                .iter()
                .any(|k| sql.starts_with(k));
            assert!(
                *in_transaction && !ends_it,
                "`{sql}` ends or runs outside migration 2's transaction, between its first \
                 statement and its user_version bump: a crash there leaves the schema \
                 changed and the version old. Statements: {statements:?}"
            );
        }
    }
}
