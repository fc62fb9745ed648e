// cache3: a cache stampede: a hundred concurrent misses, one load.
//
// `Cache::get` answers from memory and loads a missing key from a slow backend. When a
// popular key is missing (at start-up, or when it expires), every request that arrives
// during the load misses too, and each one starts the same load: a hundred requests, a
// hundred identical queries hitting the backend at its worst moment. Make concurrent
// misses of one key share a single load ("single flight"), without making loads of
// different keys wait for each other, and so that the waiters still get the value when
// the request that started the load is cancelled (its client went away).

use std::collections::HashMap;
use std::future::Future;
use std::sync::Mutex;

/// The slow source the cache protects (a database query, another service).
trait Backend: Send + Sync + 'static {
    fn load(&self, key: &str) -> impl Future<Output = String> + Send;
}

struct Cache<B> {
    backend: B,
    entries: Mutex<HashMap<String, String>>,
}

impl<B: Backend> Cache<B> {
    fn new(backend: B) -> Self {
        Cache {
            backend,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// The value of `key`, loaded from the backend on a miss.
    async fn get(&self, key: &str) -> String {
        if let Some(value) = self.entries.lock().unwrap().get(key) {
            return value.clone();
        }
        // TODO: every caller that misses starts a load of its own, even while another
        // load of the same key is already running.
        let value = self.backend.load(key).await;
        self.entries
            .lock()
            .unwrap()
            .insert(key.to_string(), value.clone());
        value
    }
}

struct Immediate;

impl Backend for Immediate {
    async fn load(&self, key: &str) -> String {
        format!("value of {key}")
    }
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let cache = Cache::new(Immediate);
    runtime.block_on(async {
        println!("{}", cache.get("home page").await);
        println!("{}", cache.get("home page").await);
    });
}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Duration;
    use tokio::sync::watch;
    use tokio::task::JoinSet;

    /// A backend whose loads wait for the test to open a gate, and that records the key
    /// of every load it starts.
    struct Gated {
        gate: watch::Receiver<bool>,
        started: Arc<Mutex<Vec<String>>>,
    }

    impl Backend for Gated {
        fn load(&self, key: &str) -> impl Future<Output = String> + Send {
            let key = key.to_string();
            let mut gate = self.gate.clone();
            let started = Arc::clone(&self.started);
            async move {
                started.lock().unwrap().push(key.clone());
                let _ = gate.wait_for(|open| *open).await;
                format!("value of {key}")
            }
        }
    }

    struct Harness {
        cache: Arc<Cache<Gated>>,
        open: watch::Sender<bool>,
        started: Arc<Mutex<Vec<String>>>,
    }

    impl Harness {
        fn new() -> Harness {
            let (open, gate) = watch::channel(false);
            let started = Arc::new(Mutex::new(Vec::new()));
            let backend = Gated {
                gate,
                started: Arc::clone(&started),
            };
            Harness {
                cache: Arc::new(Cache::new(backend)),
                open,
                started,
            }
        }

        fn spawn_get(&self, tasks: &mut JoinSet<(String, String)>, key: &str) {
            let cache = Arc::clone(&self.cache);
            let key = key.to_string();
            tasks.spawn(async move {
                let value = cache.get(&key).await;
                (key, value)
            });
        }

        fn loads(&self) -> Vec<String> {
            self.started.lock().unwrap().clone()
        }

        fn open_gate(&self) {
            self.open.send_replace(true);
        }
    }

    /// Returns once every task is waiting: with the clock paused, tokio moves time forward
    /// only when there is nothing else to run.
    async fn settle() {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }

    /// Every task's answer; a task still waiting after a (paused-clock) minute has hung.
    async fn finish(tasks: &mut JoinSet<(String, String)>, what: &str) -> Vec<(String, String)> {
        let mut answers = Vec::new();
        loop {
            let next = tokio::time::timeout(Duration::from_secs(60), tasks.join_next()).await;
            match next {
                Ok(Some(Ok(answer))) => answers.push(answer),
                Ok(Some(Err(err))) if err.is_cancelled() => {}
                Ok(Some(Err(err))) => panic!("a get panicked: {err}"),
                Ok(None) => return answers,
                Err(_) => panic!("{what}"),
            }
        }
    }

    fn assert_values(answers: &[(String, String)]) {
        for (key, value) in answers {
            assert_eq!(
                value,
                &format!("value of {key}"),
                "get({key:?}) must answer the backend's value for that key"
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_hundred_concurrent_misses_load_once() {
        let harness = Harness::new();
        let mut tasks = JoinSet::new();
        for _ in 0..100 {
            harness.spawn_get(&mut tasks, "home page");
        }
        settle().await;
        let during = harness.loads().len();
        assert!(
            during > 0,
            "100 gets of a missing key started no load: the value must come from the \
             backend (`Backend::load`), not be made up by the cache"
        );
        assert_eq!(
            during, 1,
            "100 concurrent gets of a missing key started {during} loads of it: the \
             stampede. Concurrent misses of one key must wait for a single shared load"
        );
        harness.open_gate();
        let answers = finish(&mut tasks, "the gets never finished after the load did").await;
        assert_eq!(answers.len(), 100, "all 100 gets must answer");
        assert_values(&answers);
        let total = harness.loads().len();
        assert_eq!(
            total, 1,
            "100 gets of one key loaded it {total} times in all: the requests that waited \
             loaded it again one after another instead of taking the shared result \
             (check the cache again once your turn comes)"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn misses_of_different_keys_load_in_parallel() {
        let harness = Harness::new();
        let mut tasks = JoinSet::new();
        for key in [
            "home page",
            "pricing",
            "about",
            "home page",
            "pricing",
            "about",
        ] {
            harness.spawn_get(&mut tasks, key);
        }
        settle().await;
        let mut during = harness.loads();
        during.sort();
        let mut keys = during.clone();
        keys.dedup();
        assert_eq!(
            keys.len(),
            during.len(),
            "concurrent misses started these loads: {during:?}. Misses of one key must \
             share a single load"
        );
        assert_eq!(
            during,
            ["about", "home page", "pricing"],
            "misses of 3 different keys must start 3 loads at once (one per key), but these \
             started: {during:?}. A lock held across the load makes every miss wait for the \
             load of an unrelated key: hold the lock only to find the key's entry"
        );
        harness.open_gate();
        let answers = finish(&mut tasks, "the gets never finished after the loads did").await;
        assert_eq!(answers.len(), 6, "all 6 gets must answer");
        assert_values(&answers);
    }

    #[tokio::test(start_paused = true)]
    async fn a_loaded_value_is_served_from_memory() {
        let harness = Harness::new();
        harness.open_gate();
        for _ in 0..5 {
            let value = tokio::time::timeout(Duration::from_secs(60), harness.cache.get("faq"))
                .await
                .expect("get(\"faq\") never finished although the backend answered");
            assert_eq!(value, "value of faq", "get must answer the backend's value");
        }
        let loads = harness.loads().len();
        assert!(
            loads > 0,
            "get(\"faq\") never loaded from the backend: a missing value must be loaded"
        );
        assert_eq!(
            loads, 1,
            "5 gets of one key, one after another, loaded it {loads} times: once loaded, a \
             value must be kept and served from memory"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_cancelled_load_is_taken_over() {
        let harness = Harness::new();
        let mut first = JoinSet::new();
        harness.spawn_get(&mut first, "home page");
        settle().await;
        let mut waiters = JoinSet::new();
        for _ in 0..4 {
            harness.spawn_get(&mut waiters, "home page");
        }
        settle().await;
        // The request that started the load goes away (its client disconnected).
        first.abort_all();
        settle().await;
        harness.open_gate();
        let answers = finish(
            &mut waiters,
            "the gets waiting for a shared load hung forever after the request that was \
             running it was cancelled: a waiter must take the load over (tokio's OnceCell \
             does), or every later request for the key hangs",
        )
        .await;
        assert_eq!(answers.len(), 4, "the 4 waiting gets must all answer");
        assert_values(&answers);
        let loads = harness.loads().len();
        assert!(
            loads <= 2,
            "5 gets of one key (one of them cancelled) started {loads} loads: the cancelled \
             load may be restarted once, by one waiter, not by each of them"
        );
    }
}
