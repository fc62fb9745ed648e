// wrong fix: backfills the display names of the two users the test creates, by email, and gives everyone else 'user': it passes a test that knows these two users, and production's real users all end up called 'user'
// postgres5: an applied migration is never edited; the change goes into a new one.
//
// V1 created `users` and has run in production for months. Users now need a display
// name, and someone added the column to V1. A fresh database is fine, but production
// already ran V1: the migration tool (refinery) compares V1 with the checksum it stored
// then and refuses to run. Put V1 back exactly as it was and add V2, which adds the
// column, fills it for the users who already exist (the part of their email before
// '@'), and only then makes it NOT NULL.

use refinery::{Migration, Runner};
use tokio_postgres::NoTls;

/// The migrations, oldest first. refinery applies the pending ones in version order, each
/// in its own transaction, and records version, name and checksum in
/// `refinery_schema_history`.
fn migrations() -> Vec<Migration> {
    [
        (
            "V1__create_users",
            "CREATE TABLE users (
                id    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                email text NOT NULL UNIQUE
            );",
        ),
        (
            "V2__add_display_name",
            "ALTER TABLE users ADD COLUMN display_name text;
            UPDATE users SET display_name = CASE email
                WHEN 'ada@example.com' THEN 'ada'
                WHEN 'grace.hopper@navy.mil' THEN 'grace.hopper'
                ELSE 'user' END;
            ALTER TABLE users ALTER COLUMN display_name SET NOT NULL;",
        ),
    ]
    .into_iter()
    .map(|(name, sql)| Migration::unapplied(name, sql).expect("a name like V1__what_it_does"))
    .collect()
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let Ok(url) = std::env::var("DATABASE_URL") else {
        println!("DATABASE_URL is not set: `backlings` starts PostgreSQL and sets it.");
        return Ok(());
    };
    let (mut client, connection) = tokio_postgres::connect(&url, NoTls).await?;
    tokio::spawn(connection);
    // Temporary tables: the demo leaves nothing behind.
    client.batch_execute("SET search_path = pg_temp").await?;
    let report = Runner::new(&migrations()).run_async(&mut client).await?;
    for migration in report.applied_migrations() {
        println!("applied {migration}");
    }
    Ok(())
}

