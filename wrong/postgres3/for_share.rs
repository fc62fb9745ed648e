// wrong fix: reads the balance with FOR SHARE: a writer must wait for it, but two withdrawals both get the shared lock, both read the same balance, and then each waits for the other's share lock to write: a deadlock, and PostgreSQL aborts one of them
// postgres3: a lost update, and the row lock that prevents it (`SELECT ... FOR UPDATE`).
//
// `withdraw` reads the balance, checks it in Rust and writes the new balance back, all in
// one transaction. A transaction is not enough: at PostgreSQL's default isolation (READ
// COMMITTED) another withdrawal can commit between the read and the write, and the write
// then puts back a balance computed from the old value: the other withdrawal is lost.
// Lock the row when you read it, so the other transaction waits for this one (or run it
// SERIALIZABLE and retry the whole transaction on SQLSTATE 40001, and on nothing else).

use tokio_postgres::{Client, NoTls};

const SCHEMA: &str = "
    CREATE TABLE accounts (
        id      bigint PRIMARY KEY,
        owner   text NOT NULL,
        balance bigint NOT NULL CHECK (balance >= 0)
    );
    INSERT INTO accounts (id, owner, balance) VALUES (1, 'Ada', 100), (2, 'Grace', 40);";

#[derive(Debug)]
enum WithdrawError {
    /// The account holds less than the amount: nothing was written.
    Insufficient {
        balance: i64,
    },
    Db(tokio_postgres::Error),
}

impl From<tokio_postgres::Error> for WithdrawError {
    fn from(err: tokio_postgres::Error) -> Self {
        WithdrawError::Db(err)
    }
}

/// Takes `amount` from account `id` and returns the new balance.
async fn withdraw(client: &mut Client, id: i64, amount: i64) -> Result<i64, WithdrawError> {
    let tx = client.transaction().await?;
    // Nobody can change the row while we hold a share lock on it.
    let row = tx
        .query_one(
            "SELECT balance FROM accounts WHERE id = $1 FOR SHARE",
            &[&id],
        )
        .await?;
    let balance: i64 = row.get("balance");
    if balance < amount {
        return Err(WithdrawError::Insufficient { balance });
    }
    let new_balance = balance - amount;
    tx.execute(
        "UPDATE accounts SET balance = $2 WHERE id = $1",
        &[&id, &new_balance],
    )
    .await?;
    tx.commit().await?;
    Ok(new_balance)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), tokio_postgres::Error> {
    let Ok(url) = std::env::var("DATABASE_URL") else {
        println!("DATABASE_URL is not set: `backlings` starts PostgreSQL and sets it.");
        return Ok(());
    };
    let (mut client, connection) = tokio_postgres::connect(&url, NoTls).await?;
    tokio::spawn(connection);
    // Temporary tables: the demo leaves nothing behind.
    client.batch_execute("SET search_path = pg_temp").await?;
    client.batch_execute(SCHEMA).await?;
    for amount in [30, 50, 40] {
        match withdraw(&mut client, 1, amount).await {
            Ok(balance) => println!("took {amount}, {balance} left"),
            Err(WithdrawError::Insufficient { balance }) => println!("refused: only {balance}"),
            Err(WithdrawError::Db(err)) => return Err(err),
        }
    }
    Ok(())
}

