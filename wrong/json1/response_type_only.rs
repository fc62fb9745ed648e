// wrong fix: renames only the response type: the documented camelCase PUT body is still refused
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
#[serde(rename_all = "camelCase")]
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

