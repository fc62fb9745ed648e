// wrong fix: checks only the status codes (200, 404, 400): a handler that answers 200 with another user's data, the password hash or the wrong content type passes them all
#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt;

    async fn status_of(uri: &str) -> StatusCode {
        app(sample_state())
            .oneshot(Request::get(uri).body(Body::empty()).unwrap())
            .await
            .unwrap()
            .status()
    }

    #[tokio::test]
    async fn found_missing_and_malformed() {
        assert_eq!(status_of("/users/1").await, StatusCode::OK);
        assert_eq!(status_of("/users/99").await, StatusCode::NOT_FOUND);
        assert_eq!(status_of("/users/abc").await, StatusCode::BAD_REQUEST);
        assert_eq!(status_of("/users/0").await, StatusCode::BAD_REQUEST);
    }
}
