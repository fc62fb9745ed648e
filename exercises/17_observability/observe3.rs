// observe3: liveness and readiness are different questions.
//
// An orchestrator asks two things. `/livez`: is the process stuck (restart it)? `/readyz`:
// can it serve right now (else send traffic elsewhere for a while)? Here they are
// swapped: `/livez` queries the database, so a database outage restarts every instance in
// a loop, and `/readyz` answers 200 whatever the database does. Make `/livez` depend on
// the process only, and `/readyz` check the database the way requests use it (a query on
// `orders`, failing fast): 503 while it cannot, 200 again once it can.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use rusqlite::{Connection, OpenFlags};

#[derive(Clone)]
struct AppState {
    /// The SQLite database file; each request opens its own connection.
    db_path: Arc<PathBuf>,
}

impl AppState {
    /// A connection to the existing database (never creates an empty one).
    fn connect(&self) -> rusqlite::Result<Connection> {
        let conn = Connection::open_with_flags(
            &*self.db_path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        // A probe must answer quickly: don't wait 5 s for a lock.
        conn.busy_timeout(Duration::from_millis(20))?;
        Ok(conn)
    }
}

fn app(state: AppState) -> Router {
    Router::new()
        .route("/orders/count", get(count_orders))
        .route("/livez", get(livez))
        .route("/readyz", get(readyz))
        .with_state(state)
}

async fn count_orders(State(state): State<AppState>) -> Result<String, StatusCode> {
    let conn = state
        .connect()
        .map_err(|_| StatusCode::SERVICE_UNAVAILABLE)?;
    let count: i64 = conn
        .query_row("SELECT count(*) FROM orders", [], |row| row.get(0))
        .map_err(|_| StatusCode::SERVICE_UNAVAILABLE)?;
    Ok(count.to_string())
}

// TODO: the two probes answer each other's question.

/// Liveness: can we reach the database?
async fn livez(State(state): State<AppState>) -> (StatusCode, &'static str) {
    let alive = state.connect().and_then(|conn| {
        conn.query_row("SELECT count(*) FROM orders", [], |row| {
            row.get::<_, i64>(0)
        })
    });
    match alive {
        Ok(_) => (StatusCode::OK, "alive"),
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "database unavailable"),
    }
}

/// Readiness: the app state (and its database path) is set up, so we can take traffic.
async fn readyz(State(_state): State<AppState>) -> (StatusCode, &'static str) {
    (StatusCode::OK, "ready")
}

fn main() {
    let _ = app(AppState {
        db_path: Arc::new(std::env::temp_dir().join("observe3-demo.db")),
    });
    println!("routes: /orders/count, /livez, /readyz");
}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt;

    /// A database file of its own for one test, removed at the end.
    struct TempDb(PathBuf);

    impl TempDb {
        fn new() -> TempDb {
            let mut random = [0u8; 8];
            getrandom::fill(&mut random).unwrap();
            let name: String = random.iter().map(|b| format!("{b:02x}")).collect();
            let db = TempDb(std::env::temp_dir().join(format!("observe3-{name}.db")));
            db.create();
            db
        }
        fn create(&self) {
            let conn = Connection::open(&self.0).unwrap();
            conn.execute_batch(
                "CREATE TABLE IF NOT EXISTS orders (id INTEGER PRIMARY KEY, total INTEGER);
                 INSERT INTO orders (total) VALUES (1250), (990);",
            )
            .unwrap();
        }
        fn remove(&self) {
            for suffix in ["", "-journal", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", self.0.display()));
            }
        }
    }

    impl Drop for TempDb {
        fn drop(&mut self) {
            self.remove();
        }
    }

    async fn status(app: &Router, path: &str) -> StatusCode {
        let response = app
            .clone()
            .oneshot(Request::get(path).body(Body::empty()).unwrap())
            .await
            .expect("the router itself cannot fail");
        response.status()
    }

    fn setup() -> (TempDb, Router) {
        let db = TempDb::new();
        let router = app(AppState {
            db_path: Arc::new(db.0.clone()),
        });
        (db, router)
    }

    #[tokio::test]
    async fn a_healthy_service_is_alive_and_ready() {
        let (_db, app) = setup();
        assert_eq!(
            status(&app, "/orders/count").await,
            StatusCode::OK,
            "the database works"
        );
        assert_eq!(
            status(&app, "/livez").await,
            StatusCode::OK,
            "a running process is alive"
        );
        assert_eq!(
            status(&app, "/readyz").await,
            StatusCode::OK,
            "with the database up, the service is ready for traffic"
        );
    }

    #[tokio::test]
    async fn a_locked_database_makes_it_unready_but_alive() {
        let (db, app) = setup();
        // Another process holds an exclusive lock (a long migration, a backup, a stuck writer).
        let locker = Connection::open(&db.0).unwrap();
        locker.execute_batch("BEGIN EXCLUSIVE").unwrap();
        assert_eq!(
            status(&app, "/orders/count").await,
            StatusCode::SERVICE_UNAVAILABLE,
            "(setup) requests cannot read the locked database"
        );
        assert_eq!(
            status(&app, "/readyz").await,
            StatusCode::SERVICE_UNAVAILABLE,
            "requests fail while the database is locked, yet /readyz said ready: readiness must \
             run a real query on the database (`SELECT 1` alone never touches SQLite's file), \
             every time it is asked"
        );
        assert_eq!(
            status(&app, "/livez").await,
            StatusCode::OK,
            "/livez failed because the database is locked: the orchestrator would restart every \
             instance in a loop, which cannot fix a database. Liveness is about the process only"
        );
        locker.execute_batch("COMMIT").unwrap();
        assert_eq!(
            status(&app, "/readyz").await,
            StatusCode::OK,
            "the lock is gone but /readyz still says unready: it must recover on its own"
        );
    }

    #[tokio::test]
    async fn a_missing_database_makes_it_unready_but_alive_and_it_recovers() {
        let (db, app) = setup();
        assert_eq!(
            status(&app, "/readyz").await,
            StatusCode::OK,
            "ready at first"
        );
        db.remove();
        assert_eq!(
            status(&app, "/readyz").await,
            StatusCode::SERVICE_UNAVAILABLE,
            "the database file is gone, yet /readyz said ready: check the database requests \
             use, not that the app state or a path exists"
        );
        assert_eq!(
            status(&app, "/livez").await,
            StatusCode::OK,
            "/livez failed because the database is gone: liveness must not depend on it \
             (restarting the process cannot bring a database back)"
        );
        assert!(
            !db.0.exists(),
            "a probe created an empty database file where the real one was missing"
        );
        db.create();
        assert_eq!(
            status(&app, "/readyz").await,
            StatusCode::OK,
            "the database is back but /readyz still says unready: readiness must recover"
        );
        assert_eq!(
            status(&app, "/orders/count").await,
            StatusCode::OK,
            "requests work again"
        );
    }

    #[tokio::test]
    async fn a_database_without_the_table_is_not_ready() {
        let (db, app) = setup();
        // A restore gone wrong: the file exists but it is an empty database.
        db.remove();
        Connection::open(&db.0)
            .unwrap()
            .execute_batch("CREATE TABLE unrelated (x)")
            .unwrap();
        assert_eq!(
            status(&app, "/readyz").await,
            StatusCode::SERVICE_UNAVAILABLE,
            "the database has no `orders` table, so every request fails, yet /readyz said \
             ready: query what the requests need"
        );
    }
}
