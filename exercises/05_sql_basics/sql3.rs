// sql3: a UNIQUE violation is the client's problem: answer 409 Conflict, not 500.
//
// Signing up twice with the same e-mail hits the `UNIQUE` constraint. Checking with a
// SELECT first would race with a concurrent sign-up; the constraint is the real guard,
// so the handler must recognise its error by SQLite's extended result code
// (`rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE`). Today every database error becomes a 500.
// Make `status_for` map that one to 409 and leave the rest at 500.

use std::sync::{Arc, Mutex};

use axum::{
    Json, Router,
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::post,
};
use rusqlite::Connection;
use serde::Deserialize;
use serde_json::json;

type Db = Arc<Mutex<Connection>>;

const SCHEMA: &str = "
    CREATE TABLE users (
        id    INTEGER PRIMARY KEY,
        email TEXT NOT NULL UNIQUE COLLATE NOCASE,
        name  TEXT NOT NULL
    );
";

#[derive(Deserialize)]
struct SignUp {
    email: String,
    name: String,
}

/// The HTTP status for a failed INSERT, and the message shown to the client.
fn status_for(err: &rusqlite::Error) -> (StatusCode, &'static str) {
    // TODO: a duplicate e-mail is a 409 with the message "email already registered".
    match err {
        _ => (StatusCode::INTERNAL_SERVER_ERROR, "internal error"),
    }
}

/// `POST /users` with `{"email": .., "name": ..}` -> 201 `{"id": ..}`.
async fn sign_up(State(db): State<Db>, Json(form): Json<SignUp>) -> Response {
    let conn = db.lock().unwrap();
    let inserted = conn.execute(
        "INSERT INTO users (email, name) VALUES (?1, ?2)",
        (&form.email, &form.name),
    );
    match inserted {
        Ok(_) => {
            let id = conn.last_insert_rowid();
            (StatusCode::CREATED, Json(json!({ "id": id }))).into_response()
        }
        Err(err) => {
            let (status, message) = status_for(&err);
            if status.is_server_error() {
                eprintln!("sign-up failed: {err}");
            }
            (status, Json(json!({ "error": message }))).into_response()
        }
    }
}

/// The API on `conn` (in-memory for the tests, a file in production).
fn app(conn: Connection) -> rusqlite::Result<Router> {
    conn.execute_batch(SCHEMA)?;
    let db: Db = Arc::new(Mutex::new(conn));
    Ok(Router::new().route("/users", post(sign_up)).with_state(db))
}

