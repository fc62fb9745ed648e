// resilience5: a circuit breaker.
//
// When the recommendations service is down, every call still goes to it and fails
// (after its own timeout), tying up our handlers and hammering a service trying to
// recover. Make `CircuitBreaker::call` a breaker: after `failure_threshold` failures in a
// row it opens and fails fast with `CallError::Open`, without calling. After `cool_down`
// it lets ONE trial call through (half-open; others still fail fast): a success closes
// it, a failure opens it for another `cool_down`. Any success resets the count of failures
// in a row. Time is `tokio::time::Instant`: the tests pause tokio's clock and advance it.

use std::future::Future;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

#[derive(Debug)]
enum CallError<E> {
    /// The circuit is open: the dependency was not called.
    Open,
    /// The dependency was called and failed.
    Failed(E),
}

enum State {
    Closed {
        failures_in_a_row: u32,
    },
    Open {
        until: Instant,
    },
    /// The trial call is running.
    HalfOpen,
}

struct CircuitBreaker {
    failure_threshold: u32,
    cool_down: Duration,
    state: Mutex<State>,
}

impl CircuitBreaker {
    /// Calls the dependency through `call`, unless the circuit says not to.
    async fn call<T, E, F, Fut>(&self, call: F) -> Result<T, CallError<E>>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        {
            let mut state = self.state.lock().unwrap();
            match *state {
                State::Closed { .. } => {}
                // The cool-down is over: this call is the one trial.
                State::Open { until } if Instant::now() >= until => *state = State::HalfOpen,
                State::Open { .. } | State::HalfOpen => return Err(CallError::Open),
            }
        } // Never hold the lock across the call.
        let result = call().await;
        let mut state = self.state.lock().unwrap();
        *state = match (&*state, &result) {
            (_, Ok(_)) => State::Closed {
                failures_in_a_row: 0,
            },
            (State::Closed { failures_in_a_row }, Err(_))
                if failures_in_a_row + 1 < self.failure_threshold =>
            {
                State::Closed {
                    failures_in_a_row: failures_in_a_row + 1,
                }
            }
            // The threshold reached, or the trial call failed.
            (_, Err(_)) => State::Open {
                until: Instant::now() + self.cool_down,
            },
        };
        result.map_err(CallError::Failed)
    }
}

impl CircuitBreaker {
    fn new(failure_threshold: u32, cool_down: Duration) -> CircuitBreaker {
        CircuitBreaker {
            failure_threshold,
            cool_down,
            state: Mutex::new(State::Closed {
                failures_in_a_row: 0,
            }),
        }
    }
}

