// passwords4: Argon2 is deliberately slow, so keep it off the async runtime.
//
// With production parameters one verification burns tens of milliseconds of CPU (and
// 19 MiB of RAM). `login` runs it right inside an async handler, which holds the
// runtime's worker thread: while somebody logs in, no other request on that thread
// makes progress, not even the load balancer's `/health` probe. Move the
// verification onto tokio's blocking thread pool with `tokio::task::spawn_blocking`
// and await its result.

use std::collections::HashMap;
use std::sync::Arc;

use argon2::password_hash::PasswordVerifier;
use argon2::{Argon2, PasswordHash};
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;

/// Checks a password against a PHC string. Plain blocking CPU work.
type Verifier = Arc<dyn Fn(&[u8], &str) -> bool + Send + Sync>;

fn argon2_verify(password: &[u8], phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|parsed| {
        // The parameters come from the PHC string, not from this `Argon2` value.
        Argon2::default().verify_password(password, &parsed).is_ok()
    })
}

#[derive(Clone)]
struct AppState {
    /// username -> PHC string
    users: Arc<HashMap<String, String>>,
    verify: Verifier,
}

#[derive(Deserialize)]
struct Login {
    username: String,
    password: String,
}

fn app(state: AppState) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/login", post(login))
        .with_state(state)
}

async fn health() -> &'static str {
    "ok"
}

