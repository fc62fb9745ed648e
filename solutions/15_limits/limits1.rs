// limits1: a token bucket per client.
//
// `/api/search` is rate-limited per API key (`x-api-key`). `RateLimiter::check` counts
// requests in fixed windows that reset all at once, so a client who waits until just
// before a window ends can spend a whole allowance there and another one just after:
// twice the burst we promised. Make it a token bucket: each client's bucket holds at most
// `capacity` tokens, gains one every `refill_every` (never above `capacity`), and each
// request spends one. When it is empty, say how long until the next token arrives.
// Time comes from `tokio::time::Instant`: the tests pause tokio's clock and advance it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::http::header::RETRY_AFTER;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio::time::Instant;

struct RateLimiter {
    capacity: u32,
    refill_every: Duration,
    clients: Mutex<HashMap<String, Bucket>>,
}

/// One client's bucket: its tokens, as counted at `counted_at`.
struct Bucket {
    tokens: u32,
    counted_at: Instant,
}

impl RateLimiter {
    fn new(capacity: u32, refill_every: Duration) -> RateLimiter {
        RateLimiter {
            capacity,
            refill_every,
            clients: Mutex::new(HashMap::new()),
        }
    }

    /// `Ok(())` when `client` may make a request now (and counts it), otherwise
    /// `Err(wait)`: how long until its next request will be accepted.
    fn check(&self, client: &str) -> Result<(), Duration> {
        let now = Instant::now();
        let mut clients = self.clients.lock().unwrap();
        let bucket = clients.entry(client.to_owned()).or_insert(Bucket {
            tokens: self.capacity,
            counted_at: now,
        });
        // Whole tokens earned since they were last counted. The clock moves on only by
        // the time those tokens took, so the part of a token already earned is kept.
        let earned =
            now.duration_since(bucket.counted_at).as_nanos() / self.refill_every.as_nanos();
        if u128::from(bucket.tokens) + earned >= u128::from(self.capacity) {
            // Full: a full bucket earns nothing more, so its clock starts now.
            bucket.tokens = self.capacity;
            bucket.counted_at = now;
        } else {
            let earned = earned as u32; // below `capacity`, so it fits
            bucket.tokens += earned;
            bucket.counted_at += self.refill_every * earned;
        }
        if bucket.tokens > 0 {
            bucket.tokens -= 1;
            Ok(())
        } else {
            Err(bucket.counted_at + self.refill_every - now)
        }
    }
}

/// Answers 401 without an API key, 429 with `Retry-After` (whole seconds, rounded up)
/// when the client's bucket is empty, and passes the request on otherwise.
async fn rate_limit(State(limiter): State<Arc<RateLimiter>>, req: Request, next: Next) -> Response {
    let Some(client) = req
        .headers()
        .get("x-api-key")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
    else {
        return (
            StatusCode::UNAUTHORIZED,
            "an x-api-key header is required\n",
        )
            .into_response();
    };
    match limiter.check(&client) {
        Ok(()) => next.run(req).await,
        Err(wait) => {
            let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            (
                StatusCode::TOO_MANY_REQUESTS,
                [(RETRY_AFTER, seconds.to_string())],
                "too many requests\n",
            )
                .into_response()
        }
    }
}

fn app(limiter: Arc<RateLimiter>) -> Router {
    Router::new()
        .route("/api/search", get(|| async { "3 results\n" }))
        .layer(middleware::from_fn_with_state(limiter, rate_limit))
}

