// wrong fix: undoes a failed migration by dropping what it is known to create; the cleanup must be rewritten for every migration and can't undo data changes (the lowercased e-mails stay lowercased): let a transaction undo it
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
        if let Err(err) = conn.execute_batch(sql) {
            // Clean up what the failed migration created.
            conn.execute_batch(
                "DROP INDEX IF EXISTS users_by_email; DROP TABLE IF EXISTS tags;",
            )?;
            return Err(err);
        }

        conn.pragma_update(None, "user_version", version)?;
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

