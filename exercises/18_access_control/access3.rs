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

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::{Body, to_bytes};
    use axum::http::Request;
    use serde_json::{Value, json};
    use tower::ServiceExt;

    const MALLORY: UserId = 1;
    const VICTIM: UserId = 2;

    /// The columns of one invoice row, read straight from the database.
    #[derive(Debug, PartialEq)]
    struct Row {
        id: i64,
        owner_id: i64,
        customer: String,
        memo: String,
        due_date: Option<String>,
        total_cents: i64,
        status: String,
    }

    struct World {
        state: Arc<AppState>,
        app: Router,
        mallory: String,
        invoice: i64,
    }

    fn world() -> World {
        let state = Arc::new(AppState::new().expect("AppState::new() failed"));
        let invoice = {
            let db = state.db.lock().unwrap();
            db.execute(
                "INSERT INTO invoices (owner_id, customer, total_cents) VALUES (?1, 'Initech', 99000)",
                params![MALLORY],
            )
            .expect("the test inserts an invoice");
            db.last_insert_rowid()
        };
        let mallory = state.sign_in(MALLORY);
        let _victim = state.sign_in(VICTIM);
        World {
            app: app(state.clone()),
            state,
            mallory,
            invoice,
        }
    }

    fn rows(w: &World) -> Vec<Row> {
        let db = w.state.db.lock().unwrap();
        let mut stmt = db
            .prepare(
                "SELECT id, owner_id, customer, memo, due_date, total_cents, status
                 FROM invoices ORDER BY id",
            )
            .expect("the invoices table keeps its columns");
        stmt.query_map([], |row| {
            Ok(Row {
                id: row.get(0)?,
                owner_id: row.get(1)?,
                customer: row.get(2)?,
                memo: row.get(3)?,
                due_date: row.get(4)?,
                total_cents: row.get(5)?,
                status: row.get(6)?,
            })
        })
        .and_then(|rows| rows.collect())
        .expect("the test reads the invoices")
    }

    async fn patch_invoice(w: &World, body: &Value) -> (StatusCode, String) {
        let req = Request::patch(format!("/invoices/{}", w.invoice))
            .header("authorization", format!("Bearer {}", w.mallory))
            .header("content-type", "application/json")
            .body(Body::from(body.to_string()))
            .unwrap();
        let resp = w
            .app
            .clone()
            .oneshot(req)
            .await
            .expect("the router itself cannot fail");
        let status = resp.status();
        let body = to_bytes(resp.into_body(), 1 << 20)
            .await
            .expect("a small body");
        (status, String::from_utf8_lossy(&body).into_owned())
    }

    /// What only the server may change: every row's id, owner, total and status.
    fn protected(w: &World) -> Vec<(i64, i64, i64, String)> {
        rows(w)
            .into_iter()
            .map(|row| (row.id, row.owner_id, row.total_cents, row.status))
            .collect()
    }

    /// The attack must be refused (4xx) or its forbidden fields ignored (200): id, owner,
    /// total and status must be exactly as they were.
    async fn assert_no_effect(w: &World, attack: Value) {
        let before = protected(w);
        let (status, body) = patch_invoice(w, &attack).await;
        let after = protected(w);
        assert!(
            after == before,
            "PATCH {attack} changed what only the server may set: (id, owner_id, total_cents, \
             status) {before:?} became {after:?}. Bind the body to a type with only customer, \
             memo and dueDate"
        );
        assert!(
            status.is_success() || status.is_client_error(),
            "PATCH {attack} answered {status} {body}: refuse it (4xx) or ignore the forbidden \
             field (200), never fail with a server error"
        );
    }

    #[tokio::test]
    async fn the_editable_fields_can_be_edited() {
        let w = world();
        let (status, body) = patch_invoice(
            &w,
            &json!({ "customer": "Initrode", "memo": "net 30", "dueDate": "2026-12-31" }),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "a legitimate PATCH failed: {body}");
        let row = &rows(&w)[0];
        assert_eq!(
            (
                row.customer.as_str(),
                row.memo.as_str(),
                row.due_date.as_deref()
            ),
            ("Initrode", "net 30", Some("2026-12-31")),
            "PATCH with customer, memo and dueDate must update those three columns"
        );
        let returned: Value =
            serde_json::from_str(&body).expect("PATCH answers the invoice as JSON");
        assert_eq!(
            (
                &returned["customer"],
                &returned["dueDate"],
                &returned["status"]
            ),
            (&json!("Initrode"), &json!("2026-12-31"), &json!("draft")),
            "PATCH must answer the updated invoice"
        );
        let (status, _) = patch_invoice(&w, &json!({ "memo": "only the memo" })).await;
        assert_eq!(status, StatusCode::OK, "a PATCH of one field failed");
        let row = &rows(&w)[0];
        assert_eq!(
            (row.customer.as_str(), row.memo.as_str()),
            ("Initrode", "only the memo"),
            "a PATCH must leave the fields it does not mention unchanged"
        );
    }

    #[tokio::test]
    async fn the_owner_cannot_be_reassigned() {
        let w = world();
        // The attack: bill someone else's account, in every spelling the API accepts.
        for attack in [
            json!({ "owner_id": VICTIM }),
            json!({ "ownerId": VICTIM }),
            json!({ "customer": "Initrode", "ownerId": VICTIM }),
            json!({ "memo": "hi", "owner_id": VICTIM, "ownerId": VICTIM }),
        ] {
            assert_no_effect(&w, attack).await;
            assert_eq!(
                rows(&w)[0].owner_id,
                MALLORY,
                "the invoice left its owner: mass assignment of the owner"
            );
        }
    }

    #[tokio::test]
    async fn server_controlled_fields_cannot_be_set() {
        let w = world();
        for attack in [
            json!({ "status": "paid" }),
            json!({ "memo": "thanks", "status": "paid" }),
            json!({ "totalCents": 1 }),
            json!({ "total_cents": 1 }),
            json!({ "id": 424242 }),
        ] {
            assert_no_effect(&w, attack).await;
        }
    }

    #[tokio::test]
    async fn columns_added_later_are_not_writable() {
        let w = world();
        // A later migration adds an internal column; nobody updates the update handler.
        w.state
            .db
            .lock()
            .unwrap()
            .execute_batch("ALTER TABLE invoices ADD COLUMN approved_by INTEGER")
            .expect("the test migrates the table");
        let approved_by = |w: &World| -> Option<i64> {
            w.state
                .db
                .lock()
                .unwrap()
                .query_row("SELECT approved_by FROM invoices", [], |row| row.get(0))
                .expect("the test reads approved_by")
        };
        for attack in [
            json!({ "approvedBy": MALLORY }),
            json!({ "approved_by": MALLORY }),
        ] {
            assert_no_effect(&w, attack.clone()).await;
            assert_eq!(
                approved_by(&w),
                None,
                "PATCH {attack} approved the invoice through a column added by a later \
                 migration: a list of forbidden fields is out of date the day a column is \
                 added; list the allowed ones instead"
            );
        }
    }
}
