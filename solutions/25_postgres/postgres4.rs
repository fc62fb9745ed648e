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
    // Back to the pool before waiting for a connection again.
    drop(client);
    log_access(&pool, id).await?;
    Ok(Json(order))
}

/// Records that someone read order `order_id`.
async fn log_access(pool: &Pool, order_id: i64) -> Result<(), StatusCode> {
    let client = pool
        .get()
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

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
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

    use axum::body::Body;
    use axum::http::Request;
    use deadpool_postgres::{Hook, HookError};
    use std::collections::HashSet;
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use tokio::sync::Barrier;
    use tower::ServiceExt;

    /// What the pool saw: the server process (pid) of every connection it opened, and
    /// whether its first two connections were open at the same time (two requests in
    /// flight at once), which the pool waits for so that the test is not left to luck.
    struct PoolWatch {
        pids: Mutex<HashSet<i32>>,
        created: AtomicUsize,
        both_at_once: Barrier,
        serialized: AtomicBool,
    }

    /// The service's pool: 2 connections (the database's limit for it), and a request
    /// that finds none free gives up after 300 ms rather than hang. With
    /// `requests_at_once`, its first two connections wait for each other.
    fn pool_of_two(config: Config, requests_at_once: bool) -> (Pool, Arc<PoolWatch>) {
        let watch = Arc::new(PoolWatch {
            pids: Mutex::new(HashSet::new()),
            created: AtomicUsize::new(0),
            both_at_once: Barrier::new(2),
            serialized: AtomicBool::new(false),
        });
        let hook_watch = watch.clone();
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(2)
            .wait_timeout(Some(Duration::from_millis(300)))
            .runtime(Runtime::Tokio1)
            .post_create(Hook::async_fn(move |client, _| {
                let watch = hook_watch.clone();
                Box::pin(async move {
                    let pid: i32 = client
                        .query_one("SELECT pg_backend_pid()", &[])
                        .await
                        .map_err(HookError::Backend)?
                        .get(0);
                    watch.pids.lock().unwrap().insert(pid);
                    if requests_at_once && watch.created.fetch_add(1, Ordering::SeqCst) < 2 {
                        let waited = tokio::time::timeout(
                            Duration::from_millis(500),
                            watch.both_at_once.wait(),
                        )
                        .await;
                        if waited.is_err() {
                            watch.serialized.store(true, Ordering::SeqCst);
                        }
                    }
                    Ok(())
                })
            }))
            .build()
            .unwrap();
        (pool, watch)
    }

    async fn get_json(app: Router, uri: String) -> (StatusCode, Value) {
        let response = app
            .oneshot(Request::get(&uri).body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    /// Sends the requests for `ids` all at once and checks every answer.
    async fn read_orders_at_once(app: Router, ids: &[i64]) {
        let mut requests = tokio::task::JoinSet::new();
        for &id in ids {
            let app = app.clone();
            requests.spawn(async move { (id, get_json(app, format!("/orders/{id}")).await) });
        }
        let items = ["keyboard", "monitor", "desk"];
        loop {
            // A safety net: the requests answer in milliseconds, or wait for each other.
            let answer = tokio::time::timeout(Duration::from_secs(2), requests.join_next())
                .await
                .unwrap_or_else(|_| {
                    panic!(
                        "{} requests at once on a pool of 2 were still waiting after 2 s: each \
                         holds a connection and waits for another one, so no wait timeout is \
                         long enough; give the first connection back before asking for a second",
                        ids.len()
                    )
                });
            let Some(answer) = answer else { break };
            let (id, (status, body)) = answer.unwrap();
            assert_eq!(
                status,
                StatusCode::OK,
                "GET /orders/{id} with {} requests at once on a pool of 2 answered {status}: a \
                 request that holds its connection while it waits for a second one starves the \
                 pool (each request holds one, both wait for the other until the timeout)",
                ids.len()
            );
            assert_eq!(
                body,
                json!({"id": id, "item": items[id as usize - 1]}),
                "GET /orders/{id} returns the order as JSON"
            );
        }
    }

    async fn check_access_log(config: &Config, watch: &PoolWatch, expected: &[i64]) {
        let client = connect(config).await;
        let rows = client
            .query("SELECT order_id, backend_pid FROM access_log", &[])
            .await
            .unwrap();
        let mut logged: Vec<i64> = rows.iter().map(|r| r.get(0)).collect();
        logged.sort();
        let mut expected = expected.to_vec();
        expected.sort();
        assert_eq!(
            logged, expected,
            "every read of an order must be logged once in access_log (a request must not skip \
             its log when no connection is free)"
        );
        let pool_pids = watch.pids.lock().unwrap().clone();
        for row in &rows {
            let pid: i32 = row.get(1);
            assert!(
                pool_pids.contains(&pid),
                "an access_log row was written by a connection that is not from the service's \
                 pool (another pool, or a connection per request): the database's limit counts \
                 those too, so go through the pool you were given"
            );
        }
        assert!(
            pool_pids.len() <= 2,
            "the pool opened {} connections: the database allows this service 2, so the pool \
             must not grow (a bigger pool only moves the starvation to a higher load)",
            pool_pids.len()
        );
        assert!(
            !watch.serialized.load(Ordering::SeqCst),
            "the requests never held a connection at the same time: a lock that lets one \
             request run at a time hides the starvation and serves a single user"
        );
    }

    #[tokio::test]
    async fn two_requests_at_once_on_a_pool_of_two() {
        let config = test_db("two_at_once", SCHEMA).await;
        let (pool, watch) = pool_of_two(config.clone(), true);
        read_orders_at_once(app(pool.clone()), &[1, 2]).await;
        check_access_log(&config, &watch, &[1, 2]).await;
        pool.close();
    }

    #[tokio::test]
    async fn six_requests_at_once_on_a_pool_of_two() {
        let config = test_db("six_at_once", SCHEMA).await;
        let (pool, watch) = pool_of_two(config.clone(), true);
        read_orders_at_once(app(pool.clone()), &[1, 2, 3, 1, 2, 3]).await;
        check_access_log(&config, &watch, &[1, 1, 2, 2, 3, 3]).await;
        pool.close();
    }

    #[tokio::test]
    async fn a_missing_order_is_404_and_not_logged() {
        let config = test_db("missing", SCHEMA).await;
        let (pool, _watch) = pool_of_two(config.clone(), false);
        let (status, _) = get_json(app(pool.clone()), "/orders/99".to_string()).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "order 99 does not exist");
        let client = connect(&config).await;
        let logged: i64 = client
            .query_one("SELECT count(*) FROM access_log", &[])
            .await
            .unwrap()
            .get(0);
        assert_eq!(logged, 0, "a read that found nothing is not logged");
        pool.close();
    }
}
