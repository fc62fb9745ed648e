// wrong fix: treats a missing header as the empty key (unwrap_or_default): every request without a key after the first replays the first one instead of making a new payment
// resilience3: an idempotency key makes a retried POST safe.
//
// `POST /payments` charges a card through the payment provider. A client whose connection
// dropped cannot know whether the payment went through, so it retries with the same
// `Idempotency-Key` header, as our API documentation asks. The handler ignores the key and
// charges again. Make a keyed request act at most once: a retry gets the first response
// (same status and body) without a new charge, and one that arrives while the first is
// still running gets 409 Conflict. If the charge failed, nothing happened: the key may be
// used again. Requests without a key are charged every time.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Deserialize;
use serde_json::{Value, json};

async fn create_payment(
    State(state): State<AppState>,
    headers: HeaderMap,
    Json(payment): Json<NewPayment>,
) -> Response {
    let key = headers
        .get("idempotency-key")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
        .unwrap_or_default();
    // Claim the key BEFORE acting. The primary key makes the claim atomic: of two
    // concurrent requests with the same key, exactly one inserts the row.
    let claimed = {
        let db = state.db.lock().unwrap();
        db.execute(
            "INSERT INTO idempotency_keys (key) VALUES (?1) ON CONFLICT (key) DO NOTHING",
            [&key],
        )
        .expect("claim the idempotency key")
            == 1
    };
    if !claimed {
        let db = state.db.lock().unwrap();
        let saved: Option<(Option<u16>, Option<String>)> = db
            .query_row(
                "SELECT status, body FROM idempotency_keys WHERE key = ?1",
                [&key],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()
            .expect("read the idempotency key");
        return match saved {
            Some((Some(status), Some(body))) => (
                StatusCode::from_u16(status).expect("a status we saved"),
                Json(serde_json::from_str::<Value>(&body).expect("a body we saved")),
            )
                .into_response(),
            _ => (
                StatusCode::CONFLICT,
                Json(json!({"error": "a request with this key is in progress"})),
            )
                .into_response(),
        };
    }
    let (status, body) = charge(&state, payment.amount_cents).await;
    let db = state.db.lock().unwrap();
    if status.is_success() {
        // Later retries replay this exact response.
        db.execute(
            "UPDATE idempotency_keys SET status = ?2, body = ?3 WHERE key = ?1",
            params![key, status.as_u16(), body.to_string()],
        )
        .expect("save the response");
    } else {
        // Nothing was charged: release the key so that a retry can try again.
        db.execute("DELETE FROM idempotency_keys WHERE key = ?1", [&key])
            .expect("release the idempotency key");
    }
    (status, Json(body)).into_response()
}

/// The payment provider's API: charges an amount, gives its reference for the charge.
type Provider = Arc<
    dyn Fn(u32) -> Pin<Box<dyn Future<Output = Result<String, ProviderError>> + Send>>
        + Send
        + Sync,
>;

#[derive(Debug)]
struct ProviderError;

#[derive(Clone)]
struct AppState {
    db: Arc<Mutex<Connection>>,
    provider: Provider,
}

#[derive(Deserialize)]
struct NewPayment {
    amount_cents: u32,
}

/// Charges the card and records the charge: the response to send.
async fn charge(state: &AppState, amount_cents: u32) -> (StatusCode, Value) {
    match (state.provider)(amount_cents).await {
        Ok(reference) => {
            let db = state.db.lock().unwrap();
            db.execute(
                "INSERT INTO charges (provider_ref, amount_cents) VALUES (?1, ?2)",
                (&reference, amount_cents),
            )
            .expect("record the charge");
            let id = db.last_insert_rowid();
            (
                StatusCode::CREATED,
                json!({"id": id, "amount_cents": amount_cents, "provider_ref": reference}),
            )
        }
        Err(ProviderError) => (
            StatusCode::BAD_GATEWAY,
            json!({"error": "the payment provider failed, nothing was charged"}),
        ),
    }
}

fn open_db() -> Connection {
    let db = Connection::open_in_memory().expect("open SQLite in memory");
    db.execute_batch(
        "CREATE TABLE charges (
             id INTEGER PRIMARY KEY,
             provider_ref TEXT NOT NULL,
             amount_cents INTEGER NOT NULL
         );
         -- status and body stay NULL while the first request with the key is running.
         CREATE TABLE idempotency_keys (
             key TEXT PRIMARY KEY,
             status INTEGER,
             body TEXT
         );",
    )
    .expect("create the schema");
    db
}

fn app(db: Arc<Mutex<Connection>>, provider: Provider) -> Router {
    Router::new()
        .route("/payments", post(create_payment))
        .with_state(AppState { db, provider })
}

fn main() {
    let provider: Provider = Arc::new(|_| Box::pin(async { Ok("ch_1".to_string()) }));
    let _ = app(Arc::new(Mutex::new(open_db())), provider);
    println!("POST /payments with an Idempotency-Key charges at most once");
}

