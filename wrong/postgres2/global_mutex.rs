// wrong fix: wraps the SELECT-then-INSERT in a static Mutex: it serializes this process only; another server instance (another connection) still inserts in between
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
    static LOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    let _guard = LOCK.lock().await;
    // TODO: another connection can insert this page between the SELECT and the INSERT.
    let current = client
        .query_opt(
            "SELECT views FROM page_views WHERE site = $1 AND path = $2",
            &[&site, &path],
        )
        .await?;
    match current {
        Some(row) => {
            let total = row.get::<_, i64>("views") + n;
            client
                .execute(
                    "UPDATE page_views SET views = $3 WHERE site = $1 AND path = $2",
                    &[&site, &path, &total],
                )
                .await?;
            Ok(total)
        }
        None => {
            client
                .execute(
                    "INSERT INTO page_views (site, path, views) VALUES ($1, $2, $3)",
                    &[&site, &path, &n],
                )
                .await?;
            Ok(n)
        }
    }
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

