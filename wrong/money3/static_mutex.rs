// wrong fix: wraps the read-check-write in a process-wide `static Mutex`: it serializes this process's requests, but another server process still withdraws between the read and the write
// money3: concurrent withdrawals must not overdraw an account.
//
// `withdraw` reads the balance, checks that it covers the amount, then writes the new
// balance. Two requests, handled by two server processes, can both read 100, both see that
// 70 fits, and both withdraw: 140 leaves an account that held 100. Make the check and the
// write one atomic step: a conditional `UPDATE … WHERE balance >= ?` that tells you whether
// it changed a row, or a transaction that takes the write lock before it reads
// (`TransactionBehavior::Immediate`). A `Mutex` can't stop another process.

use std::path::Path;
use std::time::Duration;

use std::sync::Mutex;

use rusqlite::Connection;

static WITHDRAWALS: Mutex<()> = Mutex::new(());

/// Opens the database file with the settings every connection of the app uses.
fn open(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    Ok(conn)
}

fn create_schema(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS accounts (
             id      INTEGER PRIMARY KEY,
             balance INTEGER NOT NULL -- in cents
         );",
    )
}

#[derive(Debug)]
enum WithdrawError {
    /// The balance doesn't cover the amount: nothing was withdrawn.
    InsufficientFunds,
    Db(rusqlite::Error),
}

impl std::fmt::Display for WithdrawError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WithdrawError::InsufficientFunds => f.write_str("insufficient funds"),
            WithdrawError::Db(err) => write!(f, "database error: {err}"),
        }
    }
}

impl From<rusqlite::Error> for WithdrawError {
    fn from(err: rusqlite::Error) -> Self {
        WithdrawError::Db(err)
    }
}

/// Withdraws `amount` cents (> 0) from an existing account; returns the new balance.
fn withdraw(conn: &Connection, account: i64, amount: i64) -> Result<i64, WithdrawError> {
    let _guard = WITHDRAWALS.lock().unwrap();
    let balance: i64 = conn.query_row(
        "SELECT balance FROM accounts WHERE id = ?1",
        [account],
        |row| row.get(0),
    )?;
    if balance < amount {
        return Err(WithdrawError::InsufficientFunds);
    }
    let new_balance = balance - amount;
    conn.execute(
        "UPDATE accounts SET balance = ?1 WHERE id = ?2",
        (new_balance, account),
    )?;
    Ok(new_balance)
}

fn main() -> Result<(), WithdrawError> {
    let path =
        std::env::temp_dir().join(format!("backlings-money3-main-{}.db", std::process::id()));
    let conn = open(&path)?;
    create_schema(&conn)?;
    conn.execute(
        "INSERT OR REPLACE INTO accounts (id, balance) VALUES (1, 10000)",
        [],
    )?;
    println!(
        "balance after withdrawing 25.00: {}",
        withdraw(&conn, 1, 2500)?
    );
    drop(conn);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    Ok(())
}
