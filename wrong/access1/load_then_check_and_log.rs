// wrong fix: loads the invoice by id, compares the owner in Rust, logs the refusal and answers 404: the answer is right, but the victim's row was read (a forgotten comparison, a log line, a timing difference away from a leak) instead of never leaving the database
// access1: scope the query to the caller; don't load first and check afterwards.
//
// `GET /invoices/{id}` and `GET /invoices/{id}/lines` find the invoice by its id alone, so
// any signed-in user reads any customer's invoice by counting ids: an insecure direct
// object reference (IDOR, OWASP A01:2021). Make both queries return only the caller's
// data: put the owner into the SQL (the line items have no owner column: join them to
// their invoice). Someone else's invoice must answer exactly like a missing one (404,
// same body), and must not even be read: loading it to compare owners in Rust is too late.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::routing::get;
use axum::{Json, Router};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

type UserId = i64;

struct AppState {
    db: Mutex<Connection>,
    /// session token -> user
    sessions: Mutex<HashMap<String, UserId>>,
}

impl AppState {
    fn new() -> rusqlite::Result<Self> {
        let conn = Connection::open_in_memory()?;
        conn.execute_batch(
            "CREATE TABLE invoices (
                id          INTEGER PRIMARY KEY,
                owner_id    INTEGER NOT NULL,
                customer    TEXT NOT NULL,
                total_cents INTEGER NOT NULL
            );
            CREATE TABLE invoice_lines (
                id           INTEGER PRIMARY KEY,
                invoice_id   INTEGER NOT NULL REFERENCES invoices(id),
                description  TEXT NOT NULL,
                amount_cents INTEGER NOT NULL
            );",
        )?;
        Ok(AppState {
            db: Mutex::new(conn),
            sessions: Mutex::new(HashMap::new()),
        })
    }

    /// Starts a session (what `POST /login` does once the password checked out).
    fn sign_in(&self, user: UserId) -> String {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).expect("the OS random generator is available");
        let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        self.sessions.lock().unwrap().insert(token.clone(), user);
        token
    }
}

/// The signed-in user: rejects the request with 401 when there is none.
struct AuthUser(UserId);

impl FromRequestParts<Arc<AppState>> for AuthUser {
    type Rejection = StatusCode;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
            .ok_or(StatusCode::UNAUTHORIZED)?;
        let sessions = state.sessions.lock().unwrap();
        sessions
            .get(token)
            .copied()
            .map(AuthUser)
            .ok_or(StatusCode::UNAUTHORIZED)
    }
}

#[derive(Serialize)]
struct Invoice {
    id: i64,
    customer: String,
    total_cents: i64,
}

#[derive(Serialize)]
struct Line {
    description: String,
    amount_cents: i64,
}

fn internal(_: rusqlite::Error) -> StatusCode {
    StatusCode::INTERNAL_SERVER_ERROR
}

fn app(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/invoices", get(list_invoices))
        .route("/invoices/{id}", get(get_invoice))
        .route("/invoices/{id}/lines", get(get_lines))
        .with_state(state)
}

async fn list_invoices(
    State(state): State<Arc<AppState>>,
    AuthUser(user): AuthUser,
) -> Result<Json<Vec<Invoice>>, StatusCode> {
    let db = state.db.lock().unwrap();
    let mut stmt = db
        .prepare("SELECT id, customer, total_cents FROM invoices WHERE owner_id = ?1 ORDER BY id")
        .map_err(internal)?;
    let invoices = stmt
        .query_map(params![user], |row| {
            Ok(Invoice {
                id: row.get(0)?,
                customer: row.get(1)?,
                total_cents: row.get(2)?,
            })
        })
        .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
        .map_err(internal)?;
    Ok(Json(invoices))
}

async fn get_invoice(
    State(state): State<Arc<AppState>>,
    AuthUser(user): AuthUser,
    Path(id): Path<i64>,
) -> Result<Json<Invoice>, StatusCode> {
    let db = state.db.lock().unwrap();
    let invoice = db
        .query_row(
            "SELECT id, customer, total_cents, owner_id FROM invoices WHERE id = ?1",
            params![id],
            |row| {
                Ok((
                    Invoice {
                        id: row.get(0)?,
                        customer: row.get(1)?,
                        total_cents: row.get(2)?,
                    },
                    row.get::<_, i64>(3)?,
                ))
            },
        )
        .optional()
        .map_err(internal)?;
    match invoice {
        Some((invoice, owner)) if owner == user => Ok(Json(invoice)),
        Some((_, owner)) => {
            eprintln!("access denied: user {user} asked for invoice {id} of user {owner}");
            Err(StatusCode::NOT_FOUND)
        }
        None => Err(StatusCode::NOT_FOUND),
    }
}

async fn get_lines(
    State(state): State<Arc<AppState>>,
    AuthUser(user): AuthUser,
    Path(id): Path<i64>,
) -> Result<Json<Vec<Line>>, StatusCode> {
    let db = state.db.lock().unwrap();
    let owner: Option<i64> = db
        .query_row("SELECT owner_id FROM invoices WHERE id = ?1", params![id], |row| row.get(0))
        .optional()
        .map_err(internal)?;
    if owner != Some(user) {
        if let Some(owner) = owner {
            eprintln!("access denied: user {user} asked for invoice {id} of user {owner}");
        }
        return Err(StatusCode::NOT_FOUND);
    }
    let mut stmt = db
        .prepare(
            "SELECT description, amount_cents FROM invoice_lines WHERE invoice_id = ?1 ORDER BY id",
        )
        .map_err(internal)?;
    let lines = stmt
        .query_map(params![id], |row| {
            Ok(Line {
                description: row.get(0)?,
                amount_cents: row.get(1)?,
            })
        })
        .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
        .map_err(internal)?;
    Ok(Json(lines))
}

fn main() -> rusqlite::Result<()> {
    let state = Arc::new(AppState::new()?);
    println!("alice's token: {}", state.sign_in(1));
    let _ = app(state);
    Ok(())
}