fn main() -> rusqlite::Result<()> {
    let _app = app(Connection::open_in_memory()?)?;
    println!("router built: POST /users");
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
    use std::ffi::{CStr, c_char, c_int, c_uint, c_void};
    use std::path::PathBuf;
    use tower::ServiceExt;

    fn in_memory_app() -> Router {
        app(Connection::open_in_memory().unwrap()).expect("building the app failed")
    }

    async fn sign_up_as(app: &Router, email: &str, name: &str) -> (StatusCode, Value) {
        let body = json!({ "email": email, "name": name }).to_string();
        let request = Request::post("/users")
            .header("content-type", "application/json")
            .body(Body::from(body))
            .unwrap();
        let response = app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let bytes = to_bytes(response.into_body(), usize::MAX).await.unwrap();
        let body = serde_json::from_slice(&bytes).unwrap_or_else(|_| {
            panic!(
                "{status}: the body must be JSON, got {:?}",
                String::from_utf8_lossy(&bytes)
            )
        });
        (status, body)
    }

    /// A database file of its own for one test, deleted afterwards (even on failure).
    struct TempDb(PathBuf);

    impl TempDb {
        fn new(test: &str) -> TempDb {
            let name = format!("backlings-sql3-{test}-{}.db", std::process::id());
            let db = TempDb(std::env::temp_dir().join(name));
            db.remove_files();
            db
        }

        fn remove_files(&self) {
            for suffix in ["", "-journal", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", self.0.display()));
            }
        }
    }

    impl Drop for TempDb {
        fn drop(&mut self) {
            self.remove_files();
        }
    }

    /// Calls `on_sql` with the text of every statement `conn` starts, before it touches
    /// the database, until the returned guard is dropped. (rusqlite's safe `trace_v2`
    /// needs its `trace` feature, which this course leaves off; this installs the same
    /// SQLite hook through the C API.)
    struct SqlHook<F: FnMut(&str)> {
        db: *mut ffi::sqlite3,
        _on_sql: Box<F>,
    }

    impl<F: FnMut(&str)> SqlHook<F> {
        fn install(conn: &Connection, on_sql: F) -> SqlHook<F> {
            unsafe extern "C" fn hook<F: FnMut(&str)>(
                event: c_uint,
                ctx: *mut c_void,
                _stmt: *mut c_void,
                sql: *mut c_void,
            ) -> c_int {
                if event == ffi::SQLITE_TRACE_STMT as c_uint {
                    // SAFETY: for SQLITE_TRACE_STMT `sql` is a NUL-terminated string; `ctx`
                    // is the boxed `F`, alive until the hook is removed.
                    let sql = unsafe { CStr::from_ptr(sql.cast::<c_char>()) }.to_string_lossy();
                    unsafe { (*ctx.cast::<F>())(&sql) };
                }
                0
            }
            let mut on_sql = Box::new(on_sql);
            let ctx: *mut F = &mut *on_sql;
            // SAFETY: the handle stays valid as long as the connection, which the caller
            // keeps alive (inside the app) for longer than this guard.
            let db = unsafe { conn.handle() };
            let mask = ffi::SQLITE_TRACE_STMT as c_uint;
            unsafe { ffi::sqlite3_trace_v2(db, mask, Some(hook::<F>), ctx.cast()) };
            SqlHook {
                db,
                _on_sql: on_sql,
            }
        }
    }

    impl<F: FnMut(&str)> Drop for SqlHook<F> {
        fn drop(&mut self) {
            // SAFETY: removes the hook before the boxed callback is freed.
            unsafe { ffi::sqlite3_trace_v2(self.db, 0, None, std::ptr::null_mut()) };
        }
    }

    #[tokio::test]
    async fn first_sign_up_is_created() {
        let app = in_memory_app();
        let (status, body) = sign_up_as(&app, "ada@example.com", "Ada").await;
        assert_eq!(
            status,
            StatusCode::CREATED,
            "a new e-mail signs up; body: {body}"
        );
        assert!(
            body["id"].is_i64(),
            "a 201 carries the new user's id; body: {body}"
        );
    }

    #[tokio::test]
    async fn duplicate_email_is_a_conflict() {
        let app = in_memory_app();
        sign_up_as(&app, "ada@example.com", "Ada").await;
        let (status, body) = sign_up_as(&app, "ada@example.com", "Ada again").await;
        assert_eq!(
            status,
            StatusCode::CONFLICT,
            "a duplicate e-mail is a 409 Conflict, not a server error; body: {body}"
        );
        assert_eq!(
            body["error"], "email already registered",
            "the client is told why; body: {body}"
        );
    }

    #[tokio::test]
    async fn duplicate_in_another_case_is_a_conflict_too() {
        let app = in_memory_app();
        sign_up_as(&app, "grace@example.com", "Grace").await;
        let (status, body) = sign_up_as(&app, "Grace@Example.COM", "Grace").await;
        assert_eq!(
            status,
            StatusCode::CONFLICT,
            "the same e-mail in another case is a duplicate too; body: {body}"
        );
    }

    #[tokio::test]
    async fn other_addresses_still_sign_up() {
        let app = in_memory_app();
        sign_up_as(&app, "ada@example.com", "Ada").await;
        sign_up_as(&app, "ada@example.com", "Ada").await;
        let (status, body) = sign_up_as(&app, "alan@example.com", "Alan").await;
        assert_eq!(
            status,
            StatusCode::CREATED,
            "a conflict must not block other sign-ups; body: {body}"
        );
    }

    #[tokio::test]
    async fn concurrent_duplicate_sign_up_is_a_conflict() {
        // Two server processes share the database file. The other one signs Ada up in
        // the gap between our request's last check and its INSERT.
        let db = TempDb::new("race");
        let ours = Connection::open(&db.0).unwrap();
        let other = Connection::open(&db.0).unwrap();
        other.busy_timeout(std::time::Duration::ZERO).unwrap();
        let mut other_result: Option<rusqlite::Result<usize>> = None;
        let hook = SqlHook::install(&ours, |sql| {
            if other_result.is_none() && sql.to_ascii_uppercase().contains("INSERT") {
                other_result = Some(other.execute(
                    "INSERT INTO users (email, name) VALUES ('ada@example.com', 'Ada elsewhere')",
                    [],
                ));
            }
        });
        let app = app(ours).expect("building the app failed");
        let (status, body) = sign_up_as(&app, "ada@example.com", "Ada").await;
        drop(hook);
        match other_result {
            Some(Ok(_)) => assert_eq!(
                status,
                StatusCode::CONFLICT,
                "another connection registered the same e-mail between the check and the \
                 INSERT: only the UNIQUE constraint caught it, and that error must be a 409 \
                 (a SELECT first cannot close this gap); body: {body}"
            ),
            Some(Err(_)) => assert_eq!(
                status,
                StatusCode::CREATED,
                "the other sign-up was locked out, so ours must succeed; body: {body}"
            ),
            None => panic!("the sign-up never ran an INSERT on the app's connection"),
        }
    }

    #[test]
    fn only_unique_violations_are_conflicts() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(SCHEMA).unwrap();
        // NOT NULL is a constraint too, but it is a bug on our side, not a conflict.
        let err = conn
            .execute(
                "INSERT INTO users (email, name) VALUES ('x@example.com', NULL)",
                [],
            )
            .unwrap_err();
        assert_eq!(
            status_for(&err).0,
            StatusCode::INTERNAL_SERVER_ERROR,
            "a NOT NULL failure ({err}) is a bug on the server: 500, not 409"
        );
        assert_eq!(
            status_for(&rusqlite::Error::QueryReturnedNoRows).0,
            StatusCode::INTERNAL_SERVER_ERROR,
            "an error that is not a constraint violation stays a 500"
        );
    }

    #[test]
    fn conflicts_are_recognised_by_their_code_not_their_wording() {
        // The same error as worded by SQLite before 3.8.2. Messages change between
        // versions (and databases); the extended result code is the stable contract.
        let old_wording = rusqlite::Error::SqliteFailure(
            ffi::Error::new(ffi::SQLITE_CONSTRAINT_UNIQUE),
            Some("column email is not unique".to_string()),
        );
        assert_eq!(
            status_for(&old_wording).0,
            StatusCode::CONFLICT,
            "a UNIQUE violation worded \"column email is not unique\" was not a 409: match \
             the extended code SQLITE_CONSTRAINT_UNIQUE, not the message"
        );

        // A CHECK constraint whose name mentions "unique" is still not a duplicate.
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE invites (
                 email TEXT NOT NULL UNIQUE,
                 CONSTRAINT unique_emails_are_lowercase CHECK (email = lower(email))
             );",
        )
        .unwrap();
        let err = conn
            .execute("INSERT INTO invites (email) VALUES ('Ada@Example.com')", [])
            .unwrap_err();
        assert_eq!(
            status_for(&err).0,
            StatusCode::INTERNAL_SERVER_ERROR,
            "\"{err}\" is a CHECK failure, not a duplicate: only the extended code \
             SQLITE_CONSTRAINT_UNIQUE means \"already taken\""
        );
    }
}
