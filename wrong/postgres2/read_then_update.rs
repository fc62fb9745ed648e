// wrong fix: reads the counter first; a known page gets UPDATE ... SET views = <total computed in Rust>, a new one the upsert: another connection's views added between the read and the write are overwritten (a lost update)
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
    let stored = client
        .query_opt(
            "SELECT views FROM page_views WHERE site = $1 AND path = $2",
            &[&site, &path],
        )
        .await?;
    let row = match stored {
        // A known page: write the new total.
        Some(row) => {
            let total = row.get::<_, i64>("views") + n;
            client
                .query_one(
                    "UPDATE page_views SET views = $3 WHERE site = $1 AND path = $2
                     RETURNING views",
                    &[&site, &path, &total],
                )
                .await?
        }
        // A new page: the upsert covers a concurrent first view.
        None => {
            client
                .query_one(
                    "INSERT INTO page_views (site, path, views) VALUES ($1, $2, $3)
                     ON CONFLICT (site, path) DO UPDATE SET views = page_views.views + EXCLUDED.views
                     RETURNING views",
                    &[&site, &path, &n],
                )
                .await?
        }
    };
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

