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
            .method(method.clone())
            .uri("/visits")
            .body(Body::empty())
            .unwrap();
        // Each call clones the router, as axum::serve does for every connection.
        let response = app.clone().oneshot(request).await.unwrap();
        assert_eq!(
            response.status(),
            StatusCode::OK,
            "{method} /visits must answer 200"
        );
        let body = to_bytes(response.into_body(), usize::MAX).await.unwrap();
        String::from_utf8_lossy(&body).into_owned()
    }

    #[tokio::test]
    async fn visits_add_up_across_requests() {
        let app = app();
        assert_eq!(
            send(&app, Method::POST).await,
            "1",
            "the first visit of a new app makes the total 1"
        );
        assert_eq!(
            send(&app, Method::POST).await,
            "2",
            "the second visit must see the first one: each request counted on its own copy"
        );
        assert_eq!(
            send(&app, Method::POST).await,
            "3",
            "every visit adds one to the same shared counter"
        );
    }

    #[tokio::test]
    async fn another_handler_sees_the_same_counter() {
        let app = app();
        assert_eq!(
            send(&app, Method::GET).await,
            "0",
            "a new app has counted no visit yet"
        );
        send(&app, Method::POST).await;
        send(&app, Method::POST).await;
        assert_eq!(
            send(&app, Method::GET).await,
            "2",
            "GET /visits must see the visits that POST /visits counted"
        );
    }

    #[tokio::test]
    async fn each_app_has_a_counter_of_its_own() {
        // Two apps in one process (two tenants, or two tests): their counters are apart.
        let first = app();
        send(&first, Method::POST).await;
        let second = app();
        assert_eq!(
            send(&second, Method::GET).await,
            "0",
            "a new app must start from zero: the counter belongs to the app's state, not to a \
             global shared by every app in the process"
        );
        send(&second, Method::POST).await;
        send(&second, Method::POST).await;
        assert_eq!(
            send(&first, Method::GET).await,
            "1",
            "the first app counted one visit and must still say 1 after a second app was \
             built and used: one shared counter per app, in the app's state, not a global"
        );
    }
}