fn main() {
    let breaker = CircuitBreaker::new(5, Duration::from_secs(30));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    for _ in 0..7 {
        let outcome =
            runtime.block_on(breaker.call(|| async { Err::<(), _>("connection refused") }));
        println!("{outcome:?}");
    }
}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::sync::Semaphore;
    use tokio::time::advance;

    const COOL_DOWN: Duration = Duration::from_secs(10);
    const MS: Duration = Duration::from_millis(1);

    /// The recommendations service: counts the calls that reach it.
    #[derive(Clone)]
    struct Dependency {
        calls: Arc<AtomicUsize>,
        gate: Arc<Semaphore>,
    }

    impl Dependency {
        fn new() -> Dependency {
            Dependency {
                calls: Arc::new(AtomicUsize::new(0)),
                gate: Arc::new(Semaphore::new(Semaphore::MAX_PERMITS)),
            }
        }
        fn calls(&self) -> usize {
            self.calls.load(Ordering::SeqCst)
        }
        /// Calls through `breaker`, the call succeeding or failing as told; "open" when
        /// the breaker refused, with no time passing.
        async fn through(&self, breaker: &CircuitBreaker, succeed: bool) -> &'static str {
            let asked = Instant::now();
            let this = self.clone();
            let call = breaker.call(|| async move {
                this.calls.fetch_add(1, Ordering::SeqCst);
                let _pass = this.gate.acquire().await.expect("the gate is never closed");
                if succeed {
                    Ok("recommendations")
                } else {
                    Err("503 from the service")
                }
            });
            // Only while the test holds a trial call does the dependency not answer.
            let Ok(outcome) = tokio::time::timeout(Duration::from_secs(3600), call).await else {
                panic!(
                    "a call reached the dependency while the trial call was still running \
                     (half-open): only the trial call may go through, the others fail fast"
                );
            };
            match outcome {
                Ok(_) => "ok",
                Err(CallError::Failed(_)) => "failed",
                Err(CallError::Open) => {
                    assert_eq!(
                        asked.elapsed(),
                        Duration::ZERO,
                        "an open circuit must fail fast, without waiting"
                    );
                    "open"
                }
            }
        }
    }

    /// A breaker that `threshold` failures in a row have just opened.
    async fn opened(threshold: u32, dependency: &Dependency) -> CircuitBreaker {
        let breaker = CircuitBreaker::new(threshold, COOL_DOWN);
        for n in 1..=threshold {
            assert_eq!(
                dependency.through(&breaker, false).await,
                "failed",
                "failure {n} of {threshold} in a row must still reach the dependency"
            );
        }
        breaker
    }

    #[tokio::test(start_paused = true)]
    async fn it_opens_after_the_threshold_and_fails_fast() {
        for threshold in [3, 5] {
            let dependency = Dependency::new();
            let breaker = opened(threshold, &dependency).await;
            for attempt in 1..=10 {
                assert_eq!(
                    dependency.through(&breaker, true).await,
                    "open",
                    "after {threshold} failures in a row (the threshold), call {attempt} must \
                     fail fast with CallError::Open"
                );
            }
            assert_eq!(
                dependency.calls(),
                threshold as usize,
                "an open circuit must not call the dependency: it needs a rest"
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn only_failures_in_a_row_count() {
        let dependency = Dependency::new();
        let breaker = CircuitBreaker::new(3, COOL_DOWN);
        for (n, succeed) in [false, false, true, false, false, true, false, false]
            .into_iter()
            .enumerate()
        {
            let outcome = dependency.through(&breaker, succeed).await;
            assert_ne!(
                outcome,
                "open",
                "call {} was refused, but there were never 3 failures in a row: a success \
                 resets the count (count failures in a row, not in total)",
                n + 1
            );
        }
        assert_eq!(
            dependency.through(&breaker, false).await,
            "failed",
            "the 3rd failure in a row still reaches the dependency"
        );
        assert_eq!(
            dependency.through(&breaker, true).await,
            "open",
            "after 3 failures in a row the circuit is open"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn after_the_cool_down_one_trial_call_closes_it() {
        let dependency = Dependency::new();
        let breaker = Arc::new(opened(3, &dependency).await);
        advance(COOL_DOWN / 2).await;
        assert_eq!(
            dependency.through(&breaker, true).await,
            "open",
            "half-way through the cool-down the circuit is open"
        );
        advance(COOL_DOWN / 2 - MS).await;
        assert_eq!(
            dependency.through(&breaker, true).await,
            "open",
            "1 ms before the cool-down ends the circuit is still open"
        );
        advance(MS).await;
        // The trial call: it hangs until the test lets it finish.
        dependency.gate.forget_permits(Semaphore::MAX_PERMITS);
        let trial = {
            let (dependency, breaker) = (dependency.clone(), breaker.clone());
            tokio::spawn(async move { dependency.through(&breaker, true).await })
        };
        for _ in 0..100 {
            tokio::task::yield_now().await;
        }
        assert_eq!(
            dependency.calls(),
            4,
            "once the cool-down (measured from the opening, not from the last refused call) \
             is over, one trial call must reach the dependency"
        );
        for _ in 0..3 {
            assert_eq!(
                dependency.through(&breaker, true).await,
                "open",
                "while the trial call runs (half-open), other calls must still fail fast: a \
                 recovering service gets one call, not the whole backlog"
            );
        }
        dependency.gate.add_permits(Semaphore::MAX_PERMITS);
        assert_eq!(
            trial.await.expect("the trial call panicked"),
            "ok",
            "the trial call succeeds"
        );
        assert_eq!(
            dependency.through(&breaker, true).await,
            "ok",
            "after a successful trial call the circuit is closed: calls go through"
        );
        for n in 1..=2 {
            assert_eq!(
                dependency.through(&breaker, false).await,
                "failed",
                "after closing, failure {n} must reach the dependency: the count starts again"
            );
        }
        assert_eq!(
            dependency.through(&breaker, false).await,
            "failed",
            "only the 3rd failure in a row after closing opens the circuit again"
        );
        assert_eq!(
            dependency.through(&breaker, true).await,
            "open",
            "3 new failures in a row open it again"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_trial_opens_it_for_another_cool_down() {
        let dependency = Dependency::new();
        let breaker = opened(4, &dependency).await;
        advance(COOL_DOWN).await;
        assert_eq!(
            dependency.through(&breaker, false).await,
            "failed",
            "after the cool-down, the trial call reaches the dependency"
        );
        assert_eq!(
            dependency.through(&breaker, true).await,
            "open",
            "the trial call failed: the circuit must open again at once (not wait for 4 more \
             failures)"
        );
        advance(COOL_DOWN - MS).await;
        assert_eq!(
            dependency.through(&breaker, true).await,
            "open",
            "after a failed trial the circuit stays open for a whole new cool-down"
        );
        advance(MS).await;
        assert_eq!(
            dependency.through(&breaker, true).await,
            "ok",
            "a cool-down after the failed trial, a new trial is let through (and succeeds)"
        );
        assert_eq!(
            dependency.calls(),
            6,
            "4 failures, 2 trial calls: nothing else reached the dependency"
        );
    }
}