fn main() {
    let _ = app(Arc::new(RateLimiter::new(10, Duration::from_secs(1))));
    println!("10 requests at once, then one per second, per API key");
}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use std::time::Duration;
    use tokio::time::advance;
    use tower::ServiceExt;

    /// GET /api/search as `client`: the status and the Retry-After header, if any.
    async fn search(app: &Router, client: &str) -> (StatusCode, Option<String>) {
        let req = axum::http::Request::get("/api/search")
            .header("x-api-key", client)
            .body(Body::empty())
            .unwrap();
        let resp = app
            .clone()
            .oneshot(req)
            .await
            .expect("the router itself cannot fail");
        let retry_after = resp
            .headers()
            .get(RETRY_AFTER)
            .map(|value| value.to_str().unwrap_or("<not text>").to_owned());
        (resp.status(), retry_after)
    }

    /// Sends requests as `client` until one is refused; the number accepted.
    async fn greedy(app: &Router, client: &str) -> u32 {
        for accepted in 0..1000 {
            let (status, _) = search(app, client).await;
            if status != StatusCode::OK {
                assert_eq!(
                    status,
                    StatusCode::TOO_MANY_REQUESTS,
                    "a refused request must get 429 Too Many Requests"
                );
                return accepted;
            }
        }
        panic!("1000 requests in a row were accepted at the same instant: nothing is limited");
    }

    fn limited(capacity: u32, refill_every: Duration) -> Router {
        app(Arc::new(RateLimiter::new(capacity, refill_every)))
    }

    #[tokio::test(start_paused = true)]
    async fn a_burst_up_to_capacity_then_429_with_retry_after() {
        let app = limited(3, Duration::from_secs(2));
        assert_eq!(
            greedy(&app, "alice").await,
            3,
            "a fresh client may send `capacity` (3) requests at once, and no more"
        );
        for (wait_ms, expected) in [(0, "2"), (500, "2"), (700, "1"), (700, "1")] {
            advance(Duration::from_millis(wait_ms)).await;
            let (status, retry_after) = search(&app, "alice").await;
            assert_eq!(
                (status, retry_after.as_deref()),
                (StatusCode::TOO_MANY_REQUESTS, Some(expected)),
                "with one token every 2 s, 1.9 s or less after the bucket emptied the answer \
                 is 429 with Retry-After: the seconds until the next token, rounded up"
            );
        }
        advance(Duration::from_millis(100)).await; // 2.0 s after the burst
        assert_eq!(
            search(&app, "alice").await.0,
            StatusCode::OK,
            "Retry-After promised a token 2 s after the burst: a client that waited must be served"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn tokens_come_back_at_the_refill_rate() {
        for (capacity, refill_ms) in [(3, 2000), (5, 1000)] {
            let app = limited(capacity, Duration::from_millis(refill_ms));
            let mut accepted = greedy(&app, "bob").await;
            // A greedy client every 700 ms for 14 s: a token bucket lets through exactly
            // `capacity` at once and then one per `refill_every`, never more, never less.
            for step in 1..=20u64 {
                advance(Duration::from_millis(700)).await;
                accepted += greedy(&app, "bob").await;
                let elapsed_ms = step * 700;
                let expected = u64::from(capacity) + elapsed_ms / refill_ms;
                let why = if u64::from(accepted) > expected {
                    "tokens must come back one at a time, one per refill_every, not all at once"
                } else {
                    "the time since the last refill must count, including the part of a token \
                     already earned: a client asking more often than refill_every must not \
                     keep the clock from advancing"
                };
                assert_eq!(
                    u64::from(accepted),
                    expected,
                    "capacity {capacity}, one token every {refill_ms} ms: {elapsed_ms} ms after \
                     the first burst a greedy client should have had {expected} requests \
                     accepted, not {accepted}: {why}"
                );
            }
        }
    }

    #[tokio::test(start_paused = true)]
    async fn an_idle_client_gets_one_burst_not_two() {
        let app = limited(3, Duration::from_secs(2));
        assert_eq!(
            search(&app, "carol").await.0,
            StatusCode::OK,
            "the first request is allowed"
        );
        advance(Duration::from_millis(5900)).await;
        let before = greedy(&app, "carol").await;
        advance(Duration::from_millis(100)).await;
        let after = greedy(&app, "carol").await;
        assert!(
            before + after <= 3,
            "{} requests were accepted within 0.1 s ({before} then {after}) though the bucket \
             holds 3: a window that resets all at once allows a double burst at its boundary",
            before + after
        );
        advance(Duration::from_secs(60)).await;
        assert_eq!(
            greedy(&app, "carol").await,
            3,
            "after a long idle time the bucket is full, and full means `capacity` (3): \
             tokens must not pile up beyond it"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn every_client_has_its_own_bucket() {
        let app = limited(3, Duration::from_secs(2));
        assert_eq!(
            greedy(&app, "mallory").await,
            3,
            "mallory's first burst is 3 requests"
        );
        assert_eq!(
            greedy(&app, "dave").await,
            3,
            "dave got fewer than 3 requests because mallory emptied the bucket: one busy \
             client must not lock everyone else out (one bucket per API key)"
        );
        let req = axum::http::Request::get("/api/search")
            .body(Body::empty())
            .unwrap();
        let resp = app
            .clone()
            .oneshot(req)
            .await
            .expect("the router itself cannot fail");
        assert_eq!(
            resp.status(),
            StatusCode::UNAUTHORIZED,
            "a request without an API key is refused"
        );
    }
}
