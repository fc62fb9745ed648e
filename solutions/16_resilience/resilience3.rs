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
        .map(str::to_owned);
    let Some(key) = key else {
        let (status, body) = charge(&state, payment.amount_cents).await;
        return (status, Json(body)).into_response();
    };
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

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;
    use tokio::sync::Semaphore;
    use tower::ServiceExt;

    /// The handles on the test's payment provider: the charges asked for so far, and the
    /// gate that holds them (when the shop is gated) until the test opens it.
    struct PaymentProvider {
        calls: Arc<AtomicUsize>,
        gate: Arc<Semaphore>,
    }

    struct Shop {
        app: Router,
        db: Arc<Mutex<Connection>>,
        provider: PaymentProvider,
    }

    impl Shop {
        /// A shop whose provider fails the calls numbered in `failing` (from 1).
        fn new(gated: bool, failing: &'static [usize]) -> Shop {
            let calls = Arc::new(AtomicUsize::new(0));
            let gate = Arc::new(Semaphore::new(if gated {
                0
            } else {
                Semaphore::MAX_PERMITS
            }));
            let (c, g) = (calls.clone(), gate.clone());
            let provider: Provider = Arc::new(move |_amount| {
                let (calls, gate) = (c.clone(), g.clone());
                Box::pin(async move {
                    let call = calls.fetch_add(1, Ordering::SeqCst) + 1;
                    let _pass = gate.acquire().await.expect("the gate is never closed");
                    if failing.contains(&call) {
                        Err(ProviderError)
                    } else {
                        Ok(format!("ch_{call}"))
                    }
                })
            });
            let db = Arc::new(Mutex::new(open_db()));
            Shop {
                app: app(db.clone(), provider),
                db,
                provider: PaymentProvider { calls, gate },
            }
        }

        fn provider_calls(&self) -> usize {
            self.provider.calls.load(Ordering::SeqCst)
        }

        fn charges(&self) -> i64 {
            let db = self.db.lock().unwrap();
            db.query_row("SELECT count(*) FROM charges", [], |row| row.get(0))
                .expect("count the charges")
        }

        fn open_gate(&self) {
            self.provider.gate.add_permits(1000);
        }

        async fn wait_for_calls(&self, n: usize) {
            for _ in 0..100 {
                if self.provider_calls() >= n {
                    return;
                }
                tokio::task::yield_now().await;
            }
            panic!(
                "the payment provider was called {} times, expected {n}",
                self.provider_calls()
            );
        }
    }

    fn payment(key: Option<&str>, amount_cents: u32) -> axum::http::Request<Body> {
        let mut req =
            axum::http::Request::post("/payments").header("content-type", "application/json");
        if let Some(key) = key {
            req = req.header("idempotency-key", key);
        }
        req.body(Body::from(
            json!({ "amount_cents": amount_cents }).to_string(),
        ))
        .unwrap()
    }

    async fn send(app: &Router, req: axum::http::Request<Body>) -> (StatusCode, Value) {
        let resp = app
            .clone()
            .oneshot(req)
            .await
            .expect("the router itself cannot fail");
        let status = resp.status();
        let body = axum::body::to_bytes(resp.into_body(), 1 << 16)
            .await
            .unwrap();
        (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
    }

    #[tokio::test]
    async fn a_retry_gets_the_first_response_without_a_second_charge() {
        let shop = Shop::new(false, &[]);
        let first = send(&shop.app, payment(Some("order-7-attempt"), 1299)).await;
        assert_eq!(
            first.0,
            StatusCode::CREATED,
            "the first payment is created: {}",
            first.1
        );
        for retry in 1..=2 {
            let again = send(&shop.app, payment(Some("order-7-attempt"), 1299)).await;
            assert_eq!(
                (shop.provider_calls(), shop.charges()),
                (1, 1),
                "retry {retry} with the same Idempotency-Key charged the card again: the \
                 customer pays twice for one order"
            );
            assert_eq!(
                (again.0, &again.1),
                (first.0, &first.1),
                "retry {retry} must get the first response, status and body, so that the \
                 client learns the payment it could not see"
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_concurrent_retry_does_not_charge_twice() {
        let shop = Shop::new(true, &[]);
        let first = {
            let app = shop.app.clone();
            tokio::spawn(async move { send(&app, payment(Some("k-race"), 500)).await })
        };
        shop.wait_for_calls(1).await;
        // The client timed out and retries while the first charge is still running.
        let retry = tokio::time::timeout(
            Duration::from_secs(30),
            send(&shop.app, payment(Some("k-race"), 500)),
        )
        .await;
        assert_eq!(
            shop.provider_calls(),
            1,
            "a retry that arrived while the first request with its key was still charging \
             called the provider again: claim the key atomically before acting (looking it up \
             and then acting leaves a gap), and a key whose request is still running means 409"
        );
        let Ok(retry) = retry else {
            panic!(
                "the concurrent retry was still waiting after 30 s: answer 409 Conflict at once"
            );
        };
        assert_eq!(
            retry.0,
            StatusCode::CONFLICT,
            "a retry while the first request with its key is in progress gets 409 Conflict \
             (got {})",
            retry.1
        );
        shop.open_gate();
        let first = first.await.expect("the first request's task panicked");
        assert_eq!(
            first.0,
            StatusCode::CREATED,
            "the first payment is created: {}",
            first.1
        );
        let later = send(&shop.app, payment(Some("k-race"), 500)).await;
        assert_eq!(
            (later.0, &later.1, shop.provider_calls(), shop.charges()),
            (first.0, &first.1, 1, 1),
            "once the first request finished, a retry replays its response, and the card was \
             charged once"
        );
    }

    #[tokio::test]
    async fn after_a_failed_charge_the_key_can_be_retried() {
        let shop = Shop::new(false, &[1]);
        let failed = send(&shop.app, payment(Some("k-flaky"), 800)).await;
        assert_eq!(
            failed.0,
            StatusCode::BAD_GATEWAY,
            "the provider's failure is a 502: {}",
            failed.1
        );
        let retry = send(&shop.app, payment(Some("k-flaky"), 800)).await;
        assert_eq!(
            (retry.0, shop.provider_calls(), shop.charges()),
            (StatusCode::CREATED, 2, 1),
            "the first charge failed, so nothing was charged: a retry with the same key must \
             charge now (got {} {}), not be refused or replay the failure forever",
            retry.0,
            retry.1
        );
        let replay = send(&shop.app, payment(Some("k-flaky"), 800)).await;
        assert_eq!(
            (replay.0, &replay.1, shop.provider_calls()),
            (retry.0, &retry.1, 2),
            "after the successful retry, the next retry replays it without a new charge"
        );
    }

    #[tokio::test]
    async fn different_keys_and_no_key_are_separate_payments() {
        let shop = Shop::new(false, &[]);
        let mut ids = Vec::new();
        for key in [Some("k-a"), Some("k-b"), None, None] {
            let (status, body) = send(&shop.app, payment(key, 1000)).await;
            assert_eq!(
                status,
                StatusCode::CREATED,
                "a payment with key {key:?} is a new payment and must be created: {body}"
            );
            ids.push(body["id"].clone());
        }
        assert_eq!(
            (shop.provider_calls(), shop.charges()),
            (4, 4),
            "two keys and two requests without a key are four payments of the same amount \
             (ids {ids:?}): only the same key marks a retry"
        );
    }
}
