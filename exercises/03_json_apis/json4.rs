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
    #[serde(default)]
    id: u64,
    email: String,
    name: String,
    #[serde(default)]
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

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::{Request, header};
    use serde_json::{Value, json};
    use tower::ServiceExt;

    async fn send(app: &Router, req: Request<Body>) -> (StatusCode, Value) {
        let resp = app.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .unwrap();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    fn post_users(body: &Value) -> Request<Body> {
        Request::post("/users")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .unwrap()
    }

    fn get_user(id: u64) -> Request<Body> {
        Request::get(format!("/users/{id}"))
            .body(Body::empty())
            .unwrap()
    }

    fn root() -> Value {
        json!({"id": 1, "email": "root@example.com", "name": "Operator", "is_admin": true})
    }

    #[tokio::test]
    async fn signup_creates_a_regular_user() {
        let app = app();
        let req = post_users(&json!({"email": "ada@example.com", "name": "Ada"}));
        let (status, user) = send(&app, req).await;
        assert_eq!(
            status,
            StatusCode::CREATED,
            "an ordinary signup must succeed; body: {user}"
        );
        let expected =
            json!({"id": 2, "email": "ada@example.com", "name": "Ada", "is_admin": false});
        assert_eq!(
            user, expected,
            "the new user gets the next id and is not an admin"
        );
        assert_eq!(
            send(&app, get_user(2)).await.1,
            expected,
            "GET /users/2 shows the user just created"
        );
    }

    #[tokio::test]
    async fn signup_cannot_set_privileged_or_unknown_fields() {
        // The attack: add a privileged field (or a guess at one) to an ordinary signup.
        for extra in [
            json!({"is_admin": true}),
            json!({"id": 1}),
            json!({"isAdmin": true}),
            json!({"role": "admin"}),
        ] {
            let app = app();
            let mut body = json!({"email": "mallory@example.com", "name": "Mallory"});
            let (key, value) = extra.as_object().unwrap().iter().next().unwrap();
            body[key] = value.clone();
            let (status, response) = send(&app, post_users(&body)).await;
            if status.is_success() {
                let (_, stored) = send(&app, get_user(2)).await;
                assert_ne!(
                    stored["is_admin"],
                    json!(true),
                    "mass assignment: a signup carrying {key:?} made the client an \
                     administrator: {stored}"
                );
            }
            assert!(
                status.is_client_error(),
                "a signup carrying {key:?} was accepted ({status}: {response}): the input \
                 type must list exactly what a client may send and refuse every other key \
                 (4xx). Resetting or ignoring the fields you thought of is a blocklist: the \
                 next privileged field added to the model slips through"
            );
            let (status, _) = send(&app, get_user(2)).await;
            assert_eq!(
                status,
                StatusCode::NOT_FOUND,
                "the signup carrying {key:?} was refused, yet it created a user"
            );
            assert_eq!(
                send(&app, get_user(1)).await.1,
                root(),
                "the signup carrying {key:?} changed the root user"
            );
        }
    }
}
