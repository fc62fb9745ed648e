// wrong fix: BEGIN and COMMIT by hand; the ? returns before COMMIT and nothing rolls back, so the half-done transfer stays visible and the connection is stuck inside the transaction
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
    conn.execute_batch("BEGIN")?;
    conn.execute(
        "UPDATE accounts SET balance_cents = balance_cents + ?1 WHERE id = ?2",
        (amount_cents, to),
    )?;
    conn.execute(
        "UPDATE accounts SET balance_cents = balance_cents - ?1 WHERE id = ?2",
        (amount_cents, from),
    )?;
    conn.execute_batch("COMMIT")?;
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

