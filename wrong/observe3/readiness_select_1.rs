// wrong fix: readiness opens a connection and runs `SELECT 1`: in SQLite that reads no table (and takes no lock), so a locked database still looks ready
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

async fn livez() -> &'static str {
    "alive"
}


/// Readiness: the app state (and its database path) is set up, so we can take traffic.
async fn readyz(State(state): State<AppState>) -> (StatusCode, &'static str) {
    match state
        .connect()
        .and_then(|conn| conn.query_row("SELECT 1", [], |row| row.get::<_, i64>(0)))
    {
        Ok(_) => (StatusCode::OK, "ready"),
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "database unavailable"),
    }
}

fn main() {
    let _ = app(AppState {
        db_path: Arc::new(std::env::temp_dir().join("observe3-demo.db")),
    });
    println!("routes: /orders/count, /livez, /readyz");
}

