// mutant: answers 200 (with a `null` body) for a user that does not exist
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
    let user = state.users.iter().find(|user| user.id == id);
    Json(user.map(|user| UserView {
        id: user.id,
        name: &user.name,
        email: &user.email,
    }))
    .into_response()
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

