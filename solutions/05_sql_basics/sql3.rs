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
    match err {
        rusqlite::Error::SqliteFailure(e, _)
            if e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE =>
        {
            (StatusCode::CONFLICT, "email already registered")
        }
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

fn app() -> rusqlite::Result<Router> {
    let conn = Connection::open_in_memory()?;
    conn.execute_batch(SCHEMA)?;
    let db: Db = Arc::new(Mutex::new(conn));
    Ok(Router::new().route("/users", post(sign_up)).with_state(db))
}

fn main() -> rusqlite::Result<()> {
    let _app = app()?;
    println!("router built: POST /users");
    Ok(())
}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::{Body, to_bytes};
    use axum::http::Request;
    use serde_json::Value;
    use tower::ServiceExt;

    async fn sign_up_as(app: &Router, email: &str, name: &str) -> (StatusCode, Value) {
        let body = json!({ "email": email, "name": name }).to_string();
        let request = Request::post("/users")
            .header("content-type", "application/json")
            .body(Body::from(body))
            .unwrap();
        let response = app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let bytes = to_bytes(response.into_body(), usize::MAX).await.unwrap();
        (status, serde_json::from_slice(&bytes).unwrap())
    }

    #[tokio::test]
    async fn first_sign_up_is_created() {
        let app = app().unwrap();
        let (status, body) = sign_up_as(&app, "ada@example.com", "Ada").await;
        assert_eq!(status, StatusCode::CREATED);
        assert!(body["id"].is_i64(), "body: {body}");
    }

    #[tokio::test]
    async fn duplicate_email_is_a_conflict() {
        let app = app().unwrap();
        sign_up_as(&app, "ada@example.com", "Ada").await;
        let (status, body) = sign_up_as(&app, "ada@example.com", "Ada again").await;
        assert_eq!(
            status,
            StatusCode::CONFLICT,
            "a duplicate e-mail is a 409 Conflict, not a server error; body: {body}"
        );
        assert_eq!(body["error"], "email already registered");
    }

    #[tokio::test]
    async fn duplicate_in_another_case_is_a_conflict_too() {
        let app = app().unwrap();
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
        let app = app().unwrap();
        sign_up_as(&app, "ada@example.com", "Ada").await;
        sign_up_as(&app, "ada@example.com", "Ada").await;
        let (status, _) = sign_up_as(&app, "alan@example.com", "Alan").await;
        assert_eq!(status, StatusCode::CREATED);
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
        assert_eq!(status_for(&err).0, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(
            status_for(&rusqlite::Error::QueryReturnedNoRows).0,
            StatusCode::INTERNAL_SERVER_ERROR
        );
    }
}
