// errors1: return errors as responses; never panic in a handler.
//
// These handlers `expect()` their way through, so an unknown account or an overdraft
// panics. axum does not turn a panic into a response: the connection is dropped, the
// client sees a network error instead of a reason, and a panic while a `Mutex` is locked
// poisons it for every later request. Define an error type that implements
// `IntoResponse` and return `Result` from the handlers (see the TODOs), answering the
// JSON errors of the contract below.

// API contract:
//   GET  /accounts/{id}                                -> 200 {"id", "owner", "balance_cents"}
//   POST /accounts/{id}/withdraw {"amount_cents": N}   -> 200 the account after the withdrawal
//   unknown account                 -> 404 {"error": "account_not_found", "message": "..."}
//   amount larger than the balance  -> 409 {"error": "insufficient_funds", "message": "..."}

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

#[derive(Clone, Serialize)]
struct Account {
    id: u64,
    owner: String,
    balance_cents: u64,
}

#[derive(Deserialize)]
struct Withdrawal {
    amount_cents: u64,
}

type Accounts = Arc<Mutex<HashMap<u64, Account>>>;

async fn get_account(State(accounts): State<Accounts>, Path(id): Path<u64>) -> Json<Account> {
    let accounts = accounts.lock().unwrap();
    // TODO: an unknown id is an answer (404), not a crash.
    let account = accounts.get(&id).expect("unknown account");
    Json(account.clone())
}

async fn withdraw(
    State(accounts): State<Accounts>,
    Path(id): Path<u64>,
    Json(req): Json<Withdrawal>,
) -> Json<Account> {
    let mut accounts = accounts.lock().unwrap();
    // TODO: unknown account -> 404, overdraft -> 409, as JSON errors.
    let account = accounts.get_mut(&id).expect("unknown account");
    let balance = account
        .balance_cents
        .checked_sub(req.amount_cents)
        .expect("insufficient funds");
    account.balance_cents = balance;
    Json(account.clone())
}

fn app() -> Router {
    let ada = Account {
        id: 1,
        owner: "Ada".to_string(),
        balance_cents: 5_000,
    };
    Router::new()
        .route("/accounts/{id}", get(get_account))
        .route("/accounts/{id}/withdraw", post(withdraw))
        .with_state(Arc::new(Mutex::new(HashMap::from([(1, ada)]))))
}

