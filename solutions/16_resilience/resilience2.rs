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
        if attempts >= policy.max_attempts || !method.is_idempotent() || !is_transient(&outcome) {
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

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;
    use std::rc::Rc;
    use tokio::time::Instant;

    const GIVE_UP: usize = 100;

    /// Jitter that hands out set fractions of each ceiling and records the ceilings.
    struct ScriptedJitter {
        ceilings: Vec<Duration>,
        fractions: Vec<(u32, u32)>,
    }

    impl Jitter for ScriptedJitter {
        fn pick(&mut self, ceiling: Duration) -> Duration {
            let (num, den) = self.fractions[self.ceilings.len() % self.fractions.len()];
            self.ceilings.push(ceiling);
            ceiling * num / den
        }
    }

    impl ScriptedJitter {
        fn new(fractions: &[(u32, u32)]) -> ScriptedJitter {
            ScriptedJitter {
                ceilings: Vec::new(),
                fractions: fractions.to_vec(),
            }
        }
        /// What `pick` returned, in order.
        fn picks(&self) -> Vec<Duration> {
            (self.ceilings.iter().enumerate())
                .map(|(i, c)| {
                    let (num, den) = self.fractions[i % self.fractions.len()];
                    *c * num / den
                })
                .collect()
        }
    }

    struct Run {
        outcome: Outcome,
        attempts: usize,
        /// The time between one attempt and the next.
        pauses: Vec<Duration>,
        /// The time from the last attempt to the return.
        after_last: Duration,
    }

    /// Runs `send_with_retries` on tokio's paused clock against a service that answers
    /// `script` (its last entry from then on). After GIVE_UP attempts it answers 200, so
    /// that retrying forever ends too.
    async fn drive(
        method: Method,
        policy: RetryPolicy,
        jitter: &mut ScriptedJitter,
        script: &[Outcome],
    ) -> Run {
        let times = Rc::new(RefCell::new(Vec::new()));
        let start = Instant::now();
        let outcome = {
            let times = times.clone();
            let script = script.to_vec();
            send_with_retries(&method, &policy, jitter, move || {
                let times = times.clone();
                let script = script.clone();
                async move {
                    let mut times = times.borrow_mut();
                    times.push(start.elapsed());
                    if times.len() > GIVE_UP {
                        return Ok(StatusCode::OK);
                    }
                    script[(times.len() - 1).min(script.len() - 1)]
                }
            })
            .await
        };
        let times = times.borrow();
        Run {
            outcome,
            attempts: times.len(),
            pauses: times.windows(2).map(|w| w[1] - w[0]).collect(),
            after_last: start.elapsed() - *times.last().expect("at least one attempt is made"),
        }
    }

    fn policy(max_attempts: u32) -> RetryPolicy {
        RetryPolicy {
            max_attempts,
            base: Duration::from_millis(100),
            cap: Duration::from_secs(1),
        }
    }

    fn ms(list: &[u64]) -> Vec<Duration> {
        list.iter().map(|&m| Duration::from_millis(m)).collect()
    }

    const UNAVAILABLE: Outcome = Ok(StatusCode::SERVICE_UNAVAILABLE);

    #[tokio::test(start_paused = true)]
    async fn a_transient_failure_is_retried_until_success() {
        for (method, failure) in [
            (Method::GET, UNAVAILABLE),
            (Method::PUT, Err(TransportError)),
            (Method::DELETE, Ok(StatusCode::BAD_GATEWAY)),
            (Method::GET, Ok(StatusCode::TOO_MANY_REQUESTS)),
            (Method::HEAD, Ok(StatusCode::GATEWAY_TIMEOUT)),
        ] {
            let mut jitter = ScriptedJitter::new(&[(1, 2), (1, 4)]);
            let run = drive(
                method.clone(),
                policy(5),
                &mut jitter,
                &[failure, failure, Ok(StatusCode::OK)],
            )
            .await;
            assert_eq!(
                (run.outcome, run.attempts),
                (Ok(StatusCode::OK), 3),
                "{method} answered {failure:?} twice, then 200: a transient failure of an \
                 idempotent request is retried until it succeeds"
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn backoff_doubles_up_to_the_cap_with_full_jitter() {
        let mut jitter = ScriptedJitter::new(&[(1, 2), (1, 4), (9, 10), (0, 1), (3, 5)]);
        let run = drive(Method::GET, policy(7), &mut jitter, &[UNAVAILABLE]).await;
        assert_eq!(
            run.attempts, 7,
            "a service that stays down gets max_attempts (7) attempts in all, no more, no fewer"
        );
        assert_eq!(
            run.outcome, UNAVAILABLE,
            "after the last attempt, its outcome is returned"
        );
        assert!(
            !jitter.ceilings.is_empty(),
            "the retries never asked the jitter for their pauses (they slept {:?}): without \
             jitter, every client that failed at the same moment retries at the same moments, \
             in lockstep, and the load comes back in waves",
            run.pauses
        );
        assert_eq!(
            jitter.ceilings,
            ms(&[100, 200, 400, 800, 1000, 1000]),
            "the jitter's ceiling before retry n is min(cap, base * 2^(n-1)): base 100 ms, \
             cap 1 s (exponential backoff, capped)"
        );
        assert_eq!(
            run.pauses,
            jitter.picks(),
            "the pause before each retry must be exactly what the jitter picked (ceilings \
             {:?}): without jitter, every client that failed at the same moment retries at \
             the same moment",
            jitter.ceilings
        );
        assert_eq!(
            run.after_last,
            Duration::ZERO,
            "after the last attempt the outcome is returned at once, without another pause"
        );
        let mut jitter = ScriptedJitter::new(&[(1, 1)]);
        let again = drive(Method::GET, policy(3), &mut jitter, &[Err(TransportError)]).await;
        assert_eq!(
            (again.outcome, again.attempts),
            (Err(TransportError), 3),
            "with max_attempts 3, a service that stays unreachable gets 3 attempts"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn non_idempotent_requests_are_not_retried() {
        for method in [Method::POST, Method::PATCH] {
            for failure in [
                UNAVAILABLE,
                Err(TransportError),
                Ok(StatusCode::GATEWAY_TIMEOUT),
            ] {
                let mut jitter = ScriptedJitter::new(&[(1, 2)]);
                let run = drive(
                    method.clone(),
                    policy(5),
                    &mut jitter,
                    &[failure, Ok(StatusCode::OK)],
                )
                .await;
                assert_eq!(
                    (run.outcome, run.attempts),
                    (failure, 1),
                    "{method} failed with {failure:?} and was sent again: the first one may \
                     have done its work (an order placed, a card charged) before failing, so \
                     a retry could do it twice"
                );
            }
        }
    }

    #[tokio::test(start_paused = true)]
    async fn permanent_failures_are_not_retried() {
        for status in [400, 401, 404, 409, 422, 500, 501] {
            let status = StatusCode::from_u16(status).unwrap();
            let mut jitter = ScriptedJitter::new(&[(1, 2)]);
            let run = drive(
                Method::GET,
                policy(5),
                &mut jitter,
                &[Ok(status), Ok(StatusCode::OK)],
            )
            .await;
            assert_eq!(
                (run.outcome, run.attempts),
                (Ok(status), 1),
                "GET got {status}, and was sent again: that answer would not change, a retry \
                 only adds load (retry transport errors, 429, 502, 503, 504)"
            );
        }
    }

    #[test]
    fn the_os_jitter_stays_under_the_ceiling_and_varies() {
        let ceiling = Duration::from_millis(800);
        let picks: Vec<Duration> = (0..64).map(|_| OsJitter.pick(ceiling)).collect();
        assert!(
            picks.iter().all(|&p| p <= ceiling),
            "OsJitter picked above its ceiling of {ceiling:?}: {picks:?}"
        );
        assert!(
            picks.iter().any(|&p| p != picks[0]),
            "OsJitter picked the same pause 64 times: it is not random"
        );
    }
}
