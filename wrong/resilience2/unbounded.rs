// wrong fix: retries transient failures until they succeed, ignoring max_attempts: a service that stays down is called forever by every client
// resilience2: retry transient failures, with exponential backoff and jitter.
//
// `send_with_retries` repeats a call to another service until it succeeds, after the same
// pause every time. But a POST that failed may already have created the order, a 400 will
// be a 400 again, and after an outage every client retries in lockstep, hammering the
// service as it comes back. Retry only transient failures (a transport error, 429, 502,
// 503, 504) of idempotent methods, at most `policy.max_attempts` attempts in all. Before
// retry n (1, 2, ...) sleep `jitter.pick(ceiling)`, a random duration up to
// `ceiling = min(policy.cap, policy.base * 2^(n-1))` ("full jitter").

use std::future::Future;
use std::time::Duration;

use axum::http::{Method, StatusCode};

/// The request never got a status: connection refused or reset, a timeout...
#[derive(Debug, Clone, Copy, PartialEq)]
struct TransportError;

/// What one attempt gave.
type Outcome = Result<StatusCode, TransportError>;

/// Failures that may well not happen again a moment later.
fn is_transient(outcome: &Outcome) -> bool {
    match outcome {
        Err(TransportError) => true,
        Ok(status) => matches!(status.as_u16(), 429 | 502 | 503 | 504),
    }
}

/// Where the randomness of the backoff comes from.
trait Jitter {
    /// A random duration between zero and `ceiling`, both included.
    fn pick(&mut self, ceiling: Duration) -> Duration;
}

/// Calls `attempt` (one try of a `method` request) until it is worth no further try;
/// the outcome of the last attempt.
async fn send_with_retries<F, Fut>(
    method: &Method,
    policy: &RetryPolicy,
    jitter: &mut dyn Jitter,
    mut attempt: F,
) -> Outcome
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Outcome>,
{
    let mut attempts = 1;
    loop {
        let outcome = attempt().await;
        // Repeating a non-idempotent request (POST, PATCH) may do its work twice; a
        // permanent failure (4xx, 500) would only fail again.
        if !method.is_idempotent() || !is_transient(&outcome) {
            return outcome;
        }
        let doubling = 2u32.saturating_pow(attempts - 1);
        let ceiling = policy.base.saturating_mul(doubling).min(policy.cap);
        tokio::time::sleep(jitter.pick(ceiling)).await;
        attempts += 1;
    }
}

struct RetryPolicy {
    /// Attempts in all, the first one included.
    max_attempts: u32,
    base: Duration,
    cap: Duration,
}

/// Jitter from the operating system's random number generator.
struct OsJitter;

impl Jitter for OsJitter {
    fn pick(&mut self, ceiling: Duration) -> Duration {
        let mut bytes = [0u8; 8];
        getrandom::fill(&mut bytes).expect("the OS random number generator failed");
        let nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
        Duration::from_nanos(u64::from_le_bytes(bytes) % nanos.saturating_add(1))
    }
}

fn main() {
    let policy = RetryPolicy {
        max_attempts: 4,
        base: Duration::from_millis(100),
        cap: Duration::from_secs(2),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap();
    let outcome = runtime.block_on(send_with_retries(
        &Method::GET,
        &policy,
        &mut OsJitter,
        || async { Ok(StatusCode::SERVICE_UNAVAILABLE) },
    ));
    println!("GET against a service that is down: {outcome:?}");
}

