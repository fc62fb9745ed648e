// wrong fix: ignores the Idempotency-Key and deduplicates on a SHA-256 of the request body: two genuine, identical payments (two coffees) become one, and a request without a key goes through
// money4: an idempotent payment endpoint: a retried request charges once.
//
// A client whose `POST /payments` timed out can't tell whether the payment went through,
// so it sends the same request again, with the same `Idempotency-Key` header (the scheme
// Stripe's API uses). This handler charges every request it receives: a retry charges the
// customer twice. Require the key (400 without one). Store it with the request and the
// response in the same database transaction as the charge; answer a known key with the
// stored response, charging nothing, or with 422 if its request differs from the first.

use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use rusqlite::{Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

type Db = Arc<Mutex<Connection>>;

fn create_schema(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(
        "CREATE TABLE payments (
             id           INTEGER PRIMARY KEY,
             account      TEXT NOT NULL,
             amount_cents INTEGER NOT NULL CHECK (amount_cents > 0)
         );
         CREATE TABLE idempotency_keys (
             key      TEXT PRIMARY KEY,
             request  TEXT NOT NULL,    -- the first request made with this key, as JSON
             status   INTEGER NOT NULL, -- and the response it got
             response TEXT NOT NULL
         );",
    )
}

#[derive(Deserialize, Serialize)]
struct PaymentRequest {
    account: String,
    amount_cents: i64,
}

#[derive(Serialize)]
struct Payment {
    payment_id: i64,
    account: String,
    amount_cents: i64,
}

fn app(db: Db) -> Router {
    Router::new()
        .route("/payments", post(create_payment))
        .with_state(db)
}

/// Charges the customer: in this exercise, records the payment.
fn charge(conn: &Connection, request: &PaymentRequest) -> rusqlite::Result<Payment> {
    conn.execute(
        "INSERT INTO payments (account, amount_cents) VALUES (?1, ?2)",
        (&request.account, request.amount_cents),
    )?;
    Ok(Payment {
        payment_id: conn.last_insert_rowid(),
        account: request.account.clone(),
        amount_cents: request.amount_cents,
    })
}

fn internal_error(_: impl std::fmt::Debug) -> StatusCode {
    StatusCode::INTERNAL_SERVER_ERROR
}

async fn create_payment(
    State(db): State<Db>,
    Json(request): Json<PaymentRequest>,
) -> Result<(StatusCode, Json<serde_json::Value>), StatusCode> {
    // The request as the server understood it, to compare with a later use of the key.
    let request_json = serde_json::to_string(&request).map_err(internal_error)?;
    let digest = Sha256::digest(request_json.as_bytes());
    let key: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    let key = key.as_str();
    let mut conn = db.lock().unwrap();
    // The key, the charge and the stored response commit together or not at all.
    let tx = conn.transaction().map_err(internal_error)?;
    let first_use: Option<(String, u16, String)> = tx
        .query_row(
            "SELECT request, status, response FROM idempotency_keys WHERE key = ?1",
            [key],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
        )
        .optional()
        .map_err(internal_error)?;
    if let Some((first_request, status, response)) = first_use {
        if first_request != request_json {
            return Err(StatusCode::UNPROCESSABLE_ENTITY);
        }
        let status = StatusCode::from_u16(status).map_err(internal_error)?;
        let response = serde_json::from_str(&response).map_err(internal_error)?;
        return Ok((status, Json(response)));
    }
    let payment = charge(&tx, &request).map_err(internal_error)?;
    let response = serde_json::to_value(&payment).map_err(internal_error)?;
    tx.execute(
        "INSERT INTO idempotency_keys (key, request, status, response)
         VALUES (?1, ?2, ?3, ?4)",
        (
            key,
            &request_json,
            StatusCode::CREATED.as_u16(),
            response.to_string(),
        ),
    )
    .map_err(internal_error)?;
    tx.commit().map_err(internal_error)?;
    Ok((StatusCode::CREATED, Json(response)))
}

fn main() {
    let conn = Connection::open_in_memory().unwrap();
    create_schema(&conn).unwrap();
    let _app = app(Arc::new(Mutex::new(conn)));
    println!("POST /payments with an Idempotency-Key header");
}
