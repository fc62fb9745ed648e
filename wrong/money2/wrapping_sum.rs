// wrong fix: sums the amounts with `wrapping_add` so that it can't panic: i64::MAX + i64::MAX + 2 wraps around to exactly 0 and passes as balanced
// money2: a double-entry ledger whose transactions always balance.
//
// Money is never created or destroyed, only moved: paying the grocer 25.00 is two entries
// of one transaction, -2500 on `cash` and +2500 on `groceries`, and every transaction's
// entries sum to zero. Then all balances together always sum to zero too, and a mistake
// shows instead of hiding. `post` writes the entries one by one without checking them.
// Reject a transaction that doesn't balance before anything is written, and write the
// rest all-or-nothing: if one entry fails, none of them (and no transaction row) stays.

use rusqlite::Connection;

fn create_schema(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(
        "PRAGMA foreign_keys = ON;
         CREATE TABLE accounts (name TEXT PRIMARY KEY);
         CREATE TABLE transactions (
             id          INTEGER PRIMARY KEY,
             description TEXT NOT NULL
         );
         CREATE TABLE entries (
             transaction_id INTEGER NOT NULL REFERENCES transactions (id),
             account        TEXT NOT NULL REFERENCES accounts (name),
             amount         INTEGER NOT NULL CHECK (amount <> 0) -- cents; < 0 is a debit
         );
         INSERT INTO accounts (name)
         VALUES ('cash'), ('bank'), ('groceries'), ('rent'), ('salary'), ('tips');",
    )
}

#[derive(Debug)]
enum LedgerError {
    /// The amounts don't sum to zero, or there are fewer than two entries.
    Unbalanced,
    Db(rusqlite::Error),
}

impl std::fmt::Display for LedgerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LedgerError::Unbalanced => f.write_str("the entries don't balance"),
            LedgerError::Db(err) => write!(f, "database error: {err}"),
        }
    }
}

impl From<rusqlite::Error> for LedgerError {
    fn from(err: rusqlite::Error) -> Self {
        LedgerError::Db(err)
    }
}

/// Records a transaction made of `entries` (account, amount in cents); returns its id.
fn post(
    conn: &mut Connection,
    description: &str,
    entries: &[(&str, i64)],
) -> Result<i64, LedgerError> {
    // Check first, in Rust: nothing is written for a transaction that doesn't balance.
    // `checked_add` because a sum that overflows i64 must not wrap around to zero.
    let sum = Some(
        entries
            .iter()
            .fold(0i64, |sum, &(_, amount)| sum.wrapping_add(amount)),
    );
    if entries.len() < 2 || sum != Some(0) {
        return Err(LedgerError::Unbalanced);
    }
    // One transaction: if any insert fails, dropping `tx` on the `?` rolls back the rest.
    let tx = conn.transaction()?;
    tx.execute(
        "INSERT INTO transactions (description) VALUES (?1)",
        [description],
    )?;
    let transaction_id = tx.last_insert_rowid();
    for (account, amount) in entries {
        tx.execute(
            "INSERT INTO entries (transaction_id, account, amount) VALUES (?1, ?2, ?3)",
            (transaction_id, account, amount),
        )?;
    }
    tx.commit()?;
    Ok(transaction_id)
}

fn main() -> Result<(), LedgerError> {
    let mut conn = Connection::open_in_memory()?;
    create_schema(&conn)?;
    post(
        &mut conn,
        "salary",
        &[("salary", -300000), ("bank", 300000)],
    )?;
    post(
        &mut conn,
        "groceries",
        &[("cash", -2500), ("groceries", 2500)],
    )?;
    let total: i64 = conn.query_row("SELECT COALESCE(SUM(amount), 0) FROM entries", [], |r| {
        r.get(0)
    })?;
    println!("all balances sum to {total}");
    Ok(())
}
