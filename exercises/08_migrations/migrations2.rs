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
        // TODO: if a statement in `sql` fails, the ones before it stay applied.
        conn.execute_batch(sql)?;
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

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(migrate(&mut conn, MIGRATIONS).unwrap(), 1);
        assert_eq!(schema_version(&conn).unwrap(), 2);
        assert!(exists(&conn, "tags"));
        assert_eq!(email(&conn), "ada@example.com");
    }

    #[test]
    fn failed_migration_leaves_the_previous_version() {
        let mut conn = database_at_v1();
        assert!(migrate(&mut conn, &[MIGRATIONS[0], BROKEN_V2]).is_err());
        assert_eq!(schema_version(&conn).unwrap(), 1);
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
        assert_eq!(applied, 1);
        assert_eq!(schema_version(&conn).unwrap(), 2);
        assert!(exists(&conn, "tags"));
    }

    #[test]
    fn connection_is_not_left_inside_a_transaction() {
        let mut conn = database_at_v1();
        let _ = migrate(&mut conn, &[MIGRATIONS[0], BROKEN_V2]);
        assert!(conn.is_autocommit(), "a transaction was left open");
    }
}
