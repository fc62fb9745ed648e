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
            UPDATE users SET display_name = split_part(email, '@', 1);
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

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use tokio_postgres::error::SqlState;
    use tokio_postgres::{Client, Config};

    const NO_DATABASE: &str = "DATABASE_URL is not set: run this exercise with backlings, \
                               which starts PostgreSQL for you";

    /// Settings for a connection to this test's own schema (tests run in parallel in one
    /// database), created fresh with `setup` run in it.
    async fn test_db(name: &str, setup: &str) -> Config {
        let url = std::env::var("DATABASE_URL").expect(NO_DATABASE);
        let mut config: Config = url
            .parse()
            .expect("DATABASE_URL is not a PostgreSQL connection URL");
        let schema = format!("{name}_{}", std::process::id());
        config.options(format!("-c search_path={schema}"));
        config.application_name(&schema);
        let admin = connect(&config).await;
        admin
            .batch_execute(&format!(
                "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}; {setup}"
            ))
            .await
            .expect("creating the test's schema and tables");
        config
    }

    async fn connect(config: &Config) -> Client {
        let (client, connection) = config
            .connect(NoTls)
            .await
            .expect("connecting to the test database");
        tokio::spawn(async move {
            let _ = connection.await;
        });
        client
    }

    /// V1 exactly as production ran it, months ago.
    const V1_AS_APPLIED: &str = "CREATE TABLE users (
                id    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                email text NOT NULL UNIQUE
            );";

    /// Runs your migrations with refinery's defaults (checksums checked, each migration
    /// in a transaction).
    async fn migrate(client: &mut Client) -> Result<Vec<i32>, refinery::Error> {
        let report = Runner::new(&migrations()).run_async(client).await?;
        Ok(report
            .applied_migrations()
            .iter()
            .map(|m| m.version() as i32)
            .collect())
    }

    async fn history(client: &Client) -> Vec<i32> {
        client
            .query(
                "SELECT version FROM refinery_schema_history ORDER BY version",
                &[],
            )
            .await
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect()
    }

    async fn display_name_is_not_null(client: &Client) {
        let nullable: Option<String> = client
            .query_opt(
                "SELECT is_nullable::text FROM information_schema.columns
                 WHERE table_schema = current_schema() AND table_name = 'users'
                   AND column_name = 'display_name'",
                &[],
            )
            .await
            .unwrap()
            .map(|r| r.get(0));
        assert_eq!(
            nullable.as_deref(),
            Some("NO"),
            "users.display_name must exist and be NOT NULL after the migrations"
        );
    }

    #[tokio::test]
    async fn a_fresh_database_gets_the_display_name() {
        let config = test_db("fresh", "").await;
        let mut client = connect(&config).await;
        migrate(&mut client)
            .await
            .expect("the migrations must run on an empty database");
        display_name_is_not_null(&client).await;
        client
            .execute(
                "INSERT INTO users (email, display_name) VALUES ('ada@example.com', 'Ada')",
                &[],
            )
            .await
            .expect("a user with an email and a display name can be stored");
        let err = client
            .execute(
                "INSERT INTO users (email) VALUES ('grace@example.com')",
                &[],
            )
            .await
            .expect_err("a user without a display name must be refused");
        assert_eq!(
            err.code(),
            Some(&SqlState::NOT_NULL_VIOLATION),
            "a missing display name breaks NOT NULL: {err}"
        );
    }

    #[tokio::test]
    async fn production_migrates_from_v1_and_keeps_its_users() {
        let config = test_db("production", "").await;
        let mut client = connect(&config).await;
        // Production, months ago: V1 ran, users signed up.
        let v1 = Migration::unapplied("V1__create_users", V1_AS_APPLIED).unwrap();
        Runner::new(&[v1]).run_async(&mut client).await.unwrap();
        // The third one's email is made up at run time: the backfill must work for any user.
        let third = format!("user{}@example.org", std::process::id());
        client
            .execute(
                "INSERT INTO users (email) VALUES ('ada@example.com'), ('grace.hopper@navy.mil'), ($1)",
                &[&third],
            )
            .await
            .unwrap();

        // Today's deployment.
        match migrate(&mut client).await {
            Ok(_) => {}
            Err(err) if matches!(err.kind(), refinery::error::Kind::DivergentVersion(..)) => {
                panic!(
                    "production already ran V1, and V1 has changed since: refinery refuses to \
                     go on ({err}). Never edit an applied migration (its checksum covers every byte, \
                     whitespace too): restore it and add V2"
                )
            }
            Err(err) if matches!(err.kind(), refinery::error::Kind::MissingVersion(..)) => {
                panic!(
                    "production ran V1 but your list no longer has it ({err}): keep every \
                     applied migration, add new ones after it"
                )
            }
            Err(err) => panic!(
                "migrating production (V1 applied, two users) failed: {err}: {}. A NOT NULL \
                 column added to a table with rows needs its values first: add it, fill it, \
                 then SET NOT NULL",
                std::error::Error::source(&err)
                    .and_then(|db| db.source())
                    .map(|cause| cause.to_string())
                    .unwrap_or_default()
            ),
        }
        display_name_is_not_null(&client).await;
        let names: Vec<(String, String)> = client
            .query("SELECT email, display_name FROM users ORDER BY id", &[])
            .await
            .unwrap()
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
        assert_eq!(
            names,
            [
                ("ada@example.com".to_string(), "ada".to_string()),
                (
                    "grace.hopper@navy.mil".to_string(),
                    "grace.hopper".to_string()
                ),
                (third.clone(), format!("user{}", std::process::id())),
            ],
            "the users who existed before V2 get the part of their email before '@' as their \
             display name, every one of them (the third email is made up at run time)"
        );
        assert!(
            history(&client).await.starts_with(&[1, 2]),
            "refinery's history must show V1 (from months ago) and then V2"
        );
    }

    #[tokio::test]
    async fn migrations_run_once() {
        let config = test_db("twice", "").await;
        let mut client = connect(&config).await;
        let first = migrate(&mut client).await.expect("the first run");
        assert!(
            first.starts_with(&[1, 2]),
            "the first run on an empty database applies V1 then V2, got {first:?}"
        );
        let second = migrate(&mut client)
            .await
            .expect("running the migrations again must succeed");
        assert_eq!(
            second,
            Vec::<i32>::new(),
            "a second run applies nothing: each migration runs once"
        );
        assert_eq!(
            history(&client).await,
            first,
            "the history lists each applied migration once"
        );
    }
}