async fn login(State(state): State<AppState>, Json(req): Json<Login>) -> StatusCode {
    let Some(phc) = state.users.get(&req.username).cloned() else {
        return StatusCode::UNAUTHORIZED;
    };
    let verify = state.verify.clone();
    let verified = tokio::task::spawn_blocking(move || verify(req.password.as_bytes(), &phc)).await;
    match verified {
        Ok(true) => StatusCode::OK,
        Ok(false) => StatusCode::UNAUTHORIZED,
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

fn main() {
    let _ = app(AppState {
        users: Arc::new(HashMap::new()),
        verify: Arc::new(argon2_verify),
    });
    println!("GET /health and POST /login are wired up");
}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use argon2::Params;
    use argon2::password_hash::PasswordHasher;
    use axum::body::Body;
    use axum::http::Request;
    use std::collections::HashSet;
    use std::sync::{Mutex, mpsc};
    use std::thread::ThreadId;
    use std::time::Duration;
    use tokio::time::timeout;
    use tower::ServiceExt;

    fn state_with(verify: Verifier) -> AppState {
        // Cheap parameters keep the tests fast; production uses `Argon2::default()`.
        let fast = Argon2::from(Params::new(64, 1, 1, None).expect("valid parameters"));
        let phc = fast
            .hash_password(b"s3cret!")
            .expect("hashing with valid parameters")
            .to_string();
        AppState {
            users: Arc::new(HashMap::from([("alice".to_string(), phc)])),
            verify,
        }
    }

    fn login_request(username: &str, password: &str) -> Request<Body> {
        let body = serde_json::json!({ "username": username, "password": password });
        Request::post("/login")
            .header("content-type", "application/json")
            .body(Body::from(body.to_string()))
            .unwrap()
    }

    #[tokio::test]
    async fn login_checks_the_password() {
        let app = app(state_with(Arc::new(argon2_verify)));
        for (user, password, expected) in [
            ("alice", "s3cret!", StatusCode::OK),
            ("alice", "secret", StatusCode::UNAUTHORIZED),
            ("bob", "s3cret!", StatusCode::UNAUTHORIZED),
        ] {
            let resp = app.clone().oneshot(login_request(user, password)).await;
            let status = resp.expect("the router itself cannot fail").status();
            assert_eq!(
                status, expected,
                "login as {user} with {password:?} answered {status}"
            );
        }
    }

    #[tokio::test]
    async fn a_panicking_hash_is_a_500_not_a_crash() {
        let exploding: Verifier = Arc::new(|_, _| panic!("the hashing thread ran out of memory"));
        let app = app(state_with(exploding));
        let answer = tokio::spawn(app.oneshot(login_request("alice", "s3cret!"))).await;
        let status = answer
            .expect(
                "the login handler panicked when the password check did: the blocking task's \
                 JoinError must become a 500, not a crashed request",
            )
            .expect("the router itself cannot fail")
            .status();
        assert_eq!(
            status,
            StatusCode::INTERNAL_SERVER_ERROR,
            "a failed password check must answer 500, never let the user in"
        );
    }

    /// Where the held password check ran.
    #[derive(Clone, Copy, Debug, PartialEq)]
    enum Ran {
        OnTheRuntimeThread,
        OnTokiosBlockingPool,
        OnAThreadOfItsOwn,
    }

    /// How many 1 ms waits of its own a check held on the blocking pool makes for the test
    /// to see /health answer. A correct login releases it within a few; the bound only ends
    /// a runtime thread that sits blocked until the hash finishes (a std channel `recv`).
    const HOLD_TURNS: u32 = 250;

    #[test]
    fn health_answers_while_a_login_is_being_hashed() {
        // The test's own current-thread runtime, watched: it runs every task on this very
        // thread, and `on_thread_start` records the threads of its blocking pool.
        let runtime_thread = std::thread::current().id();
        let pool = Arc::new(Mutex::new(HashSet::<ThreadId>::new()));
        let pool_threads = pool.clone();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .on_thread_start(move || {
                let this = std::thread::current().id();
                pool_threads.lock().unwrap().insert(this);
            })
            .build()
            .expect("a current-thread runtime builds");

        let events = Arc::new(Mutex::new(Vec::<&'static str>::new()));
        let (started_tx, started_rx) = tokio::sync::oneshot::channel::<Ran>();
        let (release_tx, release_rx) = mpsc::channel::<()>();
        let started_tx = Mutex::new(Some(started_tx));
        let release_rx = Mutex::new(release_rx);

        // The real verification. On the blocking pool it is held "in progress" until the
        // test has called /health; anywhere else it is already wrong (the runtime thread, or
        // a thread of its own that the handler joins), so it reports where it ran and goes
        // on without waiting.
        let log = events.clone();
        let slow_verify: Verifier = Arc::new(move |password, phc| {
            let here = std::thread::current().id();
            let ran = if here == runtime_thread {
                Ran::OnTheRuntimeThread
            } else if pool.lock().unwrap().contains(&here) {
                Ran::OnTokiosBlockingPool
            } else {
                Ran::OnAThreadOfItsOwn
            };
            log.lock().unwrap().push("hash started");
            if let Some(tx) = started_tx.lock().unwrap().take() {
                let _ = tx.send(ran);
            }
            if ran == Ran::OnTokiosBlockingPool {
                let release = release_rx.lock().unwrap();
                for _ in 0..HOLD_TURNS {
                    match release.recv_timeout(Duration::from_millis(1)) {
                        Err(mpsc::RecvTimeoutError::Timeout) => continue,
                        _ => break,
                    }
                }
            }
            let ok = argon2_verify(password, phc);
            log.lock().unwrap().push("hash finished");
            ok
        });
        let app = app(state_with(slow_verify));

        runtime.block_on(async move {
            let mut login = tokio::spawn(app.clone().oneshot(login_request("alice", "s3cret!")));
            let ran = timeout(Duration::from_secs(5), async {
                tokio::select! {
                    biased;
                    ran = started_rx => ran.expect("the app keeps the verifier alive"),
                    done = &mut login => panic!(
                        "the login finished without checking the password: {:?}",
                        done.map(|answer| answer.map(|response| response.status()))
                    ),
                }
            })
            .await
            .expect("the login never started hashing");
            match ran {
                Ran::OnTheRuntimeThread => panic!(
                    "the password hash ran on the runtime thread, the one that serves every \
                     request (/health included) and serves none while Argon2 runs; inside \
                     `tokio::spawn`, after `yield_now` or in `catch_unwind` it still runs \
                     there: hand it to `tokio::task::spawn_blocking` and `.await` the result"
                ),
                Ran::OnAThreadOfItsOwn => panic!(
                    "the password hash ran on a thread of its own (`std::thread::spawn`), not \
                     on tokio's blocking pool: waiting for it with `join` blocks the runtime \
                     thread, and a new thread per login is unbounded; use \
                     `tokio::task::spawn_blocking` and `.await` the result"
                ),
                Ran::OnTokiosBlockingPool => {}
            }

            let health = timeout(
                Duration::from_secs(5),
                app.clone()
                    .oneshot(Request::get("/health").body(Body::empty()).unwrap()),
            )
            .await
            .expect("/health did not answer within 5 s while a login was hashing")
            .expect("the router itself cannot fail");
            assert_eq!(health.status(), StatusCode::OK, "/health must answer 200");
            events.lock().unwrap().push("health answered");
            let _ = release_tx.send(());

            let login = timeout(Duration::from_secs(5), login)
                .await
                .expect("the login never finished")
                .expect("the login handler panicked")
                .expect("the router itself cannot fail");
            assert_eq!(
                login.status(),
                StatusCode::OK,
                "alice's login with the right password must succeed"
            );
            assert_eq!(
                *events.lock().unwrap(),
                ["hash started", "health answered", "hash finished"],
                "/health had to wait for the password hash: the hash ran on tokio's blocking \
                 pool, but the runtime thread sat blocked until it finished (a std channel \
                 `recv`, a `join`?); `.await` the `spawn_blocking` handle instead"
            );
        });
    }
}
