// wrong fix: uses a wildcard for the user id too (`{*id}`): `/users/42/extra` is routed to get_user instead of being a 404
// routing1: path parameters use axum 0.8's `{name}` syntax.
//
// axum 0.7 and older wrote captures as `/:id` and wildcards as `/*rest`. axum 0.8 (this
// course) switched to `/{id}` and `/{*rest}`, and it refuses the old forms: building the
// router panics, so the service would crash at startup. This router was copied from an
// older project. Port its two routes to the 0.8 syntax; the handlers stay as they are.

use axum::{Router, extract::Path, routing::get};

/// `GET /users/42` -> `user 42`. `Path<u32>` rejects ids that are not numbers with 400.
async fn get_user(Path(id): Path<u32>) -> String {
    format!("user {id}")
}

/// `GET /assets/css/site.css` -> `asset css/site.css`: the wildcard captures the rest.
async fn get_asset(Path(path): Path<String>) -> String {
    format!("asset {path}")
}

fn app() -> Router {
    Router::new()
        .route("/users/{*id}", get(get_user))
        .route("/assets/{*path}", get(get_asset))
}

fn main() {
    let _app = app();
    println!("router built: GET /users/<id>, GET /assets/<path...>");
}

