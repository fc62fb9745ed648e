// passwords1: never store a password, store an Argon2id hash of it.
//
// This user repository writes the password itself into the `users` table and
// compares it with `==` at login: one leaked backup and every account (and every
// other site where the user reused that password) is gone. Store a PHC string
// instead (`$argon2id$v=19$m=...,t=...,p=...$<salt>$<hash>`) made by
// `PasswordHasher::hash_password`, and check a login by parsing the stored string
// with `PasswordHash::new` and calling `PasswordVerifier::verify_password`.

use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Argon2, PasswordHash};
use rusqlite::{Connection, OptionalExtension, params};

fn open_db() -> rusqlite::Result<Connection> {
    let conn = Connection::open_in_memory()?;
    conn.execute_batch(
        "CREATE TABLE users (
            id            INTEGER PRIMARY KEY,
            username      TEXT NOT NULL UNIQUE,
            password_hash TEXT NOT NULL
        )",
    )?;
    Ok(conn)
}

/// Creates the account. `argon2` carries the cost parameters to hash with.
fn register(
    conn: &Connection,
    argon2: &Argon2,
    username: &str,
    password: &str,
) -> rusqlite::Result<()> {
    let phc = argon2
        .hash_password(password.as_bytes())
        .expect("hashing with valid parameters cannot fail")
        .to_string();
    conn.execute(
        "INSERT INTO users (username, password_hash) VALUES (?1, ?2)",
        params![username, phc],
    )?;
    Ok(())
}

/// True when `username` exists and `password` is theirs.
fn login(
    conn: &Connection,
    argon2: &Argon2,
    username: &str,
    password: &str,
) -> rusqlite::Result<bool> {
    let stored: Option<String> = conn
        .query_row(
            "SELECT password_hash FROM users WHERE username = ?1",
            params![username],
            |row| row.get(0),
        )
        .optional()?;
    let Some(stored) = stored else {
        return Ok(false);
    };
    // The PHC string carries the algorithm, the parameters and the salt it was made with.
    let Ok(parsed) = PasswordHash::new(&stored) else {
        return Ok(false);
    };
    Ok(argon2.verify_password(password.as_bytes(), &parsed).is_ok())
}

fn main() -> rusqlite::Result<()> {
    let conn = open_db()?;
    // `Argon2::default()` is Argon2id with OWASP's minimum cost: m=19456 KiB, t=2, p=1.
    let argon2 = Argon2::default();
    register(&conn, &argon2, "alice", "correct horse battery staple")?;
    let stored: String = conn.query_row(
        "SELECT password_hash FROM users WHERE username = 'alice'",
        [],
        |row| row.get(0),
    )?;
    println!("stored for alice: {stored}");
    println!(
        "login with the right password: {}",
        login(&conn, &argon2, "alice", "correct horse battery staple")?
    );
    println!(
        "login with a wrong password:   {}",
        login(&conn, &argon2, "alice", "hunter2")?
    );
    Ok(())
}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use argon2::password_hash::PasswordHasher;
    use argon2::{Params, PasswordHash};

    // Cheap parameters keep the tests fast; production uses `Argon2::default()`.
    fn fast() -> Argon2<'static> {
        Argon2::from(Params::new(64, 1, 1, None).unwrap())
    }

    fn stored_hash(conn: &Connection, username: &str) -> String {
        conn.query_row(
            "SELECT password_hash FROM users WHERE username = ?1",
            params![username],
            |row| row.get(0),
        )
        .expect("register() must have stored a text value for the user")
    }

    fn registered(username: &str, password: &str) -> Connection {
        let conn = open_db().expect("an in-memory database");
        register(&conn, &fast(), username, password).expect("register() failed");
        conn
    }

    #[test]
    fn the_database_holds_an_argon2id_phc_string() {
        let conn = registered("alice", "correct horse battery staple");
        let stored = stored_hash(&conn, "alice");
        assert!(
            !stored.contains("correct horse"),
            "the password itself is in the database: {stored:?}"
        );
        assert!(
            stored.starts_with("$argon2id$"),
            "expected an Argon2id PHC string, found {stored:?}"
        );
        let parsed = PasswordHash::new(&stored).expect("the stored value must parse as PHC");
        assert!(
            parsed.salt.is_some() && parsed.hash.is_some(),
            "the PHC string {stored:?} must carry both a salt and a hash"
        );
    }

    #[test]
    fn the_same_password_is_stored_differently_for_each_user() {
        let conn = registered("alice", "password123");
        register(&conn, &fast(), "bob", "password123").expect("register() failed");
        let (a, b) = (stored_hash(&conn, "alice"), stored_hash(&conn, "bob"));
        assert_ne!(
            a, b,
            "alice and bob chose the same password and got the same row: without a random \
             salt, cracking one cracks both, and precomputed tables work"
        );
    }

    #[test]
    fn the_salt_is_random_not_derived_from_the_user() {
        // The same user, the same password, two databases (say, staging and production,
        // or the account deleted and created again).
        let first = stored_hash(&registered("alice", "password123"), "alice");
        let second = stored_hash(&registered("alice", "password123"), "alice");
        assert_ne!(
            first, second,
            "alice's stored value came out the same twice: a salt derived from the username (or a \
             constant) is predictable, so an attacker can precompute hashes for that user; \
             let `hash_password` pick a random salt"
        );
    }

    #[test]
    fn login_accepts_only_the_right_password() {
        let conn = registered("alice", "correct horse battery staple");
        let login = |username: &str, password: &str| {
            login(&conn, &fast(), username, password).expect("login() failed")
        };
        assert!(
            login("alice", "correct horse battery staple"),
            "alice typed her password correctly and was refused"
        );
        assert!(
            !login("alice", "Correct horse battery staple"),
            "a password differing in one letter was accepted"
        );
        assert!(
            !login("mallory", "correct horse battery staple"),
            "an unknown user was logged in"
        );
    }

    #[test]
    fn login_verifies_hashes_made_with_other_parameters() {
        // Bob's row was written before the service changed its cost parameters.
        let conn = open_db().expect("an in-memory database");
        let older = Argon2::from(Params::new(128, 2, 1, None).expect("valid parameters"));
        let phc = older
            .hash_password(b"bob's password")
            .expect("hashing with valid parameters")
            .to_string();
        conn.execute(
            "INSERT INTO users (username, password_hash) VALUES ('bob', ?1)",
            params![phc],
        )
        .expect("insert bob's row");
        assert!(
            login(&conn, &fast(), "bob", "bob's password").expect("login() failed"),
            "bob's password was refused; his row is a PHC string made with m=128,t=2: parse \
             it and verify against it (it carries its salt and parameters) rather than \
             comparing strings"
        );
        assert!(
            !login(&conn, &fast(), "bob", "alice's password").expect("login() failed"),
            "a wrong password was accepted for bob"
        );
    }
}
