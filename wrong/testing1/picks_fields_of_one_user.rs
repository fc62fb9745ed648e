// wrong fix: reads `name` and `email` out of user 1's JSON and checks the error statuses: extra fields (the password hash), the content type and a lookup by position (user 1 is also the first in the list) all go unnoticed
#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::{Body, to_bytes};
    use axum::http::Request;
    use serde_json::Value;
    use tower::ServiceExt;

    async fn get(uri: &str) -> (StatusCode, Value) {
        let response = app(sample_state())
            .oneshot(Request::get(uri).body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let bytes = to_bytes(response.into_body(), 1 << 16).await.unwrap();
        (status, serde_json::from_slice(&bytes).unwrap())
    }

    #[tokio::test]
    async fn ada_is_found() {
        let (status, body) = get("/users/1").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["name"], "Ada Lovelace");
        assert_eq!(body["email"], "ada@example.com");
    }

    #[tokio::test]
    async fn errors() {
        assert_eq!(get("/users/99").await.0, StatusCode::NOT_FOUND);
        assert_eq!(get("/users/abc").await.0, StatusCode::BAD_REQUEST);
        assert_eq!(get("/users/0").await.0, StatusCode::BAD_REQUEST);
    }
}
