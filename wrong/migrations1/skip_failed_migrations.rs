// wrong fix: keeps the off-by-one and ignores the error of any migration that fails ("it was already applied"); a migration that fails for a real reason is skipped too, and the app starts on a schema it does not have
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
        // A migration that was already applied fails with "already exists": skip it.
        if conn.execute_batch(sql).is_err() {
            continue;
        }
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

