// wrong fix: hashes with Argon2i (built with `Argon2::new(Algorithm::Argon2i, ..)`) instead of the Argon2id it is given: a weaker variant against GPU cracking, which OWASP does not recommend for passwords
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
    let argon2 = argon2::Argon2::new(
        argon2::Algorithm::Argon2i,
        argon2::Version::V0x13,
        argon2.params().clone(),
    );
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
