// migrations1: a migration runner must know what it has already applied.
//
// The app calls `migrate` at every startup. SQLite keeps a free integer in the database
// header, `PRAGMA user_version` (0 in a new file), and the runner stores there how many
// migrations the database has had, skipping those on the next run. Its skip check is off
// by one: the second startup re-runs the newest migration and the app can't start
// ("table sessions already exists"). Make a rerun a no-op.

use rusqlite::Connection;

/// The schema history, oldest first. Never edit an entry once it has shipped: add one.
const MIGRATIONS: &[&str] = &[
    // 1: users
    "CREATE TABLE users (
         id    INTEGER PRIMARY KEY,
         email TEXT NOT NULL UNIQUE
     );",
    // 2: display names
    "ALTER TABLE users ADD COLUMN display_name TEXT;",
    // 3: sessions
    "CREATE TABLE sessions (
         token   TEXT PRIMARY KEY,
         user_id INTEGER NOT NULL REFERENCES users(id)
     );",
];

fn schema_version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.pragma_query_value(None, "user_version", |row| row.get(0))
}

/// Brings the schema up to date. Returns how many migrations were applied.
fn migrate(conn: &Connection) -> rusqlite::Result<usize> {
    let current = schema_version(conn)?;
    let mut applied = 0;
    // Migration number `version` (1-based) takes the schema from `version - 1` to `version`.
    for (version, sql) in (1..).zip(MIGRATIONS) {
        // TODO: which migrations does a database at version `current` already have?
        if version < current {
            continue;
        }
        conn.execute_batch(sql)?;
        conn.pragma_update(None, "user_version", version)?;
        applied += 1;
    }
    Ok(applied)
}

fn main() -> rusqlite::Result<()> {
    let conn = Connection::open_in_memory()?;
    for start in 1..=2 {
        let applied = migrate(&conn)?;
        println!(
            "startup {start}: applied {applied}, now at version {}",
            schema_version(&conn)?
        );
    }
    Ok(())
}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;

    fn columns(conn: &Connection, table: &str) -> Vec<String> {
        let mut stmt = conn
            .prepare("SELECT name FROM pragma_table_info(?1)")
            .unwrap();
        stmt.query_map([table], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap()
    }

    #[test]
    fn new_database_gets_every_migration() {
        let conn = Connection::open_in_memory().unwrap();
        assert_eq!(
            migrate(&conn).expect("migrating a new database failed"),
            3,
            "a new database gets all 3 migrations"
        );
        assert_eq!(schema_version(&conn).unwrap(), 3, "user_version records 3");
        assert_eq!(
            columns(&conn, "users"),
            ["id", "email", "display_name"],
            "migrations 1 and 2 built users"
        );
        assert_eq!(
            columns(&conn, "sessions"),
            ["token", "user_id"],
            "migration 3 built sessions"
        );
    }

    #[test]
    fn second_run_is_a_no_op() {
        let conn = Connection::open_in_memory().unwrap();
        migrate(&conn).unwrap();
        let again = migrate(&conn)
            .expect("the second startup failed: did it re-run a migration the database has?");
        assert_eq!(again, 0, "nothing is left to apply");
        assert_eq!(schema_version(&conn).unwrap(), 3, "still at version 3");
    }

    #[test]
    fn database_at_version_1_gets_only_the_rest() {
        // A database created by the first release of the app.
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(MIGRATIONS[0]).unwrap();
        conn.pragma_update(None, "user_version", 1).unwrap();
        conn.execute("INSERT INTO users (email) VALUES ('ada@example.com')", [])
            .unwrap();

        assert_eq!(
            migrate(&conn).expect("upgrading from version 1 failed: did it re-run migration 1?"),
            2,
            "a database at version 1 needs migrations 2 and 3 only"
        );
        assert_eq!(schema_version(&conn).unwrap(), 3, "user_version records 3");
        let email: String = conn
            .query_row("SELECT email FROM users", [], |r| r.get(0))
            .unwrap();
        assert_eq!(email, "ada@example.com", "existing rows survive");
    }

    #[test]
    fn a_failing_migration_stops_the_runner() {
        // Someone created `users` by hand, so migration 1 can't run on this database.
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE users (id INTEGER PRIMARY KEY);")
            .unwrap();
        let result = migrate(&conn);
        assert!(
            result.is_err(),
            "migration 1 fails on this database, yet migrate returned {result:?}: a runner \
             that skips a failed migration starts the app on a schema it doesn't have"
        );
        assert_eq!(
            schema_version(&conn).unwrap(),
            0,
            "the version must not claim migrations that failed"
        );
    }
}
