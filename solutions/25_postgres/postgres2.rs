// postgres2: an upsert is one statement: `INSERT ... ON CONFLICT (key) DO UPDATE`.
//
// `record_views` adds `n` views to a page's counter: it SELECTs the counter, then INSERTs
// a new row when there was none, or UPDATEs it. Between the SELECT and the INSERT another
// server instance can insert the same page: the INSERT then breaks the UNIQUE constraint
// and the views are lost with an error. Make it one statement that inserts the row or,
// when `(site, path)` already exists, adds to it (`EXCLUDED` is the row you tried to
// insert), and return the new total with `RETURNING`.

use tokio_postgres::{Client, NoTls};

const SCHEMA: &str = "
    CREATE TABLE page_views (
        id    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        site  text NOT NULL,
        path  text NOT NULL,
        views bigint NOT NULL CHECK (views >= 0),
        UNIQUE (site, path)
    );";

/// Adds `n` views to the counter of `site` + `path` and returns the new total.
async fn record_views(
    client: &Client,
    site: &str,
    path: &str,
    n: i64,
) -> Result<i64, tokio_postgres::Error> {
    let row = client
        .query_one(
            "INSERT INTO page_views (site, path, views) VALUES ($1, $2, $3)
             ON CONFLICT (site, path) DO UPDATE SET views = page_views.views + EXCLUDED.views
             RETURNING views",
            &[&site, &path, &n],
        )
        .await?;
    Ok(row.get("views"))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), tokio_postgres::Error> {
    let Ok(url) = std::env::var("DATABASE_URL") else {
        println!("DATABASE_URL is not set: `backlings` starts PostgreSQL and sets it.");
        return Ok(());
    };
    let (client, connection) = tokio_postgres::connect(&url, NoTls).await?;
    tokio::spawn(connection);
    // Temporary tables: the demo leaves nothing behind.
    client.batch_execute("SET search_path = pg_temp").await?;
    client.batch_execute(SCHEMA).await?;
    for n in [3, 4] {
        let total = record_views(&client, "blog", "/hello", n).await?;
        println!("/hello: {total} views");
    }
    Ok(())
}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use tokio_postgres::Config;

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

    async fn backend_pid(client: &Client) -> i32 {
        client
            .query_one("SELECT pg_backend_pid()", &[])
            .await
            .unwrap()
            .get(0)
    }

    /// Waits (briefly) until some connection is blocked waiting for a lock `pid` holds.
    async fn wait_until_blocked_by(observer: &Client, pid: i32) -> bool {
        for _ in 0..250 {
            let waiting: i64 = observer
                .query_one(
                    "SELECT count(*) FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))",
                    &[&pid],
                )
                .await
                .unwrap()
                .get(0);
            if waiting > 0 {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        false
    }

    async fn stored_views(client: &Client, site: &str, path: &str) -> Vec<i64> {
        client
            .query(
                "SELECT views FROM page_views WHERE site = $1 AND path = $2",
                &[&site, &path],
            )
            .await
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect()
    }

    #[tokio::test]
    async fn the_first_view_inserts_the_counter() {
        let config = test_db("first_view", SCHEMA).await;
        let client = connect(&config).await;
        let total = record_views(&client, "blog", "/hello", 3)
            .await
            .expect("recording the first 3 views of a new page");
        assert_eq!(total, 3, "a new page's total is the views just recorded");
        assert_eq!(
            stored_views(&client, "blog", "/hello").await,
            [3],
            "one row holds the new page's 3 views"
        );
    }

    #[tokio::test]
    async fn later_views_are_added_to_the_counter() {
        let config = test_db("later_views", SCHEMA).await;
        let client = connect(&config).await;
        record_views(&client, "blog", "/hello", 3).await.unwrap();
        let total = record_views(&client, "blog", "/hello", 4).await.expect(
            "recording 4 more views of an existing page must update its row and RETURN the \
                 new total (DO NOTHING returns no row; a conflict target other than the UNIQUE \
                 (site, path) key lets the duplicate INSERT fail)",
        );
        assert_eq!(
            total, 7,
            "3 views then 4 views make 7: the update must ADD the new views (EXCLUDED.views) \
             to the stored ones, not replace them or add 1"
        );
        assert_eq!(
            stored_views(&client, "blog", "/hello").await,
            [7],
            "the page still has exactly one row, holding 7 views"
        );
        let total = record_views(&client, "blog", "/hello", 5).await.unwrap();
        assert_eq!(total, 12, "7 views then 5 more make 12");
    }

    #[tokio::test]
    async fn the_key_is_the_site_and_the_path_together() {
        let config = test_db("key", SCHEMA).await;
        let client = connect(&config).await;
        record_views(&client, "blog", "/about", 2).await.unwrap();
        let total = record_views(&client, "shop", "/about", 5)
            .await
            .expect("the same path on another site is another page");
        assert_eq!(total, 5, "shop's /about is a new page: its own 5 views");
        record_views(&client, "blog", "/contact", 1).await.unwrap();
        assert_eq!(
            stored_views(&client, "blog", "/about").await,
            [2],
            "blog's /about must keep its own 2 views: the conflict target is UNIQUE (site, path)"
        );
    }

    /// Another server instance records views of the same new page between this
    /// connection's check and its INSERT. To make that moment certain rather than lucky,
    /// a trigger makes each INSERT wait for a lock the other instance holds.
    const GATED: &str = "
        CREATE TABLE page_views (
            id    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            site  text NOT NULL,
            path  text NOT NULL,
            views bigint NOT NULL CHECK (views >= 0),
            UNIQUE (site, path)
        );
        CREATE FUNCTION wait_for_gate() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN PERFORM pg_advisory_xact_lock(2502); RETURN NEW; END $$;
        CREATE TRIGGER gate BEFORE INSERT ON page_views
            FOR EACH ROW EXECUTE FUNCTION wait_for_gate();";

    #[tokio::test]
    async fn a_concurrent_first_view_on_another_connection_is_not_lost() {
        let config = test_db("concurrent", GATED).await;
        let other = connect(&config).await;
        let observer = connect(&config).await;
        let ours = connect(&config).await;
        other
            .batch_execute("SELECT pg_advisory_lock(2502)")
            .await
            .unwrap();
        let other_pid = backend_pid(&other).await;

        let ours_task = tokio::spawn(async move {
            let total = record_views(&ours, "blog", "/launch", 3).await;
            drop(ours);
            total
        });
        assert!(
            wait_until_blocked_by(&observer, other_pid).await,
            "record_views never inserted into page_views for a page that has no row yet"
        );
        // Our statement is about to insert; the other instance records 5 views and commits.
        other
            .batch_execute(
                "INSERT INTO page_views (site, path, views) VALUES ('blog', '/launch', 5)
                 ON CONFLICT (site, path) DO UPDATE SET views = page_views.views + EXCLUDED.views;
                 SELECT pg_advisory_unlock(2502);",
            )
            .await
            .unwrap();
        let total = ours_task.await.unwrap().expect(
            "record_views failed because another connection inserted the same page first: \
             check-then-insert is a race, and the UNIQUE constraint turns it into an error",
        );
        assert_eq!(
            stored_views(&observer, "blog", "/launch").await,
            [8],
            "5 views from the other connection and 3 from ours make 8 in one row"
        );
        assert_eq!(total, 8, "record_views must return the total it stored");
    }

    /// The page already has 3 views. Every statement that writes page_views waits first for
    /// a lock the other instance holds (a statement trigger, which fires before the
    /// statement reads or locks any row), so the other instance can add its views after
    /// whatever this connection read before writing.
    const EXISTING_GATED: &str = "
        CREATE TABLE page_views (
            id    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            site  text NOT NULL,
            path  text NOT NULL,
            views bigint NOT NULL CHECK (views >= 0),
            UNIQUE (site, path)
        );
        INSERT INTO page_views (site, path, views) VALUES ('blog', '/hello', 3);
        CREATE FUNCTION wait_for_gate() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN PERFORM pg_advisory_xact_lock(2512); RETURN NULL; END $$;
        CREATE TRIGGER gate_insert BEFORE INSERT ON page_views
            FOR EACH STATEMENT EXECUTE FUNCTION wait_for_gate();
        CREATE TRIGGER gate_update BEFORE UPDATE ON page_views
            FOR EACH STATEMENT EXECUTE FUNCTION wait_for_gate();";

    #[tokio::test]
    async fn views_added_meanwhile_by_another_connection_are_not_lost() {
        let config = test_db("existing", EXISTING_GATED).await;
        let other = connect(&config).await;
        let observer = connect(&config).await;
        let ours = connect(&config).await;
        other
            .batch_execute("SELECT pg_advisory_lock(2512)")
            .await
            .unwrap();
        let other_pid = backend_pid(&other).await;

        let ours_task = tokio::spawn(async move {
            let total = record_views(&ours, "blog", "/hello", 4).await;
            drop(ours);
            total
        });
        assert!(
            wait_until_blocked_by(&observer, other_pid).await,
            "record_views never wrote to page_views for a page that has 3 views"
        );
        // Our write is about to start; the other instance adds 5 views and commits. (If we
        // locked the row when reading it, it waits for us instead: the gate opens first.)
        let row_locked_by_us = observer
            .batch_execute(
                "SELECT 1 FROM page_views WHERE site = 'blog' AND path = '/hello' FOR UPDATE NOWAIT",
            )
            .await
            .is_err();
        let add_five =
            "UPDATE page_views SET views = views + 5 WHERE site = 'blog' AND path = '/hello'";
        if row_locked_by_us {
            other
                .batch_execute(&format!("SELECT pg_advisory_unlock(2512); {add_five}"))
                .await
                .unwrap();
        } else {
            other
                .batch_execute(&format!("{add_five}; SELECT pg_advisory_unlock(2512);"))
                .await
                .unwrap();
        }
        let total = ours_task
            .await
            .unwrap()
            .expect("recording 4 more views of a page that has some");
        assert_eq!(
            stored_views(&observer, "blog", "/hello").await,
            [12],
            "3 views, then 5 from another connection and 4 from ours make 12: a total computed \
             in Rust from a read made before the other connection's write puts the old count \
             back (a lost update); let the database add, in the statement that writes"
        );
        let expected_total = if row_locked_by_us { 7 } else { 12 };
        assert_eq!(
            total, expected_total,
            "record_views must return the total it stored"
        );
    }
}
