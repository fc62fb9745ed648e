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
    let sum = entries
        .iter()
        .try_fold(0i64, |sum, &(_, amount)| sum.checked_add(amount));
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

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use std::panic::{AssertUnwindSafe, catch_unwind};

    fn ledger() -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        create_schema(&conn).unwrap();
        conn
    }

    fn balance(conn: &Connection, account: &str) -> i64 {
        conn.query_row(
            "SELECT TOTAL(amount) FROM entries WHERE account = ?1",
            [account],
            |r| r.get::<_, f64>(0),
        )
        .unwrap() as i64
    }

    /// (transaction rows, entry rows)
    fn rows(conn: &Connection) -> (i64, i64) {
        conn.query_row(
            "SELECT (SELECT COUNT(*) FROM transactions), (SELECT COUNT(*) FROM entries)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap()
    }

    /// Posts, turning a panic into a test failure that says what happened.
    fn try_post(conn: &mut Connection, entries: &[(&str, i64)]) -> Result<i64, LedgerError> {
        catch_unwind(AssertUnwindSafe(|| post(conn, "test", entries))).unwrap_or_else(|_| {
            panic!(
                "post panicked on {entries:?} (see above): an overflowing sum panics in a \
                 debug build; add with `checked_add` (or in i128) and reject it"
            )
        })
    }

    fn assert_rejected_and_nothing_written(
        conn: &mut Connection,
        entries: &[(&str, i64)],
        why: &str,
    ) {
        let before = rows(conn);
        let result = try_post(conn, entries);
        assert!(
            matches!(result, Err(LedgerError::Unbalanced)),
            "{entries:?} must be rejected as Unbalanced ({why}), got {result:?}"
        );
        assert_eq!(
            rows(conn),
            before,
            "the rejected transaction {entries:?} left (transactions, entries) rows behind: \
             check before writing anything (a check after the inserts leaves them there)"
        );
    }

    #[test]
    fn balanced_transactions_are_recorded() {
        let mut conn = ledger();
        let salary = try_post(&mut conn, &[("salary", -300000), ("bank", 300000)]);
        let dinner = try_post(
            &mut conn,
            &[("cash", -3000), ("groceries", 2500), ("tips", 500)],
        );
        let (salary, dinner) = match (salary, dinner) {
            (Ok(a), Ok(b)) => (a, b),
            other => panic!("two balanced transactions must be recorded, got {other:?}"),
        };
        assert_ne!(salary, dinner, "each transaction gets its own id");
        assert_eq!(rows(&conn), (2, 5), "2 transactions with 2 + 3 entries");
        assert_eq!(balance(&conn, "bank"), 300000, "bank received the salary");
        assert_eq!(balance(&conn, "cash"), -3000, "cash paid for dinner");
        assert_eq!(balance(&conn, "tips"), 500, "the tip is its own entry");
    }

    #[test]
    fn an_unbalanced_transaction_is_rejected_before_anything_is_written() {
        let mut conn = ledger();
        assert_rejected_and_nothing_written(
            &mut conn,
            &[("cash", -2500), ("groceries", 2400)],
            "1.00 would vanish",
        );
        assert_rejected_and_nothing_written(
            &mut conn,
            &[("cash", 2500), ("groceries", 2500)],
            "50.00 would appear from nowhere",
        );
        assert_rejected_and_nothing_written(
            &mut conn,
            &[("cash", -100)],
            "a single entry can't balance",
        );
        assert_rejected_and_nothing_written(&mut conn, &[], "a transaction without entries");
    }

    #[test]
    fn a_sum_that_overflows_is_not_zero() {
        let mut conn = ledger();
        // i64::MAX + i64::MAX + 2 wraps around to exactly 0.
        assert_rejected_and_nothing_written(
            &mut conn,
            &[("cash", i64::MAX), ("bank", i64::MAX), ("tips", 2)],
            "the true sum is 2^64, a wrapping sum says 0",
        );
    }

    #[test]
    fn an_entry_that_fails_takes_the_whole_transaction_with_it() {
        let mut conn = ledger();
        // Balanced, but the second account doesn't exist: its insert fails (foreign key).
        let result = try_post(&mut conn, &[("cash", -5000), ("no-such-account", 5000)]);
        assert!(
            matches!(result, Err(LedgerError::Db(_))),
            "an entry for an unknown account must fail with the database's error, got \
             {result:?}"
        );
        assert_eq!(
            rows(&conn),
            (0, 0),
            "after the second entry failed, (transactions, entries) rows remain: the \
             first entry committed on its own and the books no longer balance. Write them \
             in one database transaction"
        );
        let total: f64 = conn
            .query_row("SELECT TOTAL(amount) FROM entries", [], |r| r.get(0))
            .unwrap();
        assert_eq!(total, 0.0, "all balances together must sum to zero");
    }
}
