// json1: the JSON contract uses camelCase, Rust uses snake_case.
//
// The mobile team built their client from the API contract below, where every key is
// camelCase. serde writes and expects field names exactly as they are spelled in Rust,
// so this service answers `display_name` and rejects the documented `displayName` body.
// Make both types follow the contract with one serde container attribute each (see the
// TODOs); don't rename the Rust fields.

// API contract:
//   GET /profiles/{id} -> 200 {"id": 1, "displayName": "Ada", "avatarUrl": null, "followerCount": 3}
//   PUT /profiles/{id}    {"displayName": "...", "avatarUrl": "..." | null} -> 200 the updated profile

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

#[derive(Clone, Serialize)]
// TODO: make this type use the camelCase keys of the API contract.
struct Profile {
    id: u64,
    display_name: String,
    avatar_url: Option<String>,
    follower_count: u64,
}

#[derive(Deserialize)]
// TODO: make this type use the camelCase keys of the API contract.
struct UpdateProfile {
    display_name: String,
    avatar_url: Option<String>,
}

type Profiles = Arc<Mutex<HashMap<u64, Profile>>>;

async fn get_profile(
    State(profiles): State<Profiles>,
    Path(id): Path<u64>,
) -> Result<Json<Profile>, StatusCode> {
    let profiles = profiles.lock().unwrap();
    let profile = profiles.get(&id).ok_or(StatusCode::NOT_FOUND)?;
    Ok(Json(profile.clone()))
}

async fn update_profile(
    State(profiles): State<Profiles>,
    Path(id): Path<u64>,
    Json(update): Json<UpdateProfile>,
) -> Result<Json<Profile>, StatusCode> {
    let mut profiles = profiles.lock().unwrap();
    let profile = profiles.get_mut(&id).ok_or(StatusCode::NOT_FOUND)?;
    profile.display_name = update.display_name;
    profile.avatar_url = update.avatar_url;
    Ok(Json(profile.clone()))
}

fn app() -> Router {
    let ada = Profile {
        id: 1,
        display_name: "Ada".to_string(),
        avatar_url: None,
        follower_count: 3,
    };
    let profiles: Profiles = Arc::new(Mutex::new(HashMap::from([(1, ada)])));
    Router::new()
        .route("/profiles/{id}", get(get_profile).put(update_profile))
        .with_state(profiles)
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

    async fn send(app: Router, req: Request<Body>) -> (StatusCode, String) {
        let resp = app.oneshot(req).await.unwrap();
        let status = resp.status();
        let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .unwrap();
        (status, String::from_utf8_lossy(&bytes).into_owned())
    }

    fn put(body: Value) -> Request<Body> {
        Request::put("/profiles/1")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .unwrap()
    }

    #[tokio::test]
    async fn get_answers_the_documented_keys() {
        let req = Request::get("/profiles/1").body(Body::empty()).unwrap();
        let (status, body) = send(app(), req).await;
        assert_eq!(
            status,
            StatusCode::OK,
            "GET /profiles/1 must succeed; body: {body}"
        );
        let got: Value = serde_json::from_str(&body).expect("the response must be JSON");
        assert_eq!(
            got,
            json!({"id": 1, "displayName": "Ada", "avatarUrl": null, "followerCount": 3}),
            "GET /profiles/1 must use the camelCase keys of the API contract"
        );
    }

    #[tokio::test]
    async fn put_accepts_the_documented_body() {
        let req = put(json!({"displayName": "Ada L.", "avatarUrl": "https://img.example/ada.png"}));
        let (status, body) = send(app(), req).await;
        assert_eq!(
            status,
            StatusCode::OK,
            "a PUT with the documented camelCase body was rejected: {body}"
        );
        let got: Value = serde_json::from_str(&body).expect("the response must be JSON");
        assert_eq!(
            got,
            json!({
                "id": 1,
                "displayName": "Ada L.",
                "avatarUrl": "https://img.example/ada.png",
                "followerCount": 3
            }),
            "the PUT answers the updated profile, in the contract's camelCase keys"
        );
    }

    #[tokio::test]
    async fn snake_case_keys_are_not_part_of_the_contract() {
        // A client sending the Rust spelling gets a 4xx, not a silent success.
        for body in [
            json!({"display_name": "Ada L."}),
            json!({"display_name": "Ada L.", "avatar_url": null}),
        ] {
            let (status, response) = send(app(), put(body.clone())).await;
            assert!(
                status.is_client_error(),
                "{body} uses the Rust spelling, which the contract does not have: it must be \
                 refused (4xx) so the client finds its bug, not accepted (got {status}: \
                 {response}); accepting both spellings makes two contracts"
            );
        }
    }
}
