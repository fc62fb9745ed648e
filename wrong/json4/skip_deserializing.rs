// wrong fix: `#[serde(skip_deserializing)]` on the privileged fields of the model: they are silently ignored instead of refused, and the model stays the input type (its next field is client-writable again)
// json4: mass assignment: the client sets a field it must never control.
//
// Signup deserializes the request body straight into the `User` model, so every field of
// the model is one the client may send, `is_admin` included: anyone can sign up as an
// administrator (OWASP A01:2021 Broken Access Control). Give signup its own input type
// with only the fields a client may choose, make serde refuse any other key, and set the
// privileged fields on the server.

// API contract:
//   POST /users {"email": "...", "name": "..."} -> 201 {"id", "email", "name", "is_admin"}
//   only the server decides `id` and `is_admin`: a body with any key other than `email`
//   and `name` is refused with a 4xx, and creates nothing
//   GET  /users/{id}                            -> 200 the user, 404 if there is none

use std::sync::{Arc, Mutex};

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

// TODO: signup must not deserialize this model; give it an input type of its own.
#[derive(Clone, Serialize, Deserialize)]
struct User {
    #[serde(skip_deserializing)]
    id: u64,
    email: String,
    name: String,
    #[serde(skip_deserializing)]
    is_admin: bool,
}

type Users = Arc<Mutex<Vec<User>>>;

async fn signup(
    State(users): State<Users>,
    Json(mut user): Json<User>,
) -> (StatusCode, Json<User>) {
    let mut users = users.lock().unwrap();
    user.id = users.len() as u64 + 1;
    users.push(user.clone());
    (StatusCode::CREATED, Json(user))
}

async fn get_user(
    State(users): State<Users>,
    Path(id): Path<u64>,
) -> Result<Json<User>, StatusCode> {
    let users = users.lock().unwrap();
    let user = users.iter().find(|u| u.id == id).cloned();
    user.map(Json).ok_or(StatusCode::NOT_FOUND)
}

fn app() -> Router {
    let root = User {
        id: 1,
        email: "root@example.com".to_string(),
        name: "Operator".to_string(),
        is_admin: true,
    };
    Router::new()
        .route("/users", post(signup))
        .route("/users/{id}", get(get_user))
        .with_state(Arc::new(Mutex::new(vec![root])))
}

fn main() {
    // The tests drive the router in-process; building it is enough here.
    let _ = app();
}

