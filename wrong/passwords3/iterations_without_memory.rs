// wrong fix: keeps 4 MiB and raises the iterations to 4 instead: Argon2's strength against GPUs comes from memory, and OWASP's table asks for 9 MiB at t=4
// passwords3: Argon2 is only as strong as its cost parameters.
//
// The hashing settings below were copied from a test configuration: 4 MiB of memory
// and one pass. A GPU rig tries guesses against a leaked hash at whatever speed those
// settings allow, so they set the price of cracking every password. OWASP's Password
// Storage Cheat Sheet asks for Argon2id with at least m=19456 KiB (19 MiB), t=2, p=1
// (or an equivalent row of its table). Fix the production settings. `login` already
// upgrades hashes that are weaker than the current settings, once it knows them.

use std::collections::HashMap;

use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, PasswordHash, Version};

/// Argon2 cost settings, as they would come from the service's config file.
#[derive(Debug, Clone, Copy, PartialEq)]
struct HashingConfig {
    memory_kib: u32,
    iterations: u32,
    parallelism: u32,
}

impl HashingConfig {
    /// What the service runs with in production.
    fn production() -> Self {
        HashingConfig {
            memory_kib: 4096,
            iterations: 4,
            parallelism: 1,
        }
    }

    fn argon2(&self) -> Argon2<'static> {
        let params = Params::new(self.memory_kib, self.iterations, self.parallelism, None)
            .expect("valid Argon2 parameters");
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
    }
}

struct UserStore {
    argon2: Argon2<'static>,
    /// username -> PHC string
    hashes: HashMap<String, String>,
}

impl UserStore {
    fn new(config: HashingConfig) -> Self {
        UserStore {
            argon2: config.argon2(),
            hashes: HashMap::new(),
        }
    }

    fn register(&mut self, username: &str, password: &str) {
        let phc = self
            .argon2
            .hash_password(password.as_bytes())
            .expect("hashing cannot fail with valid parameters")
            .to_string();
        self.hashes.insert(username.to_string(), phc);
    }

    /// Checks the password; on success, re-hashes it if its stored hash is cheaper
    /// than the current settings (the only moment we have the plaintext to do so).
    fn login(&mut self, username: &str, password: &str) -> bool {
        let Some(stored) = self.hashes.get(username) else {
            return false;
        };
        let Ok(parsed) = PasswordHash::new(stored) else {
            return false;
        };
        if self
            .argon2
            .verify_password(password.as_bytes(), &parsed)
            .is_err()
        {
            return false;
        }
        let current = self.argon2.params();
        let weaker = match Params::try_from(&parsed) {
            Ok(old) => {
                parsed.algorithm.as_str() != "argon2id"
                    || old.m_cost() < current.m_cost()
                    || old.t_cost() < current.t_cost()
            }
            Err(_) => true,
        };
        if weaker {
            self.register(username, password);
        }
        true
    }
}

fn main() {
    let mut store = UserStore::new(HashingConfig::production());
    store.register("alice", "correct horse battery staple");
    println!("alice -> {}", store.hashes["alice"]);
    println!(
        "login: {}",
        store.login("alice", "correct horse battery staple")
    );
}
