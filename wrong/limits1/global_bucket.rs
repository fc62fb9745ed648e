// wrong fix: a correct token bucket, but one for all clients (keyed by a constant): one busy client empties it and everyone else gets 429
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
    fn check(&self, _client: &str) -> Result<(), Duration> {
        let now = Instant::now();
        let mut clients = self.clients.lock().unwrap();
        let bucket = clients.entry(String::from("everyone")).or_insert(Bucket {
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

