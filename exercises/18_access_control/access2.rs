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
        .route("/users/{id}/role", put(set_role));
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
    Ok(Json(
        state.users.lock().unwrap().values().cloned().collect(),
    ))
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

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::{Body, to_bytes};
    use axum::http::{Method, Request};
    use axum::routing::post;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tower::ServiceExt;

    struct World {
        state: Arc<AppState>,
        admin: String,
        member: String,
        member_id: UserId,
        victim_id: UserId,
    }

    fn world() -> World {
        let state = Arc::new(AppState::default());
        let admin_id = state.add_user("root", Role::Admin);
        let member_id = state.add_user("mallory", Role::Member);
        let victim_id = state.add_user("alice", Role::Member);
        World {
            admin: state.sign_in(admin_id),
            member: state.sign_in(member_id),
            state,
            member_id,
            victim_id,
        }
    }

    async fn call(
        app: &Router,
        method: Method,
        uri: &str,
        token: Option<&str>,
    ) -> (StatusCode, String) {
        let mut req = Request::builder().method(method.clone()).uri(uri);
        if let Some(token) = token {
            req = req.header("authorization", format!("Bearer {token}"));
        }
        let body = if method == Method::PUT || method == Method::POST {
            req = req.header("content-type", "application/json");
            Body::from(r#"{"role":"admin"}"#)
        } else {
            Body::empty()
        };
        let resp = app
            .clone()
            .oneshot(req.body(body).unwrap())
            .await
            .expect("the router itself cannot fail");
        let status = resp.status();
        let body = to_bytes(resp.into_body(), 1 << 20)
            .await
            .expect("a small body");
        (status, String::from_utf8_lossy(&body).into_owned())
    }

    /// Every admin route of `app`, with a request that would change something.
    fn admin_routes(w: &World) -> Vec<(Method, String)> {
        vec![
            (Method::GET, "/admin/users".to_string()),
            (Method::DELETE, format!("/admin/users/{}", w.victim_id)),
            (Method::PUT, format!("/admin/users/{}/role", w.member_id)),
        ]
    }

    fn role_of(w: &World, id: UserId) -> Option<Role> {
        w.state.users.lock().unwrap().get(&id).map(|user| user.role)
    }

    #[tokio::test]
    async fn every_admin_route_refuses_members_and_anonymous_callers() {
        let w = world();
        let app = app(w.state.clone());
        for (method, uri) in admin_routes(&w) {
            let (status, body) = call(&app, method.clone(), &uri, Some(&w.member)).await;
            assert_eq!(
                status,
                StatusCode::FORBIDDEN,
                "{method} {uri} by a signed-in member answered {status} {body}: admin routes \
                 must refuse non-admins with 403"
            );
            let (status, _) = call(&app, method.clone(), &uri, None).await;
            assert_eq!(
                status,
                StatusCode::UNAUTHORIZED,
                "{method} {uri} without a session answered {status}: expected 401"
            );
        }
        assert_eq!(
            role_of(&w, w.victim_id),
            Some(Role::Member),
            "a member's DELETE /admin/users/{{id}} removed another user's account",
        );
        assert_eq!(
            role_of(&w, w.member_id),
            Some(Role::Member),
            "a member made themselves admin through PUT /admin/users/{{id}}/role",
        );
    }

    #[tokio::test]
    async fn admins_use_every_admin_route() {
        let w = world();
        let app = app(w.state.clone());
        let (status, body) = call(&app, Method::GET, "/admin/users", Some(&w.admin)).await;
        assert_eq!(
            status,
            StatusCode::OK,
            "the admin could not list users: {body}"
        );
        assert!(
            body.contains("mallory") && body.contains("alice"),
            "GET /admin/users must list every user: {body}"
        );
        let uri = format!("/admin/users/{}/role", w.member_id);
        let (status, body) = call(&app, Method::PUT, &uri, Some(&w.admin)).await;
        assert_eq!(
            status,
            StatusCode::NO_CONTENT,
            "the admin could not PUT {uri}: {body}"
        );
        assert_eq!(
            role_of(&w, w.member_id),
            Some(Role::Admin),
            "PUT {uri} did not change the role"
        );
        let uri = format!("/admin/users/{}", w.victim_id);
        let (status, body) = call(&app, Method::DELETE, &uri, Some(&w.admin)).await;
        assert_eq!(
            status,
            StatusCode::NO_CONTENT,
            "the admin could not DELETE {uri}: {body}"
        );
        assert_eq!(
            role_of(&w, w.victim_id),
            None,
            "DELETE {uri} did not delete the user"
        );
        let (status, _) = call(&app, Method::GET, "/me", Some(&w.member)).await;
        assert_eq!(
            status,
            StatusCode::OK,
            "GET /me is for every signed-in user"
        );
    }

    static PROBE_CALLS: AtomicUsize = AtomicUsize::new(0);

    async fn probe() -> &'static str {
        PROBE_CALLS.fetch_add(1, Ordering::SeqCst);
        "admin-only data"
    }

    #[tokio::test]
    async fn admin_area_protects_routes_it_has_never_seen() {
        // The next developer adds routes with handlers that check nothing at all.
        let w = world();
        let fresh = Router::new()
            .route("/reports", get(probe))
            .route("/reports/{id}", post(probe).delete(probe));
        let app = Router::new()
            .nest("/admin", admin_area(fresh, &w.state))
            .with_state(w.state.clone());
        for (method, uri) in [
            (Method::GET, "/admin/reports"),
            (Method::POST, "/admin/reports/7"),
            (Method::DELETE, "/admin/reports/7"),
        ] {
            let before = PROBE_CALLS.load(Ordering::SeqCst);
            let (status, body) = call(&app, method.clone(), uri, Some(&w.member)).await;
            let ran = PROBE_CALLS.load(Ordering::SeqCst) - before;
            assert!(
                status == StatusCode::FORBIDDEN && ran == 0,
                "a new route {method} {uri}, whose handler checks no role, answered a member \
                 {status} {body} (handler ran {ran} time(s)): admin_area must refuse non-admins \
                 on every route it wraps (a layer), not rely on each handler remembering"
            );
            let (status, _) = call(&app, method.clone(), uri, None).await;
            let ran = PROBE_CALLS.load(Ordering::SeqCst) - before;
            assert!(
                status == StatusCode::UNAUTHORIZED && ran == 0,
                "a new route {method} {uri} answered a caller without a session {status} \
                 (handler ran {ran} time(s)): expected 401 before the handler"
            );
            let (status, body) = call(&app, method.clone(), uri, Some(&w.admin)).await;
            assert_eq!(
                (status, body.as_str()),
                (StatusCode::OK, "admin-only data"),
                "an admin could not reach the new route {method} {uri} through admin_area"
            );
        }
    }
}
