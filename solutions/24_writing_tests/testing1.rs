// testing1: write the tests for an HTTP handler.
//
// This time the code is right and the tests are missing. `get_user` below works; write
// tests that would notice if it broke. They are run against this handler (they must
// pass) and against "mutants", copies of it with one bug planted each (every mutant
// must make at least one of your tests fail). Test the contract in `get_user`'s doc
// comment, through the router, as a client sees it. Don't edit above the marker line:
// the mutants replace everything above it.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use serde_json::json;

/// A user as stored by the service.
#[derive(Clone)]
struct UserRecord {
    id: u32,
    name: String,
    email: String,
    #[allow(dead_code)] // Read by the login handler, not part of this exercise.
    password_hash: String,
}

/// What clients see of a user: never the password hash.
#[derive(Serialize)]
struct UserView<'a> {
    id: u32,
    name: &'a str,
    email: &'a str,
}

#[derive(Clone)]
struct AppState {
    users: Arc<Vec<UserRecord>>,
}

fn app(state: AppState) -> Router {
    Router::new()
        .route("/users/{id}", get(get_user))
        .with_state(state)
}

/// `GET /users/{id}`.
///
/// - A user with that id: `200 OK`, `content-type: application/json`, and exactly the
///   public fields as a JSON object, e.g. `{"id":1,"name":"Ada Lovelace","email":
///   "ada@example.com"}` (the password hash never leaves the server).
/// - A well-formed id that belongs to no user: `404 Not Found`, body `{"error": "..."}`.
/// - A malformed id (anything but a positive integer that fits in a `u32`: `abc`, `0`,
///   `-1`, `1.5`, `99999999999`): `400 Bad Request`, body `{"error": "..."}`.
async fn get_user(State(state): State<AppState>, Path(raw_id): Path<String>) -> Response {
    let id: u32 = match raw_id.parse() {
        Ok(id) => id,
        Err(_) => return error(StatusCode::BAD_REQUEST, "a user id is a positive integer"),
    };
    if id == 0 {
        return error(StatusCode::BAD_REQUEST, "user ids start at 1");
    }
    match state.users.iter().find(|user| user.id == id) {
        Some(user) => Json(UserView {
            id: user.id,
            name: &user.name,
            email: &user.email,
        })
        .into_response(),
        None => error(StatusCode::NOT_FOUND, "no such user"),
    }
}

fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

/// The users the service starts with (user 3 was deleted, so ids are not positions).
fn sample_state() -> AppState {
    let user = |id: u32, name: &str, email: &str| UserRecord {
        id,
        name: name.to_string(),
        email: email.to_string(),
        password_hash: format!("$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ${id:0>43}"),
    };
    AppState {
        users: Arc::new(vec![
            user(1, "Ada Lovelace", "ada@example.com"),
            user(2, "Grace Hopper", "grace@example.com"),
            user(4, "Alan Turing", "alan@example.com"),
        ]),
    }
}

fn main() {
    let _app = app(sample_state());
    println!("GET /users/{{id}} serves 3 users; the tests are yours to write.");
}

// Your tests: write them below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::{Body, to_bytes};
    use axum::http::{Request, header};
    use serde_json::Value;
    use tower::ServiceExt;

    /// What a client sees of one response.
    struct Reply {
        status: StatusCode,
        content_type: Option<String>,
        body: Value,
    }

    /// Sends `GET uri` to the app with its sample users.
    async fn get(uri: &str) -> Reply {
        let response = app(sample_state())
            .oneshot(Request::get(uri).body(Body::empty()).unwrap())
            .await
            .expect("the router itself cannot fail");
        let status = response.status();
        let content_type = response
            .headers()
            .get(header::CONTENT_TYPE)
            .map(|value| value.to_str().unwrap_or("(not text)").to_string());
        let bytes = to_bytes(response.into_body(), 1 << 16)
            .await
            .expect("the body could not be read");
        let body = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
        Reply {
            status,
            content_type,
            body,
        }
    }

    #[tokio::test]
    async fn every_user_is_found_by_id() {
        for (id, name, email) in [
            (1, "Ada Lovelace", "ada@example.com"),
            (2, "Grace Hopper", "grace@example.com"),
            (4, "Alan Turing", "alan@example.com"),
        ] {
            let reply = get(&format!("/users/{id}")).await;
            assert_eq!(
                reply.status,
                StatusCode::OK,
                "GET /users/{id}: user {id} exists, so the answer must be 200"
            );
            assert_eq!(
                reply.body,
                serde_json::json!({ "id": id, "name": name, "email": email }),
                "GET /users/{id} must answer with exactly user {id}'s public fields"
            );
        }
    }

    #[tokio::test]
    async fn the_password_hash_is_never_sent() {
        let reply = get("/users/1").await;
        let fields = reply
            .body
            .as_object()
            .expect("GET /users/1 must answer with a JSON object");
        assert!(
            !fields.contains_key("password_hash") && !reply.body.to_string().contains("argon2"),
            "GET /users/1 sent the password hash: {}",
            reply.body
        );
    }

    #[tokio::test]
    async fn a_user_is_sent_as_json() {
        let reply = get("/users/2").await;
        assert_eq!(
            reply.content_type.as_deref(),
            Some("application/json"),
            "GET /users/2 must say `content-type: application/json`: clients decode by it"
        );
    }

    #[tokio::test]
    async fn a_missing_user_is_404() {
        for id in ["3", "5", "4294967295"] {
            let reply = get(&format!("/users/{id}")).await;
            assert_eq!(
                reply.status,
                StatusCode::NOT_FOUND,
                "GET /users/{id}: no user has id {id}, so the answer must be 404"
            );
            assert!(
                reply.body["error"].is_string(),
                "GET /users/{id} must explain the 404 in {{\"error\": ...}}, got {}",
                reply.body
            );
        }
    }

    #[tokio::test]
    async fn a_malformed_id_is_400() {
        for id in ["abc", "-1", "1.5", "99999999999", "1a"] {
            let reply = get(&format!("/users/{id}")).await;
            assert_eq!(
                reply.status,
                StatusCode::BAD_REQUEST,
                "GET /users/{id}: `{id}` is not a user id, a client error (400), not {}",
                reply.status
            );
            assert!(
                reply.body["error"].is_string(),
                "GET /users/{id} must explain the 400 in {{\"error\": ...}}, got {}",
                reply.body
            );
        }
    }

    #[tokio::test]
    async fn id_zero_is_malformed() {
        let reply = get("/users/0").await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "GET /users/0: ids start at 1, so 0 is malformed (400), not {}",
            reply.status
        );
    }
}
