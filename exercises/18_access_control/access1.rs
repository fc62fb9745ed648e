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
    AuthUser(_user): AuthUser,
    Path(id): Path<i64>,
) -> Result<Json<Invoice>, StatusCode> {
    let db = state.db.lock().unwrap();
    let invoice = db
        .query_row(
            // TODO: any signed-in user gets any invoice.
            "SELECT id, customer, total_cents FROM invoices WHERE id = ?1",
            params![id],
            |row| {
                Ok(Invoice {
                    id: row.get(0)?,
                    customer: row.get(1)?,
                    total_cents: row.get(2)?,
                })
            },
        )
        .optional()
        .map_err(internal)?;
    invoice.map(Json).ok_or(StatusCode::NOT_FOUND)
}

async fn get_lines(
    State(state): State<Arc<AppState>>,
    AuthUser(_user): AuthUser,
    Path(id): Path<i64>,
) -> Result<Json<Vec<Line>>, StatusCode> {
    let db = state.db.lock().unwrap();
    // TODO: any signed-in user gets the lines of any invoice.
    let exists = db
        .query_row("SELECT 1 FROM invoices WHERE id = ?1", params![id], |_| {
            Ok(())
        })
        .optional()
        .map_err(internal)?;
    if exists.is_none() {
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

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::{Body, to_bytes};
    use axum::http::Request;
    use rusqlite::ffi;
    use serde_json::Value;
    use std::ffi::{c_int, c_uint, c_void};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tower::ServiceExt;

    const ALICE: UserId = 1;
    const BOB: UserId = 2;

    struct World {
        app: Router,
        alice: String,
        bob: String,
        alices_invoice: i64,
        bobs_invoice: i64,
        /// Rows SQLite has handed to the application so far (every `sqlite3_step` that
        /// produced a row, on the app's connection).
        rows: &'static AtomicUsize,
    }

    /// Counts every row SQLite produces on `conn` (SQLITE_TRACE_ROW), for as long as the
    /// connection lives. (rusqlite's safe `trace_v2` needs its `trace` feature, which this
    /// course leaves off; this installs the same SQLite hook through the C API.)
    fn count_rows(conn: &Connection) -> &'static AtomicUsize {
        unsafe extern "C" fn hook(
            event: c_uint,
            ctx: *mut c_void,
            _stmt: *mut c_void,
            _x: *mut c_void,
        ) -> c_int {
            if event == ffi::SQLITE_TRACE_ROW as c_uint {
                // SAFETY: `ctx` is the leaked, never freed counter registered below.
                unsafe { &*ctx.cast::<AtomicUsize>() }.fetch_add(1, Ordering::SeqCst);
            }
            0
        }
        let counter: &'static AtomicUsize = Box::leak(Box::new(AtomicUsize::new(0)));
        // SAFETY: the handle is valid while `conn` lives; the counter lives forever.
        unsafe {
            ffi::sqlite3_trace_v2(
                conn.handle(),
                ffi::SQLITE_TRACE_ROW as c_uint,
                Some(hook),
                (counter as *const AtomicUsize).cast_mut().cast(),
            )
        };
        counter
    }

    fn add_invoice(state: &AppState, owner: UserId, customer: &str, lines: &[(&str, i64)]) -> i64 {
        let db = state.db.lock().unwrap();
        let total: i64 = lines.iter().map(|(_, cents)| cents).sum();
        db.execute(
            "INSERT INTO invoices (owner_id, customer, total_cents) VALUES (?1, ?2, ?3)",
            params![owner, customer, total],
        )
        .expect("the test inserts an invoice");
        let id = db.last_insert_rowid();
        for (description, cents) in lines {
            db.execute(
                "INSERT INTO invoice_lines (invoice_id, description, amount_cents) VALUES (?1, ?2, ?3)",
                params![id, description, cents],
            )
            .expect("the test inserts an invoice line");
        }
        id
    }

    /// Alice and Bob are signed in and own one invoice each.
    fn world() -> World {
        let state = Arc::new(AppState::new().expect("AppState::new() failed"));
        let alices_invoice = add_invoice(
            &state,
            ALICE,
            "Globex Corp (alice's client)",
            &[("Acme rocket skates", 120_000), ("Installation", 30_000)],
        );
        let bobs_invoice = add_invoice(&state, BOB, "Initech", &[("TPS reports", 5_000)]);
        let rows = count_rows(&state.db.lock().unwrap());
        let (alice, bob) = (state.sign_in(ALICE), state.sign_in(BOB));
        World {
            app: app(state),
            alice,
            bob,
            alices_invoice,
            bobs_invoice,
            rows,
        }
    }

    /// What the client sees of a response: status, content type and body.
    #[derive(Debug, PartialEq)]
    struct Answer {
        status: StatusCode,
        content_type: Option<String>,
        body: String,
    }

    /// GET `uri` as the holder of `token`; also returns the rows SQLite produced meanwhile.
    async fn get(w: &World, uri: &str, token: &str) -> (Answer, usize) {
        let before = w.rows.load(Ordering::SeqCst);
        let req = Request::get(uri)
            .header("authorization", format!("Bearer {token}"))
            .body(Body::empty())
            .unwrap();
        let resp = w
            .app
            .clone()
            .oneshot(req)
            .await
            .expect("the router itself cannot fail");
        let status = resp.status();
        let content_type = resp
            .headers()
            .get(header::CONTENT_TYPE)
            .map(|v| v.to_str().unwrap_or("<not text>").to_string());
        let body = to_bytes(resp.into_body(), 1 << 20)
            .await
            .expect("a small body");
        let rows = w.rows.load(Ordering::SeqCst) - before;
        let body = String::from_utf8_lossy(&body).into_owned();
        (
            Answer {
                status,
                content_type,
                body,
            },
            rows,
        )
    }

    fn json(answer: &Answer, what: &str) -> Value {
        serde_json::from_str(&answer.body)
            .unwrap_or_else(|_| panic!("{what} must answer JSON, got {answer:?}"))
    }

    #[tokio::test]
    async fn owners_read_their_invoices_and_lines() {
        let w = world();
        for (token, id, customer) in [
            (&w.alice, w.alices_invoice, "Globex Corp (alice's client)"),
            (&w.bob, w.bobs_invoice, "Initech"),
        ] {
            let (answer, _) = get(&w, &format!("/invoices/{id}"), token).await;
            assert_eq!(
                answer.status,
                StatusCode::OK,
                "an owner could not read their own invoice {id}: {answer:?}"
            );
            assert_eq!(
                json(&answer, "GET /invoices/{id}")["customer"],
                customer,
                "GET /invoices/{id} returned the wrong invoice to its owner: {answer:?}"
            );
        }
        let (answer, _) = get(
            &w,
            &format!("/invoices/{}/lines", w.alices_invoice),
            &w.alice,
        )
        .await;
        assert_eq!(
            answer.status,
            StatusCode::OK,
            "alice could not read the lines of her own invoice: {answer:?}"
        );
        let lines = json(&answer, "GET /invoices/{id}/lines");
        let descriptions: Vec<&str> = lines
            .as_array()
            .map(|lines| {
                lines
                    .iter()
                    .filter_map(|l| l["description"].as_str())
                    .collect()
            })
            .unwrap_or_default();
        assert_eq!(
            descriptions,
            ["Acme rocket skates", "Installation"],
            "alice's invoice lines came back wrong: {answer:?}"
        );
        let (answer, _) = get(&w, "/invoices", &w.alice).await;
        assert_eq!(
            answer.status,
            StatusCode::OK,
            "alice could not list her invoices: {answer:?}"
        );
        assert!(
            answer.body.contains("Globex") && !answer.body.contains("Initech"),
            "GET /invoices must list alice's invoices and only hers: {}",
            answer.body
        );
    }

    #[tokio::test]
    async fn bob_cannot_read_alices_invoice_by_counting_ids() {
        let w = world();
        // The attack: bob, signed in, walks through the ids on both routes.
        for id in 1..=5 {
            if id == w.bobs_invoice {
                continue;
            }
            for uri in [format!("/invoices/{id}"), format!("/invoices/{id}/lines")] {
                let (answer, _) = get(&w, &uri, &w.bob).await;
                assert!(
                    !answer.body.contains("Globex") && !answer.body.contains("rocket skates"),
                    "bob read alice's data through GET {uri}: {}",
                    answer.body
                );
                assert_eq!(
                    answer.status,
                    StatusCode::NOT_FOUND,
                    "bob's GET {uri} answered {}, expected 404: an invoice that is not yours \
                     must look missing (a 403 confirms that the id is in use)",
                    answer.status
                );
            }
        }
    }

    #[tokio::test]
    async fn someone_elses_invoice_answers_exactly_like_a_missing_one() {
        let w = world();
        for (route, theirs, missing) in [
            (
                "GET /invoices/{id}",
                format!("/invoices/{}", w.alices_invoice),
                "/invoices/999".to_string(),
            ),
            (
                "GET /invoices/{id}/lines",
                format!("/invoices/{}/lines", w.alices_invoice),
                "/invoices/999/lines".to_string(),
            ),
        ] {
            let (their_answer, their_rows) = get(&w, &theirs, &w.bob).await;
            let (missing_answer, missing_rows) = get(&w, &missing, &w.bob).await;
            assert_eq!(
                their_answer, missing_answer,
                "{route}: bob got a different answer for alice's invoice than for a missing \
                 one, so he learns which ids exist"
            );
            assert_eq!(
                their_rows, missing_rows,
                "{route}: for alice's invoice SQLite handed {their_rows} row(s) to the handler, \
                 for a missing one {missing_rows}: her invoice was loaded and checked \
                 afterwards. Put the owner into the query's WHERE clause so that it is never read"
            );
        }
    }

    #[tokio::test]
    async fn a_session_is_required() {
        let w = world();
        let (answer, _) = get(
            &w,
            &format!("/invoices/{}", w.alices_invoice),
            "not-a-token",
        )
        .await;
        assert_eq!(
            answer.status,
            StatusCode::UNAUTHORIZED,
            "a request without a valid session must get 401"
        );
        let (answer, _) = get(&w, "/invoices", "").await;
        assert_eq!(
            answer.status,
            StatusCode::UNAUTHORIZED,
            "listing invoices without a session must get 401"
        );
    }
}
