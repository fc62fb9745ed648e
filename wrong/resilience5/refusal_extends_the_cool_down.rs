// wrong fix: restarts the cool-down at every refused call: as long as callers keep coming (they do, under load) the circuit never half-opens
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
                State::Open { .. } => {
                    *state = State::Open {
                        until: Instant::now() + self.cool_down,
                    };
                    return Err(CallError::Open);
                }
                State::HalfOpen => return Err(CallError::Open),
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

