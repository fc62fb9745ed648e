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
use rusqlite::Connection;
use serde::{Deserialize, Serialize};

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
    // TODO: every request is charged, a retry too.
    let conn = db.lock().unwrap();
    let payment = charge(&conn, &request).map_err(internal_error)?;
    let response = serde_json::to_value(&payment).map_err(internal_error)?;
    Ok((StatusCode::CREATED, Json(response)))
}

fn main() {
    let conn = Connection::open_in_memory().unwrap();
    create_schema(&conn).unwrap();
    let _app = app(Arc::new(Mutex::new(conn)));
    println!("POST /payments with an Idempotency-Key header");
}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::Request;
    use serde_json::{Value, json};
    use tower::ServiceExt;

    fn database() -> Db {
        let conn = Connection::open_in_memory().unwrap();
        create_schema(&conn).unwrap();
        Arc::new(Mutex::new(conn))
    }

    async fn pay(db: &Db, key: Option<&str>, body: Value) -> (StatusCode, Value) {
        let mut request = Request::post("/payments").header("content-type", "application/json");
        if let Some(key) = key {
            request = request.header("idempotency-key", key);
        }
        let request = request.body(Body::from(body.to_string())).unwrap();
        let response = app(db.clone()).oneshot(request).await.unwrap();
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    /// (account, amount) of every charge made, in order.
    fn charges(db: &Db) -> Vec<(String, i64)> {
        let conn = db.lock().unwrap();
        let mut stmt = conn
            .prepare("SELECT account, amount_cents FROM payments ORDER BY id")
            .unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    }

    /// Makes the next inserts into `table` fail, as a crash there would, until `recover`.
    fn fail_inserts_into(db: &Db, table: &str) {
        db.lock()
            .unwrap()
            .execute_batch(&format!(
                "CREATE TEMP TRIGGER crash_{table} BEFORE INSERT ON {table}
                 BEGIN SELECT RAISE(ABORT, 'simulated crash'); END;"
            ))
            .unwrap();
    }

    fn recover(db: &Db, table: &str) {
        db.lock()
            .unwrap()
            .execute_batch(&format!("DROP TRIGGER temp.crash_{table};"))
            .unwrap();
    }

    fn coffee() -> Value {
        json!({"account": "acct_42", "amount_cents": 1250})
    }

    #[tokio::test]
    async fn a_retry_gets_the_first_answer_and_charges_nothing() {
        let db = database();
        let (status, first) = pay(&db, Some("key-1"), coffee()).await;
        assert_eq!(
            status,
            StatusCode::CREATED,
            "a new payment is created: {first}"
        );
        assert_eq!(
            (&first["account"], &first["amount_cents"]),
            (&json!("acct_42"), &json!(1250)),
            "the response describes the payment: {first}"
        );
        for attempt in 2..=3 {
            let (status, again) = pay(&db, Some("key-1"), coffee()).await;
            assert_eq!(
                (status, &again),
                (StatusCode::CREATED, &first),
                "attempt {attempt} with the same key must get the first response back \
                 (same payment_id), as if the client had received it the first time"
            );
        }
        assert_eq!(
            charges(&db).len(),
            1,
            "the same request sent 3 times with one Idempotency-Key charged the customer \
             {} times: a retry must not charge again",
            charges(&db).len()
        );
    }

    #[tokio::test]
    async fn different_keys_are_different_payments() {
        let db = database();
        let (status_a, a) = pay(&db, Some("key-a"), coffee()).await;
        let (status_b, b) = pay(&db, Some("key-b"), coffee()).await;
        assert_eq!(
            (status_a, status_b),
            (StatusCode::CREATED, StatusCode::CREATED),
            "two coffees bought one after the other (two keys, same body) are two payments"
        );
        assert_ne!(
            a["payment_id"], b["payment_id"],
            "two keys must give two payments even with identical bodies: the key, not the \
             body, says whether it's a retry"
        );
        assert_eq!(charges(&db).len(), 2, "two keys, two charges");
    }

    #[tokio::test]
    async fn a_key_reused_for_a_different_request_is_refused() {
        let db = database();
        let (status, _) = pay(&db, Some("key-1"), coffee()).await;
        assert_eq!(status, StatusCode::CREATED, "the first use of the key pays");
        for other in [
            json!({"account": "acct_42", "amount_cents": 99900}),
            json!({"account": "acct_7", "amount_cents": 1250}),
        ] {
            let (status, body) = pay(&db, Some("key-1"), other.clone()).await;
            assert_eq!(
                status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "key-1 was first used for 12.50 from acct_42; reusing it for {other} is a \
                 client bug and must be refused with 422, not answered with the first \
                 payment (got {body})"
            );
        }
        assert_eq!(
            charges(&db),
            vec![("acct_42".to_string(), 1250)],
            "only the first request may be charged"
        );
    }

    #[tokio::test]
    async fn a_request_without_a_key_is_refused() {
        let db = database();
        let (status, _) = pay(&db, None, coffee()).await;
        assert_eq!(
            status,
            StatusCode::BAD_REQUEST,
            "without an Idempotency-Key a retry can't be recognised: refuse with 400"
        );
        let (status, _) = pay(&db, Some(""), coffee()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "an empty key is no key");
        assert!(charges(&db).is_empty(), "a refused request charges nothing");
    }

    #[tokio::test]
    async fn a_crash_after_the_charge_is_not_charged_again_on_retry() {
        let db = database();
        // The charge succeeds, then storing the key fails (a crash, a full disk).
        fail_inserts_into(&db, "idempotency_keys");
        let (status, _) = pay(&db, Some("key-1"), coffee()).await;
        assert!(
            status.is_server_error(),
            "when the key can't be stored the request must fail, got {status}"
        );
        recover(&db, "idempotency_keys");
        let (status, body) = pay(&db, Some("key-1"), coffee()).await;
        assert_eq!(status, StatusCode::CREATED, "the retry pays: {body}");
        assert_eq!(
            charges(&db).len(),
            1,
            "the first attempt charged, then failed to store its key, and the retry charged \
             again: store the key in the same transaction as the charge, so that both \
             happen or neither does"
        );
    }

    #[tokio::test]
    async fn a_charge_that_failed_can_be_retried() {
        let db = database();
        // Storing the key would succeed, but the charge itself fails.
        fail_inserts_into(&db, "payments");
        let (status, _) = pay(&db, Some("key-1"), coffee()).await;
        assert!(
            status.is_server_error(),
            "when the charge fails the request must fail, got {status}"
        );
        recover(&db, "payments");
        let (status, body) = pay(&db, Some("key-1"), coffee()).await;
        assert_eq!(
            status,
            StatusCode::CREATED,
            "the first attempt failed before charging, so the retry must pay (got {body}): \
             a key stored before the charge, in a transaction of its own, stays behind \
             and blocks the retry"
        );
        assert_eq!(charges(&db).len(), 1, "exactly one charge in the end");
    }
}
