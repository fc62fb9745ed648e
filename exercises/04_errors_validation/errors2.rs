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
use axum::routing::post;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

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

// TODO: check every field and report all the problems, not just the first one.
fn validate(req: &Signup) -> Result<(), String> {
    if !valid_username(&req.username) {
        return Err("invalid username".to_string());
    }
    if !valid_email(&req.email) {
        return Err("invalid email".to_string());
    }
    if req.password.chars().count() < 12 {
        return Err("password too short".to_string());
    }
    Ok(())
}

async fn signup(
    Json(req): Json<Signup>,
) -> Result<(StatusCode, Json<Account>), (StatusCode, String)> {
    validate(&req).map_err(|message| (StatusCode::BAD_REQUEST, message))?;
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

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::{Request, header};
    use serde_json::{Value, json};
    use tower::ServiceExt;

    async fn signup(username: &str, email: &str, password: &str) -> (StatusCode, Value) {
        let body = json!({"username": username, "email": email, "password": password});
        let req = Request::post("/signup")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .unwrap();
        let resp = app().oneshot(req).await.unwrap();
        let status = resp.status();
        let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .unwrap();
        let body = serde_json::from_slice(&bytes).unwrap_or_else(|_| {
            Value::String(format!("(not JSON) {}", String::from_utf8_lossy(&bytes)))
        });
        (status, body)
    }

    /// The `field` names listed in a 422 body, checking each entry has a message.
    fn invalid_fields(body: &Value) -> Vec<&str> {
        let errors = body["errors"]
            .as_array()
            .unwrap_or_else(|| panic!("expected {{\"errors\": [...]}}, got {body}"));
        errors
            .iter()
            .map(|e| {
                let message = e["message"].as_str().unwrap_or_default();
                assert!(!message.is_empty(), "entry without a message: {e}");
                e["field"]
                    .as_str()
                    .unwrap_or_else(|| panic!("each entry names its `field`: {e}"))
            })
            .collect()
    }

    #[tokio::test]
    async fn valid_signup_is_created() {
        let (status, body) = signup("ada_l", "ada@example.com", "correct horse battery").await;
        assert_eq!(status, StatusCode::CREATED, "body: {body}");
        assert_eq!(
            body,
            json!({"username": "ada_l", "email": "ada@example.com"}),
            "the new account, without the password"
        );
    }

    #[tokio::test]
    async fn every_invalid_field_is_reported_at_once() {
        let (status, body) = signup("a!", "not-an-email", "short").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "body: {body}");
        assert_eq!(
            invalid_fields(&body),
            ["username", "email", "password"],
            "all three fields are invalid: all three are reported at once, in order"
        );
    }

    #[tokio::test]
    async fn only_the_invalid_fields_are_reported() {
        let (status, body) = signup("ada_l", "ada@localhost", "correct horse battery").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "body: {body}");
        assert_eq!(
            invalid_fields(&body),
            ["email"],
            "only the e-mail (no dot in the domain) is invalid"
        );

        let (status, body) = signup("this_name_is_far_too_long", "ada@example.com", "tiny").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "body: {body}");
        assert_eq!(
            invalid_fields(&body),
            ["username", "password"],
            "the username (too long) and the password (too short) are invalid, the \
             e-mail is fine"
        );
    }
}
