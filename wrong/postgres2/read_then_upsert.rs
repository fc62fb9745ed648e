// wrong fix: reads the counter, adds the new views in Rust and upserts the total with SET views = EXCLUDED.views: one statement writes, but the sum was computed from a read that another connection's views can overtake
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
    // Read the current count, add in Rust, and upsert the new total.
    let stored: i64 = client
        .query_opt(
            "SELECT views FROM page_views WHERE site = $1 AND path = $2",
            &[&site, &path],
        )
        .await?
        .map_or(0, |row| row.get("views"));
    let total = stored + n;
    let row = client
        .query_one(
            "INSERT INTO page_views (site, path, views) VALUES ($1, $2, $3)
             ON CONFLICT (site, path) DO UPDATE SET views = EXCLUDED.views
             RETURNING views",
            &[&site, &path, &total],
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