fn main() {
    // The tests drive the router in-process; building it is enough here.
    let _ = app();
}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::{Request, StatusCode, header};
    use serde_json::{Value, json};
    use std::cell::Cell;
    use std::sync::Once;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tower::ServiceExt;

    thread_local! {
        /// Panics on this thread (a test's thread runs its handlers), caught or not.
        static PANICS_HERE: Cell<usize> = const { Cell::new(0) };
    }

    /// Panics, caught or not, on threads that are not a test's own (e.g. blocking tasks).
    static PANICS_ELSEWHERE: AtomicUsize = AtomicUsize::new(0);

    /// Panics seen so far by the current test.
    fn panics() -> usize {
        PANICS_HERE.with(Cell::get) + PANICS_ELSEWHERE.load(Ordering::SeqCst)
    }

    /// The message of the test's own panic that checks the counter still counts.
    const PROBE: &str = "panic counter probe";

    /// Counts every panic (then reports it as usual), so a panic that a handler catches
    /// and turns into a response is still seen.
    fn count_panics() {
        static INSTALL: Once = Once::new();
        INSTALL.call_once(|| {
            let report = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| {
                let thread = std::thread::current();
                let name = thread.name().unwrap_or("");
                if name == "main" || name.starts_with("tests::") {
                    PANICS_HERE.with(|n| n.set(n.get() + 1));
                } else {
                    PANICS_ELSEWHERE.fetch_add(1, Ordering::SeqCst);
                }
                if info.payload().downcast_ref::<&str>() != Some(&PROBE) {
                    report(info);
                }
            }));
        });
    }

    /// Sends one request. A handler panic shows up here as a test failure naming it.
    async fn send(app: &Router, req: Request<Body>) -> (StatusCode, Value) {
        count_panics();
        let what = format!("{} {}", req.method(), req.uri());
        let panics_before = panics();
        let resp = app.clone().oneshot(req).await.unwrap();
        assert_eq!(
            panics(),
            panics_before,
            "{what}: the handler panicked (see the message above) and something caught it: \
             a caught panic still unwinds through the handler and poisons the locks it held; \
             return an error value instead"
        );
        let probe = std::panic::catch_unwind(|| std::panic::panic_any(PROBE));
        assert!(
            probe.is_err() && panics() == panics_before + 1,
            "{what}: the tests' panic hook no longer counts panics: something replaced it \
             (std::panic::set_hook) to hide a panic"
        );
        let status = resp.status();
        let content_type = resp.headers().get(header::CONTENT_TYPE).cloned();
        let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .unwrap();
        let body = serde_json::from_slice(&bytes).unwrap_or_else(|_| {
            panic!(
                "{status}: the body is not JSON: {:?}",
                String::from_utf8_lossy(&bytes)
            )
        });
        assert_eq!(
            content_type.as_ref().and_then(|v| v.to_str().ok()),
            Some("application/json"),
            "{status}: errors are JSON too"
        );
        (status, body)
    }

    fn get_account(id: u64) -> Request<Body> {
        Request::get(format!("/accounts/{id}"))
            .body(Body::empty())
            .unwrap()
    }

    fn withdraw(id: u64, amount_cents: u64) -> Request<Body> {
        Request::post(format!("/accounts/{id}/withdraw"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(
                json!({"amount_cents": amount_cents}).to_string(),
            ))
            .unwrap()
    }

    #[tokio::test]
    async fn existing_account_is_returned() {
        let (status, body) = send(&app(), get_account(1)).await;
        assert_eq!(status, StatusCode::OK, "account 1 exists; body: {body}");
        assert_eq!(
            body,
            json!({"id": 1, "owner": "Ada", "balance_cents": 5000}),
            "the account as JSON"
        );
    }

    #[tokio::test]
    async fn unknown_account_is_a_json_404() {
        let (status, body) = send(&app(), get_account(42)).await;
        assert_eq!(
            status,
            StatusCode::NOT_FOUND,
            "account 42 doesn't exist; body: {body}"
        );
        assert_eq!(
            body["error"], "account_not_found",
            "the error code; body: {body}"
        );
        assert!(
            body["message"].is_string(),
            "a message for humans too; body: {body}"
        );

        let (status, body) = send(&app(), withdraw(42, 100)).await;
        assert_eq!(
            status,
            StatusCode::NOT_FOUND,
            "withdrawing from account 42, which doesn't exist; body: {body}"
        );
        assert_eq!(
            body["error"], "account_not_found",
            "the error code; body: {body}"
        );
    }

    #[tokio::test]
    async fn overdraft_is_a_json_409_and_the_service_keeps_working() {
        let app = app();
        let (status, body) = send(&app, withdraw(1, 9_000)).await;
        assert_eq!(
            status,
            StatusCode::CONFLICT,
            "90.00 from a balance of 50.00 is refused with 409; body: {body}"
        );
        assert_eq!(
            body["error"], "insufficient_funds",
            "the error code; body: {body}"
        );
        assert!(
            body["message"].is_string(),
            "a message for humans too; body: {body}"
        );

        // The failed request changed nothing, and the next requests are served normally.
        let (status, body) = send(&app, get_account(1)).await;
        assert_eq!(
            status,
            StatusCode::OK,
            "the service still answers; body: {body}"
        );
        assert_eq!(
            body["balance_cents"], 5000,
            "the refused withdrawal changed nothing; body: {body}"
        );
        let (status, body) = send(&app, withdraw(1, 1_500)).await;
        assert_eq!(
            status,
            StatusCode::OK,
            "a covered withdrawal works; body: {body}"
        );
        assert_eq!(body["balance_cents"], 3500, "50.00 - 15.00; body: {body}");
    }
}
