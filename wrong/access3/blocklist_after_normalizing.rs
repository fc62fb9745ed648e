// wrong fix: normalizes the key, then skips a list of forbidden columns: it covers today's table, but the first column a later migration adds (approved_by) is writable by every client; only an allow-list fails closed
// access3: mass assignment: bind a request to the fields a client may change, no more.
//
// `PATCH /invoices/{id}` copies every JSON field of the body onto the column of the same
// name (camelCase accepted for the JavaScript client). So the owner of a draft can also
// send `"ownerId": 2` and bill another account, `"status": "paid"` to skip the payment,
// or `"id"`: every column is writable, including the ones a future migration adds
// (OWASP A01:2021). Only `customer`, `memo` and `dueDate` are the client's to edit:
// bind the body to a type that has those fields and nothing else (unknown fields refused
// or ignored), and update exactly those columns.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::routing::patch;
use axum::{Json, Router};
use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use serde_json::{Map, Value};

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
                memo        TEXT NOT NULL DEFAULT '',
                due_date    TEXT,
                total_cents INTEGER NOT NULL,
                status      TEXT NOT NULL DEFAULT 'draft'
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
#[serde(rename_all = "camelCase")]
struct Invoice {
    id: i64,
    customer: String,
    memo: String,
    due_date: Option<String>,
    total_cents: i64,
    status: String,
}

fn internal(_: rusqlite::Error) -> StatusCode {
    StatusCode::INTERNAL_SERVER_ERROR
}

fn app(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/invoices/{id}", patch(update_invoice))
        .with_state(state)
}

/// `dueDate` -> `due_date`.
fn snake_case(key: &str) -> String {
    let mut out = String::new();
    for c in key.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

fn to_sql(value: &Value) -> Result<SqlValue, StatusCode> {
    match value {
        Value::Null => Ok(SqlValue::Null),
        Value::String(text) => Ok(SqlValue::Text(text.clone())),
        Value::Number(n) => n
            .as_i64()
            .map(SqlValue::Integer)
            .ok_or(StatusCode::UNPROCESSABLE_ENTITY),
        _ => Err(StatusCode::UNPROCESSABLE_ENTITY),
    }
}

async fn update_invoice(
    State(state): State<Arc<AppState>>,
    AuthUser(user): AuthUser,
    Path(id): Path<i64>,
    Json(changes): Json<Map<String, Value>>,
) -> Result<Json<Invoice>, StatusCode> {
    let db = state.db.lock().unwrap();
    let columns: Vec<String> = db
        .prepare("SELECT name FROM pragma_table_info('invoices')")
        .and_then(|mut stmt| stmt.query_map([], |row| row.get(0))?.collect())
        .map_err(internal)?;
    let mine = db
        .query_row(
            "SELECT 1 FROM invoices WHERE id = ?1 AND owner_id = ?2",
            params![id, user],
            |_| Ok(()),
        )
        .optional()
        .map_err(internal)?;
    if mine.is_none() {
        return Err(StatusCode::NOT_FOUND);
    }
    // TODO: every column of the table can be written through the API.
    let mut id = id;
    for (key, value) in &changes {
        let column = snake_case(key);
        if ["id", "owner_id", "status", "total_cents"].contains(&column.as_str()) {
            continue;
        }
        if !columns.contains(&column) {
            return Err(StatusCode::UNPROCESSABLE_ENTITY);
        }
        // `column` is one of the table's own column names, never free text.
        let sql = format!("UPDATE invoices SET {column} = ?1 WHERE id = ?2");
        db.execute(&sql, params![to_sql(value)?, id])
            .map_err(|_| StatusCode::UNPROCESSABLE_ENTITY)?;
        if column == "id" {
            id = value.as_i64().unwrap_or(id);
        }
    }
    db.query_row(
        "SELECT id, customer, memo, due_date, total_cents, status FROM invoices WHERE id = ?1",
        params![id],
        |row| {
            Ok(Invoice {
                id: row.get(0)?,
                customer: row.get(1)?,
                memo: row.get(2)?,
                due_date: row.get(3)?,
                total_cents: row.get(4)?,
                status: row.get(5)?,
            })
        },
    )
    .map(Json)
    .map_err(internal)
}

fn main() -> rusqlite::Result<()> {
    let state = Arc::new(AppState::new()?);
    println!("alice's token: {}", state.sign_in(1));
    let _ = app(state);
    Ok(())
}

