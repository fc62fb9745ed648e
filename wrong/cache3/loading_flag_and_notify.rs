// wrong fix: marks the key as loading and makes the other misses wait on a Notify: it coalesces, but when the request running the load is cancelled the flag is never cleared and every waiter hangs forever
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
    loading: Mutex<std::collections::HashSet<String>>,
    notify: tokio::sync::Notify,
}

impl<B: Backend> Cache<B> {
    fn new(backend: B) -> Self {
        Cache {
            backend,
            entries: Mutex::new(HashMap::new()),
            loading: Mutex::new(Default::default()),
            notify: tokio::sync::Notify::new(),
        }
    }

    /// The value of `key`, loaded from the backend on a miss.
    async fn get(&self, key: &str) -> String {
        loop {
            let notified = {
                if let Some(value) = self.entries.lock().unwrap().get(key) {
                    return value.clone();
                }
                let mut loading = self.loading.lock().unwrap();
                if loading.insert(key.to_string()) {
                    None
                } else {
                    Some(self.notify.notified())
                }
            };
            match notified {
                Some(notified) => notified.await,
                None => break,
            }
        }
        let value = self.backend.load(key).await;
        self.entries
            .lock()
            .unwrap()
            .insert(key.to_string(), value.clone());
        self.loading.lock().unwrap().remove(key);
        self.notify.notify_waiters();
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

