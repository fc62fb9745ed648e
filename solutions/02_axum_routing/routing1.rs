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
        .route("/users/{id}", get(get_user))
        .route("/assets/{*path}", get(get_asset))
}

fn main() {
    let _app = app();
    println!("router built: GET /users/<id>, GET /assets/<path...>");
}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::{Body, to_bytes};
    use axum::http::{Request, StatusCode};
    use tower::ServiceExt;

    async fn get(uri: &str) -> (StatusCode, String) {
        let request = Request::get(uri).body(Body::empty()).unwrap();
        let response = app().oneshot(request).await.unwrap();
        let status = response.status();
        let body = to_bytes(response.into_body(), usize::MAX).await.unwrap();
        (status, String::from_utf8_lossy(&body).into_owned())
    }

    #[tokio::test]
    async fn user_id_is_captured() {
        assert_eq!(
            get("/users/42").await,
            (StatusCode::OK, "user 42".into()),
            "GET /users/42 must reach get_user with id 42 (a `{{id}}` capture)"
        );
    }

    #[tokio::test]
    async fn non_numeric_id_is_rejected() {
        let (status, body) = get("/users/abc").await;
        assert_eq!(
            status,
            StatusCode::BAD_REQUEST,
            "`Path<u32>` refuses an id that is not a number with 400; got {body:?}"
        );
    }

    #[tokio::test]
    async fn wildcard_captures_the_rest_of_the_path() {
        assert_eq!(
            get("/assets/css/site.css").await,
            (StatusCode::OK, "asset css/site.css".into()),
            "GET /assets/css/site.css must reach get_asset with the whole rest of the path: \
             a wildcard (`{{*path}}`), not a one-segment capture"
        );
    }

    #[tokio::test]
    async fn capture_matches_one_segment_only() {
        let (status, body) = get("/users/42/extra").await;
        assert_eq!(
            status,
            StatusCode::NOT_FOUND,
            "/users/42/extra is not a user: a `{{id}}` capture matches one segment, so this \
             path has no route (404); got {body:?}"
        );
    }
}
