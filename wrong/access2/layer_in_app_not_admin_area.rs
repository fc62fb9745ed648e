// wrong fix: layers the role check onto today's admin routes inside app() and leaves admin_area empty: routes added to the admin area some other way (another module, a merged router) are not covered; the protection belongs to the area itself
// access2: enforce a role in one place that covers every route, not in each handler.
//
// Only admins may use the routes under /admin. `list_users` checks the role itself, but
// `delete_user` and `set_role`, added later, forgot: any signed-in member can delete
// accounts or make themselves admin (OWASP A01:2021). Copying the check into them fixes
// today's routes until the next one forgets it. Make `admin_area` protect every route it
// is given, whichever handlers they have (a `route_layer` running an extractor or a
// middleware): no session -> 401, a signed-in non-admin -> 403, before any handler runs.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::routing::{delete, get, put};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

type UserId = i64;

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Role {
    Admin,
    Member,
}

#[derive(Clone, Serialize)]
struct User {
    id: UserId,
    name: String,
    role: Role,
}

#[derive(Default)]
struct AppState {
    users: Mutex<BTreeMap<UserId, User>>,
    /// session token -> user
    sessions: Mutex<HashMap<String, UserId>>,
}

impl AppState {
    fn add_user(&self, name: &str, role: Role) -> UserId {
        let mut users = self.users.lock().unwrap();
        let id = users.keys().next_back().map_or(1, |last| last + 1);
        let name = name.to_string();
        users.insert(id, User { id, name, role });
        id
    }

    /// Starts a session (what `POST /login` does once the password checked out).
    fn sign_in(&self, user: UserId) -> String {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).expect("the OS random generator is available");
        let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        self.sessions.lock().unwrap().insert(token.clone(), user);
        token
    }
}

/// The signed-in user, with their current role: 401 when there is none.
struct AuthUser {
    id: UserId,
    role: Role,
}

impl FromRequestParts<Arc<AppState>> for AuthUser {
    type Rejection = StatusCode;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
            .ok_or(StatusCode::UNAUTHORIZED)?;
        let id = *state
            .sessions
            .lock()
            .unwrap()
            .get(token)
            .ok_or(StatusCode::UNAUTHORIZED)?;
        let users = state.users.lock().unwrap();
        let user = users.get(&id).ok_or(StatusCode::UNAUTHORIZED)?;
        Ok(AuthUser {
            id,
            role: user.role,
        })
    }
}

/// Wraps the admin routes: every one of them, now and later, is for admins only.
fn admin_area(routes: Router<Arc<AppState>>, _state: &Arc<AppState>) -> Router<Arc<AppState>> {
    // TODO: nothing here; each handler is trusted to check the role itself.
    routes
}

fn app(state: Arc<AppState>) -> Router {
    let admin = Router::new()
        .route("/users", get(list_users))
        .route("/users/{id}", delete(delete_user))
        .route("/users/{id}/role", put(set_role))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            |State(state): State<Arc<AppState>>,
             req: axum::extract::Request,
             next: axum::middleware::Next| async move {
                let (mut parts, body) = req.into_parts();
                let caller = match AuthUser::from_request_parts(&mut parts, &state).await {
                    Ok(caller) => caller,
                    Err(status) => return axum::response::IntoResponse::into_response(status),
                };
                if caller.role != Role::Admin {
                    return axum::response::IntoResponse::into_response(StatusCode::FORBIDDEN);
                }
                next.run(axum::extract::Request::from_parts(parts, body)).await
            },
        ));
    Router::new()
        .route("/me", get(me))
        .nest("/admin", admin_area(admin, &state))
        .with_state(state)
}

async fn me(State(state): State<Arc<AppState>>, caller: AuthUser) -> Json<User> {
    Json(state.users.lock().unwrap()[&caller.id].clone())
}

async fn list_users(
    State(state): State<Arc<AppState>>,
    caller: AuthUser,
) -> Result<Json<Vec<User>>, StatusCode> {
    if caller.role != Role::Admin {
        return Err(StatusCode::FORBIDDEN);
    }
    Ok(Json(state.users.lock().unwrap().values().cloned().collect()))
}

async fn delete_user(
    State(state): State<Arc<AppState>>,
    _caller: AuthUser,
    Path(id): Path<UserId>,
) -> StatusCode {
    match state.users.lock().unwrap().remove(&id) {
        Some(_) => StatusCode::NO_CONTENT,
        None => StatusCode::NOT_FOUND,
    }
}

#[derive(Deserialize)]
struct RoleChange {
    role: Role,
}

async fn set_role(
    State(state): State<Arc<AppState>>,
    _caller: AuthUser,
    Path(id): Path<UserId>,
    Json(change): Json<RoleChange>,
) -> StatusCode {
    match state.users.lock().unwrap().get_mut(&id) {
        Some(user) => {
            user.role = change.role;
            StatusCode::NO_CONTENT
        }
        None => StatusCode::NOT_FOUND,
    }
}

fn main() {
    let state = Arc::new(AppState::default());
    let root = state.add_user("root", Role::Admin);
    println!("root's token: {}", state.sign_in(root));
    let _ = app(state);
}

