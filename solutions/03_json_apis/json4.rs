// json4: mass assignment: the client sets a field it must never control.
//
// Signup deserializes the request body straight into the `User` model, so every field of
// the model is one the client may send, `is_admin` included: anyone can sign up as an
// administrator (OWASP A01:2021 Broken Access Control). Give signup its own input type
// with only the fields a client may choose, make serde refuse any other key, and set the
// privileged fields on the server.

// API contract:
//   POST /users {"email": "...", "name": "..."} -> 201 {"id", "email", "name", "is_admin"}
//   only the server decides `id` and `is_admin`: a body that sets them must not take
//   effect (refusing it with a 4xx is best)
//   GET  /users/{id}                            -> 200 the user, 404 if there is none

use std::sync::{Arc, Mutex};

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

#[derive(Clone, Serialize)]
struct User {
    id: u64,
    email: String,
    name: String,
    is_admin: bool,
}

/// What a client may send to sign up: nothing else.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Signup {
    email: String,
    name: String,
}

type Users = Arc<Mutex<Vec<User>>>;

async fn signup(State(users): State<Users>, Json(req): Json<Signup>) -> (StatusCode, Json<User>) {
    let mut users = users.lock().unwrap();
    let user = User {
        id: users.len() as u64 + 1,
        email: req.email,
        name: req.name,
        is_admin: false,
    };
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

    fn post_users(body: Value) -> Request<Body> {
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

    #[tokio::test]
    async fn signup_creates_a_regular_user() {
        let app = app();
        let req = post_users(json!({"email": "ada@example.com", "name": "Ada"}));
        let (status, user) = send(&app, req).await;
        assert_eq!(status, StatusCode::CREATED, "body: {user}");
        let expected =
            json!({"id": 2, "email": "ada@example.com", "name": "Ada", "is_admin": false});
        assert_eq!(user, expected);
        assert_eq!(send(&app, get_user(2)).await.1, expected);
    }

    #[tokio::test]
    async fn signup_cannot_grant_admin() {
        // The attack: add the privileged field to an ordinary signup.
        let app = app();
        let req = post_users(json!({
            "email": "mallory@example.com",
            "name": "Mallory",
            "is_admin": true
        }));
        let (status, body) = send(&app, req).await;
        if status.is_client_error() {
            // Rejected: nothing may have been created.
            let (status, _) = send(&app, get_user(2)).await;
            assert_eq!(
                status,
                StatusCode::NOT_FOUND,
                "a rejected signup created a user"
            );
        } else {
            assert!(status.is_success(), "got {status}: {body}");
            let id = body["id"].as_u64().expect("the response has no id");
            let (_, stored) = send(&app, get_user(id)).await;
            assert_eq!(
                stored["is_admin"],
                json!(false),
                "mass assignment: the client made itself admin: {stored}"
            );
        }
    }
}
