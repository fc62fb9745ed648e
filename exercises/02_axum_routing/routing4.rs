// routing4: shared state lives behind an `Arc`.
//
// `Router::with_state` hands every request its own *clone* of the state. That is cheap
// and safe when the state is a handle to shared data (an `Arc`, a connection pool), but
// a plain value is copied: each request then changes a private copy that is thrown away
// when the response is sent. This visit counter always says 1.
// Make the counter shared by every request: put it behind an `Arc`, with a type that can
// be changed through a shared reference (an atomic or a `Mutex`).

use axum::{Router, extract::State, routing::get};

// TODO: cloning this struct copies the counter.
#[derive(Clone, Default)]
struct AppState {
    visits: u64,
}

/// `POST /visits`: count a visit, answer the new total.
async fn record_visit(State(mut state): State<AppState>) -> String {
    state.visits += 1;
    state.visits.to_string()
}

/// `GET /visits`: the total so far.
async fn visit_count(State(state): State<AppState>) -> String {
    state.visits.to_string()
}

fn app() -> Router {
    Router::new()
        .route("/visits", get(visit_count).post(record_visit))
        .with_state(AppState::default())
}

fn main() {
    let _app = app();
    println!("GET and POST /visits are routed");
}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::{Body, to_bytes};
    use axum::http::{Method, Request, StatusCode};
    use tower::ServiceExt;

    async fn send(app: &Router, method: Method) -> String {
        let request = Request::builder()
            .method(method)
            .uri("/visits")
            .body(Body::empty())
            .unwrap();
        // Each call clones the router, as axum::serve does for every connection.
        let response = app.clone().oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let body = to_bytes(response.into_body(), usize::MAX).await.unwrap();
        String::from_utf8(body.to_vec()).unwrap()
    }

    #[tokio::test]
    async fn visits_add_up_across_requests() {
        let app = app();
        assert_eq!(send(&app, Method::POST).await, "1");
        assert_eq!(
            send(&app, Method::POST).await,
            "2",
            "the second visit must see the first one: each request counted on its own copy"
        );
        assert_eq!(send(&app, Method::POST).await, "3");
    }

    #[tokio::test]
    async fn another_handler_sees_the_same_counter() {
        let app = app();
        assert_eq!(send(&app, Method::GET).await, "0");
        send(&app, Method::POST).await;
        send(&app, Method::POST).await;
        assert_eq!(
            send(&app, Method::GET).await,
            "2",
            "GET /visits must see the visits that POST /visits counted"
        );
    }

    #[tokio::test]
    async fn each_app_starts_from_zero() {
        let first = app();
        send(&first, Method::POST).await;
        assert_eq!(send(&app(), Method::GET).await, "0");
    }
}
