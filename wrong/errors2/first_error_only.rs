// wrong fix: answers 422 with the JSON shape, but still returns at the first invalid field; a form with three mistakes still takes three round trips
// errors2: report every invalid field, in a shape a client can use.
//
// Signup stops at the first problem and answers 400 with a sentence of plain text: a
// form with three mistakes takes three round trips, and the front end cannot tell which
// input to highlight. Validate every field, collect the problems, and answer them all at
// once as 422 Unprocessable Content with a JSON list of `{"field", "message"}` (an error
// type implementing `IntoResponse`).

// API contract:
//   POST /signup {"username": "...", "email": "...", "password": "..."}
//     -> 201 {"username": "...", "email": "..."}
//     -> 422 {"errors": [{"field": "username", "message": "..."}, ...]}, one entry per
//        invalid field, in the order username, email, password
//   username: 3 to 20 characters, ASCII letters, digits or `_`
//   email:    something, then `@`, then a domain containing a `.`
//   password: at least 12 characters

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::json;

#[derive(Deserialize)]
struct Signup {
    username: String,
    email: String,
    password: String,
}

#[derive(Serialize)]
struct Account {
    username: String,
    email: String,
}

#[derive(Serialize)]
struct FieldError {
    field: &'static str,
    message: &'static str,
}

/// All the problems found in one request.
struct ValidationErrors(Vec<FieldError>);

impl IntoResponse for ValidationErrors {
    fn into_response(self) -> Response {
        let body = Json(json!({"errors": self.0}));
        (StatusCode::UNPROCESSABLE_ENTITY, body).into_response()
    }
}

fn valid_username(username: &str) -> bool {
    (3..=20).contains(&username.len())
        && username
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn valid_email(email: &str) -> bool {
    match email.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        }
        None => false,
    }
}

fn validate(req: &Signup) -> Result<(), ValidationErrors> {
    let mut errors = Vec::new();
    if !valid_username(&req.username) {
        errors.push(FieldError {
            field: "username",
            message: "must be 3 to 20 letters, digits or underscores",
        });
        return Err(ValidationErrors(errors));
    }
    if !valid_email(&req.email) {
        errors.push(FieldError {
            field: "email",
            message: "must be an email address",
        });
        return Err(ValidationErrors(errors));
    }
    if req.password.chars().count() < 12 {
        errors.push(FieldError {
            field: "password",
            message: "must be at least 12 characters long",
        });
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ValidationErrors(errors))
    }
}

async fn signup(Json(req): Json<Signup>) -> Result<(StatusCode, Json<Account>), ValidationErrors> {
    validate(&req)?;
    // A real service would now hash the password and insert the account.
    let account = Account {
        username: req.username,
        email: req.email,
    };
    Ok((StatusCode::CREATED, Json(account)))
}

fn app() -> Router {
    Router::new().route("/signup", post(signup))
}

fn main() {
    // The tests drive the router in-process; building it is enough here.
    let _ = app();
}

