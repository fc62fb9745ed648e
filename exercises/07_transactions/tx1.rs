// tx1: a transfer is two updates that must happen together or not at all.
//
// `transfer` credits the receiver, then debits the sender. When the sender can't cover
// the amount, the `CHECK (balance_cents >= 0)` rejects the debit, but the credit already
// happened: the function reports an error and money has been created out of nothing.
// Run both updates in one transaction (`conn.transaction()`, then `tx.commit()`): if any
// statement fails, the `?` returns early, the transaction is dropped and SQLite undoes it all.

use rusqlite::Connection;

const SCHEMA: &str = "
    CREATE TABLE accounts (
        id            INTEGER PRIMARY KEY,
        owner         TEXT NOT NULL,
        balance_cents INTEGER NOT NULL CHECK (balance_cents >= 0)
    );
    INSERT INTO accounts (id, owner, balance_cents) VALUES
        (1, 'Ada', 10000),
        (2, 'Grace', 2500);
";

fn open_db() -> rusqlite::Result<Connection> {
    let conn = Connection::open_in_memory()?;
    conn.execute_batch(SCHEMA)?;
    Ok(conn)
}

/// Moves `amount_cents` from account `from` to account `to`.
fn transfer(conn: &mut Connection, from: i64, to: i64, amount_cents: i64) -> rusqlite::Result<()> {
    // TODO: each statement commits on its own.
    conn.execute(
        "UPDATE accounts SET balance_cents = balance_cents + ?1 WHERE id = ?2",
        (amount_cents, to),
    )?;
    conn.execute(
        "UPDATE accounts SET balance_cents = balance_cents - ?1 WHERE id = ?2",
        (amount_cents, from),
    )?;
    Ok(())
}

fn balance(conn: &Connection, id: i64) -> rusqlite::Result<i64> {
    conn.query_row(
        "SELECT balance_cents FROM accounts WHERE id = ?1",
        [id],
        |row| row.get(0),
    )
}

fn main() -> rusqlite::Result<()> {
    let mut conn = open_db()?;
    if let Err(err) = transfer(&mut conn, 2, 1, 5000) {
        println!("transfer refused: {err}");
    }
    println!("Ada: {}, Grace: {}", balance(&conn, 1)?, balance(&conn, 2)?);
    Ok(())
}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;

    fn total(conn: &Connection) -> i64 {
        conn.query_row("SELECT sum(balance_cents) FROM accounts", [], |r| r.get(0))
            .unwrap()
    }

    #[test]
    fn covered_transfer_moves_the_money() {
        let mut conn = open_db().unwrap();
        transfer(&mut conn, 1, 2, 4000).expect("Ada can cover 40.00");
        assert_eq!(balance(&conn, 1).unwrap(), 6000, "Ada paid 40.00");
        assert_eq!(balance(&conn, 2).unwrap(), 6500, "Grace received 40.00");
    }

    #[test]
    fn overdraft_is_refused_by_the_check_constraint() {
        let mut conn = open_db().unwrap();
        let err = transfer(&mut conn, 2, 1, 5000).expect_err("Grace only has 25.00");
        assert_eq!(
            err.sqlite_error_code(),
            Some(rusqlite::ErrorCode::ConstraintViolation),
            "unexpected error: {err}"
        );
    }

    #[test]
    fn refused_transfer_changes_nothing() {
        let mut conn = open_db().unwrap();
        let _ = transfer(&mut conn, 2, 1, 5000);
        assert_eq!(balance(&conn, 2).unwrap(), 2500, "Grace's balance");
        assert_eq!(
            balance(&conn, 1).unwrap(),
            10000,
            "Ada was credited for a failed transfer"
        );
        assert_eq!(total(&conn), 12500, "money was created");
    }

    #[test]
    fn connection_is_usable_after_a_refused_transfer() {
        let mut conn = open_db().unwrap();
        let _ = transfer(&mut conn, 2, 1, 5000);
        transfer(&mut conn, 2, 1, 2500)
            .expect("after a refused transfer, a covered one must still work");
        assert_eq!(balance(&conn, 2).unwrap(), 0, "Grace sent all she had");
        assert_eq!(
            total(&conn),
            12500,
            "money was created by the refused transfer"
        );
    }

    /// Account 3 is frozen: a trigger refuses any change to its balance.
    fn with_frozen_account(conn: &Connection) {
        conn.execute_batch(
            "INSERT INTO accounts (id, owner, balance_cents) VALUES (3, 'Alan', 7000);
             CREATE TRIGGER frozen BEFORE UPDATE ON accounts WHEN OLD.id = 3
             BEGIN SELECT RAISE(ABORT, 'account 3 is frozen'); END;",
        )
        .unwrap();
    }

    #[test]
    fn a_failure_on_either_side_changes_nothing() {
        // Whichever statement fails, and in whichever order you run them, a transfer that
        // fails halfway must leave every balance as it was.
        for (from, to, side) in [(1, 3, "credit"), (3, 1, "debit")] {
            let mut conn = open_db().unwrap();
            with_frozen_account(&conn);
            let result = transfer(&mut conn, from, to, 1000);
            assert!(
                result.is_err(),
                "account 3 is frozen, so the {side} must fail and the transfer with it"
            );
            let balances: Vec<i64> = [1, 2, 3].map(|id| balance(&conn, id).unwrap()).into();
            assert_eq!(
                balances,
                [10000, 2500, 7000],
                "the {side} failed but the other half of the transfer stayed: only a \
                 transaction makes the two updates all-or-nothing (reordering them or \
                 checking the balance first only moves the problem)"
            );
            assert!(
                conn.is_autocommit(),
                "a failed transfer left a transaction open on the connection"
            );
        }
    }
}
