// wrong fix: keeps the first connection across log_access but waits up to 10 s (timeout_get) for the second: with every connection held by a request that waits for another, no wait is long enough; the requests hang until the timeout instead of failing fast
// postgres4: a pooled connection is held only while it is used.
//
// The service gets 2 connections from a pool (`deadpool_postgres`), the database's limit.
// `get_order` checks a connection out, reads the order, and then calls `log_access`,
// which checks out a SECOND connection while the first is still held. Two requests at
// once each hold one connection and wait for another that never comes: the pool is
// starved and both fail when the wait times out (503). Give a connection back to the
// pool (drop it) before you wait for anything else, or run both statements on the one
// connection you hold. A bigger pool only raises the load at which it breaks.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use serde_json::{Value, json};
use std::time::Duration;
use tokio_postgres::NoTls;

const SCHEMA: &str = "
    CREATE TABLE orders (id bigint PRIMARY KEY, item text NOT NULL);
    CREATE TABLE access_log (
        order_id    bigint NOT NULL,
        backend_pid int NOT NULL DEFAULT pg_backend_pid()
    );
    INSERT INTO orders (id, item) VALUES (1, 'keyboard'), (2, 'monitor'), (3, 'desk');";

fn app(pool: Pool) -> Router {
    Router::new()
        .route("/orders/{id}", get(get_order))
        .with_state(pool)
}

async fn get_order(
    State(pool): State<Pool>,
    Path(id): Path<i64>,
) -> Result<Json<Value>, StatusCode> {
    let client = pool
        .get()
        .await
        .map_err(|_| StatusCode::SERVICE_UNAVAILABLE)?;
    let row = client
        .query_opt("SELECT id, item FROM orders WHERE id = $1", &[&id])
        .await
        .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?
        .ok_or(StatusCode::NOT_FOUND)?;
    let order = json!({"id": row.get::<_, i64>("id"), "item": row.get::<_, String>("item")});
    log_access(&pool, id).await?;
    drop(client);
    Ok(Json(order))
}

/// Records that someone read order `order_id`.
async fn log_access(pool: &Pool, order_id: i64) -> Result<(), StatusCode> {
    // The pool's 300 ms are too short under load: wait up to 10 s for a connection here.
    let client = pool
        .timeout_get(&deadpool_postgres::Timeouts::wait_millis(10_000))
        .await
        .map_err(|_| StatusCode::SERVICE_UNAVAILABLE)?;
    client
        .execute(
            "INSERT INTO access_log (order_id) VALUES ($1)",
            &[&order_id],
        )
        .await
        .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
    Ok(())
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let Ok(url) = std::env::var("DATABASE_URL") else {
        println!("DATABASE_URL is not set: `backlings` starts PostgreSQL and sets it.");
        return;
    };
    let mut config: tokio_postgres::Config = url.parse().expect("a PostgreSQL URL");
    // Temporary tables, on the pool's only connection: the demo leaves nothing behind.
    config.options("-c search_path=pg_temp");
    let manager = Manager::from_config(
        config,
        NoTls,
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    let pool = Pool::builder(manager)
        .max_size(1)
        .wait_timeout(Some(Duration::from_secs(1)))
        .runtime(Runtime::Tokio1)
        .build()
        .expect("a pool");
    let client = pool.get().await.expect("a connection");
    client.batch_execute(SCHEMA).await.expect("the demo tables");
    drop(client);
    let request = axum::http::Request::get("/orders/1")
        .body(axum::body::Body::empty())
        .unwrap();
    let response = tower::ServiceExt::oneshot(app(pool), request)
        .await
        .unwrap();
    println!(
        "GET /orders/1 with a pool of one connection: {}",
        response.status()
    );
}

