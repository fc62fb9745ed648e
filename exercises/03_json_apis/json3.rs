// json3: the database row is not the API response.
//
// `UserRow` mirrors the `users` table, password hash included, and the handlers serialize
// it straight to JSON: every signup and profile read hands the Argon2 hash to whoever
// asks, ready for offline cracking (OWASP A02:2021 Cryptographic Failures). Give the API
// its own public type with only the fields clients may see, convert rows into it, and
// stop `UserRow` from being serializable at all, so it cannot leak again by accident.

// API contract:
//   POST /users {"email": "...", "name": "...", "password": "..."} -> 201 {"id", "email", "name"}
//   GET  /users/{id}                                             -> 200 {"id", "email", "name"}

use std::sync::{Arc, Mutex};

use argon2::Argon2;
use argon2::password_hash::PasswordHasher;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

type Db = Arc<Mutex<Connection>>;

/// One row of the `users` table, as the repository returns it.
// TODO: rows must not be serializable; answer clients with a public type instead.
#[derive(Serialize)]
struct UserRow {
    id: i64,
    email: String,
    name: String,
    #[allow(dead_code)] // read by the login code, which is not part of this file
    password_hash: String,
}

#[derive(Deserialize)]
struct Signup {
    email: String,
    name: String,
    password: String,
}

fn find_user(conn: &Connection, id: i64) -> rusqlite::Result<Option<UserRow>> {
    conn.query_row(
        "SELECT id, email, name, password_hash FROM users WHERE id = ?1",
        [id],
        |r| {
            Ok(UserRow {
                id: r.get(0)?,
                email: r.get(1)?,
                name: r.get(2)?,
                password_hash: r.get(3)?,
            })
        },
    )
    .optional()
}

async fn signup(
    State(db): State<Db>,
    Json(req): Json<Signup>,
) -> Result<(StatusCode, Json<UserRow>), StatusCode> {
    // Argon2 is deliberately slow: run it off the async worker.
    let password_hash = tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(req.password.as_bytes())
            .map(|hash| hash.to_string())
    })
    .await
    .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?
    .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;

    let conn = db.lock().unwrap();
    conn.execute(
        "INSERT INTO users (email, name, password_hash) VALUES (?1, ?2, ?3)",
        params![req.email, req.name, password_hash],
    )
    .map_err(|_| StatusCode::CONFLICT)?;
    let row = find_user(&conn, conn.last_insert_rowid())
        .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?
        .ok_or(StatusCode::INTERNAL_SERVER_ERROR)?;
    Ok((StatusCode::CREATED, Json(row)))
}

async fn get_user(State(db): State<Db>, Path(id): Path<i64>) -> Result<Json<UserRow>, StatusCode> {
    let conn = db.lock().unwrap();
    let row = find_user(&conn, id)
        .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?
        .ok_or(StatusCode::NOT_FOUND)?;
    Ok(Json(row))
}

fn app(db: Db) -> Router {
    Router::new()
        .route("/users", post(signup))
        .route("/users/{id}", get(get_user))
        .with_state(db)
}

fn open_db() -> Db {
    let conn = Connection::open_in_memory().unwrap();
    conn.execute_batch(
        "CREATE TABLE users (
            id            INTEGER PRIMARY KEY,
            email         TEXT NOT NULL UNIQUE,
            name          TEXT NOT NULL,
            password_hash TEXT NOT NULL
        );",
    )
    .unwrap();
    Arc::new(Mutex::new(conn))
}

fn main() {
    // The tests drive the router in-process; building it is enough here.
    let _ = app(open_db());
}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::{Request, header};
    use serde_json::{Value, json};
    use std::marker::PhantomData;
    use tower::ServiceExt;

    /// Tells at compile time whether `T` implements `Serialize` (autoref specialization:
    /// the first `implements_serialize` applies only when `T: Serialize`; otherwise method
    /// lookup falls back to the one on `&Probe<T>`).
    struct Probe<T>(PhantomData<T>);

    #[allow(dead_code)] // only one of the two traits is used, depending on `T`
    trait ViaSerialize {
        fn implements_serialize(&self) -> bool {
            true
        }
    }
    impl<T: Serialize> ViaSerialize for Probe<T> {}

    #[allow(dead_code)]
    trait Fallback {
        fn implements_serialize(&self) -> bool {
            false
        }
    }
    impl<T> Fallback for &Probe<T> {}

    const PASSWORD: &str = "correct horse battery staple";

    async fn send(app: &Router, req: Request<Body>) -> (StatusCode, String) {
        let resp = app.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .unwrap();
        (status, String::from_utf8_lossy(&bytes).into_owned())
    }

    async fn signup_ada(app: &Router) -> (StatusCode, String) {
        let req = Request::post("/users")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(
                json!({"email": "ada@example.com", "name": "Ada", "password": PASSWORD})
                    .to_string(),
            ))
            .unwrap();
        send(app, req).await
    }

    fn stored_hash(db: &Db) -> String {
        let conn = db.lock().unwrap();
        conn.query_row("SELECT password_hash FROM users WHERE id = 1", [], |r| {
            r.get(0)
        })
        .unwrap()
    }

    /// The attack: read a response and look for anything that helps crack the password.
    fn assert_no_secrets(body: &str, hash: &str) {
        let json: Value = serde_json::from_str(body).expect("the response must be JSON");
        let mut keys: Vec<&str> = json
            .as_object()
            .expect("the response must be a JSON object")
            .keys()
            .map(|k| k.as_str())
            .collect();
        keys.sort();
        assert_eq!(
            keys,
            ["email", "id", "name"],
            "the response must have exactly the public fields, got {body}"
        );
        assert!(
            !body.contains(hash),
            "the stored password hash leaked: anyone can crack it offline: {body}"
        );
        assert!(
            !body.contains("$argon2"),
            "a password hash leaked: anyone can crack it offline: {body}"
        );
        assert!(
            !body.contains(PASSWORD),
            "the password itself leaked: {body}"
        );
    }

    #[tokio::test]
    async fn signup_response_has_no_secrets() {
        let db = open_db();
        let app = app(db.clone());
        let (status, body) = signup_ada(&app).await;
        assert_eq!(status, StatusCode::CREATED, "body: {body}");

        let hash = stored_hash(&db);
        assert!(
            hash.starts_with("$argon2id$"),
            "the hash must still be stored"
        );
        assert_no_secrets(&body, &hash);
    }

    #[tokio::test]
    async fn profile_response_has_no_secrets() {
        let db = open_db();
        let app = app(db.clone());
        signup_ada(&app).await;

        let req = Request::get("/users/1").body(Body::empty()).unwrap();
        let (status, body) = send(&app, req).await;
        assert_eq!(status, StatusCode::OK, "body: {body}");
        assert_no_secrets(&body, &stored_hash(&db));
        let json: Value = serde_json::from_str(&body).expect("the response must be JSON");
        assert_eq!(
            json,
            json!({"id": 1, "email": "ada@example.com", "name": "Ada"}),
            "the profile shows the user's public fields, with their stored values"
        );
    }

    #[test]
    fn the_row_type_cannot_be_serialized() {
        // Hiding the hash per field (`skip_serializing`), blanking it, or deleting its key
        // from the JSON are blocklists: the next column added to the row leaks again.
        assert!(
            !(&Probe::<UserRow>(PhantomData)).implements_serialize(),
            "`UserRow` still implements `Serialize`: a serializable row is one `Json(row)` \
             away from leaking every column; answer with a public type that lists the fields \
             clients may see, and remove `Serialize` from the row"
        );
    }
}
