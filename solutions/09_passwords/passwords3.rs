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
            memory_kib: 19 * 1024,
            iterations: 2,
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

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use argon2::PasswordHash;

    /// (m, t, p) read back from a PHC string, the way an auditor would.
    fn cost_of(phc: &str) -> (u32, u32, u32) {
        let parsed = PasswordHash::new(phc).expect("the stored value must be a PHC string");
        assert_eq!(
            parsed.algorithm.as_str(),
            "argon2id",
            "{phc} is not Argon2id, the variant OWASP recommends (Argon2i and Argon2d are \
             weaker against GPU cracking or side channels)"
        );
        let get = |name: &str| {
            parsed
                .params
                .get_decimal(name)
                .unwrap_or_else(|| panic!("no {name}= in {phc}"))
        };
        (get("m"), get("t"), get("p"))
    }

    /// OWASP Password Storage Cheat Sheet, Argon2id: equivalent minimum settings.
    fn meets_owasp_minimum((m, t, p): (u32, u32, u32)) -> bool {
        let min_memory_kib = match t {
            0 => return false,
            1 => 47104,
            2 => 19456,
            3 => 12288,
            4 => 9216,
            _ => 7168,
        };
        m >= min_memory_kib && p >= 1
    }

    #[test]
    fn production_hashes_meet_the_owasp_minimum() {
        let mut store = UserStore::new(HashingConfig::production());
        store.register("alice", "correct horse battery staple");
        let cost = cost_of(&store.hashes["alice"]);
        assert!(
            meets_owasp_minimum(cost),
            "(m, t, p) = {cost:?} is below OWASP's minimum (m=19456, t=2, p=1 or equivalent)"
        );
    }

    #[test]
    fn login_upgrades_a_hash_made_with_the_old_settings() {
        let old = HashingConfig {
            memory_kib: 4096,
            iterations: 1,
            parallelism: 1,
        };
        let legacy = old
            .argon2()
            .hash_password(b"hunter2")
            .expect("hashing with valid parameters")
            .to_string();

        let mut store = UserStore::new(HashingConfig::production());
        store.hashes.insert("bob".to_string(), legacy.clone());
        assert!(
            store.login("bob", "hunter2"),
            "bob's old hash must still verify"
        );
        let upgraded = &store.hashes["bob"];
        assert_ne!(upgraded, &legacy, "bob's weak hash was kept after login");
        let cost = cost_of(upgraded);
        assert!(
            meets_owasp_minimum(cost),
            "bob's hash was replaced by {upgraded}, whose (m, t, p) = {cost:?} is still below \
             OWASP's minimum"
        );
    }
}
