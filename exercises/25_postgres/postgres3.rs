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
    // TODO: another transaction can change the balance after this read.
    let row = tx
        .query_one("SELECT balance FROM accounts WHERE id = $1", &[&id])
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

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use tokio_postgres::Config;
    use tokio_postgres::error::SqlState;

    const NO_DATABASE: &str = "DATABASE_URL is not set: run this exercise with backlings, \
                               which starts PostgreSQL for you";

    /// Settings for a connection to this test's own schema (tests run in parallel in one
    /// database), created fresh with `setup` run in it.
    async fn test_db(name: &str, setup: &str) -> Config {
        let url = std::env::var("DATABASE_URL").expect(NO_DATABASE);
        let mut config: Config = url
            .parse()
            .expect("DATABASE_URL is not a PostgreSQL connection URL");
        let schema = format!("{name}_{}", std::process::id());
        config.options(format!("-c search_path={schema}"));
        config.application_name(&schema);
        let admin = connect(&config).await;
        admin
            .batch_execute(&format!(
                "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}; {setup}"
            ))
            .await
            .expect("creating the test's schema and tables");
        config
    }

    async fn connect(config: &Config) -> Client {
        let (client, connection) = config
            .connect(NoTls)
            .await
            .expect("connecting to the test database");
        tokio::spawn(async move {
            let _ = connection.await;
        });
        client
    }

    async fn backend_pid(client: &Client) -> i32 {
        client
            .query_one("SELECT pg_backend_pid()", &[])
            .await
            .unwrap()
            .get(0)
    }

    /// Waits (briefly) until some connection is blocked waiting for a lock `pid` holds.
    async fn wait_until_blocked_by(observer: &Client, pid: i32) -> bool {
        for _ in 0..250 {
            let waiting: i64 = observer
                .query_one(
                    "SELECT count(*) FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))",
                    &[&pid],
                )
                .await
                .unwrap()
                .get(0);
            if waiting > 0 {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        false
    }

    async fn balance(client: &Client, id: i64) -> i64 {
        client
            .query_one("SELECT balance FROM accounts WHERE id = $1", &[&id])
            .await
            .unwrap()
            .get(0)
    }

    #[tokio::test]
    async fn a_covered_withdrawal_is_written() {
        let config = test_db("covered", SCHEMA).await;
        let mut client = connect(&config).await;
        let left = withdraw(&mut client, 1, 30)
            .await
            .expect("Ada has 100, so taking 30 must work");
        assert_eq!(left, 70, "withdraw returns the new balance");
        assert_eq!(balance(&client, 1).await, 70, "Ada's stored balance");
        assert_eq!(
            balance(&client, 2).await,
            40,
            "Grace's account is untouched"
        );
    }

    #[tokio::test]
    async fn an_uncovered_withdrawal_is_refused_and_changes_nothing() {
        let config = test_db("uncovered", SCHEMA).await;
        let mut client = connect(&config).await;
        match withdraw(&mut client, 2, 50).await {
            Err(WithdrawError::Insufficient { balance: 40 }) => {}
            other => panic!(
                "Grace has 40, so taking 50 must be refused as Insufficient {{ balance: 40 }}, \
                 got {other:?}"
            ),
        }
        assert_eq!(
            balance(&client, 2).await,
            40,
            "a refused withdrawal writes nothing"
        );
        let left = withdraw(&mut client, 2, 40)
            .await
            .expect("after a refusal the connection must still work (no transaction left open)");
        assert_eq!(left, 0, "Grace can take all she has");
    }

    #[tokio::test]
    async fn a_concurrent_withdrawal_is_not_lost() {
        let config = test_db("concurrent", SCHEMA).await;
        let other = connect(&config).await;
        let observer = connect(&config).await;
        let mut ours = connect(&config).await;
        // Another request's transaction has taken 30 from Ada and not committed yet.
        other
            .batch_execute("BEGIN; UPDATE accounts SET balance = balance - 30 WHERE id = 1")
            .await
            .unwrap();
        let other_pid = backend_pid(&other).await;

        let mut ours_task = tokio::spawn(async move {
            let result = withdraw(&mut ours, 1, 50).await;
            drop(ours);
            result
        });
        let blocked = tokio::select! {
            done = &mut ours_task => match done.unwrap() {
                Err(err) => panic!(
                    "withdraw gave up at once while another transaction held Ada's row \
                     ({err:?}): a withdrawal must wait for the row lock (no NOWAIT, no SKIP \
                     LOCKED) and then see the balance the other one committed"
                ),
                Ok(left) => panic!(
                    "withdraw returned {left} without waiting for the other transaction that \
                     holds Ada's row: it must read and update accounts"
                ),
            },
            blocked = wait_until_blocked_by(&observer, other_pid) => blocked,
        };
        assert!(
            blocked,
            "withdraw never touched Ada's row (it must read and update accounts)"
        );
        // Our withdrawal has started and waits for the other one's row lock: commit it.
        other.batch_execute("COMMIT").await.unwrap();
        let result = ours_task.await.unwrap();
        let left = match result {
            Ok(left) => left,
            Err(WithdrawError::Db(err))
                if err.code() == Some(&SqlState::T_R_SERIALIZATION_FAILURE) =>
            {
                panic!(
                    "withdraw returned a serialization failure (40001) to its caller: that error \
                     means \"run the whole transaction again\", so retry it: {err}"
                )
            }
            Err(err) => panic!("withdrawing 50 of the 70 left must work, got {err:?}"),
        };
        assert_eq!(
            balance(&observer, 1).await,
            20,
            "100 - 30 (the other request) - 50 (ours) leaves 20: a stored 50 means our write \
             was computed from the balance read before the other request committed, and its \
             withdrawal of 30 is lost (lock the row when you read it)"
        );
        assert_eq!(left, 20, "withdraw returns the balance it stored");
    }

    /// Account 3 is frozen: a trigger refuses any change to it. Every attempt to update an
    /// account is counted by a sequence, which a rollback does not undo.
    const FROZEN: &str = "
        CREATE SEQUENCE update_attempts;
        CREATE FUNCTION refuse_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM nextval('update_attempts');
            IF OLD.id = 3 THEN RAISE EXCEPTION 'account 3 is frozen'; END IF;
            RETURN NEW;
        END $$;
        CREATE TRIGGER frozen BEFORE UPDATE ON accounts
            FOR EACH ROW EXECUTE FUNCTION refuse_frozen();
        INSERT INTO accounts (id, owner, balance) VALUES (3, 'Alan', 500);";

    #[tokio::test]
    async fn other_errors_are_returned_at_once_not_retried() {
        let config = test_db("frozen", &format!("{SCHEMA} {FROZEN}")).await;
        let mut client = connect(&config).await;
        let result = tokio::time::timeout(Duration::from_secs(2), withdraw(&mut client, 3, 10))
            .await
            .expect(
                "withdraw from a frozen account never returned: it retries an error that no \
                 retry can fix (retry only on SQLSTATE 40001)",
            );
        match result {
            Err(WithdrawError::Db(err)) if err.as_db_error().is_some() => {}
            other => panic!("a frozen account must give the database's error, got {other:?}"),
        }
        let attempts: i64 = client
            .query_one("SELECT last_value FROM update_attempts", &[])
            .await
            .unwrap()
            .get(0);
        assert_eq!(
            attempts, 1,
            "withdraw tried to update the frozen account {attempts} times: only a serialization \
             failure (40001) is worth a retry, any other error goes back to the caller"
        );
        assert_eq!(
            balance(&client, 3).await,
            500,
            "the frozen account is unchanged"
        );
    }

    #[tokio::test]
    async fn a_withdrawal_does_not_wait_for_another_accounts_transaction() {
        let config = test_db("other_account", SCHEMA).await;
        let other = connect(&config).await;
        let observer = connect(&config).await;
        let mut ours = connect(&config).await;
        // Another request is in the middle of a transaction on Grace's account.
        other
            .batch_execute("BEGIN; UPDATE accounts SET balance = balance - 10 WHERE id = 2")
            .await
            .unwrap();
        let other_pid = backend_pid(&other).await;

        let mut ours_task = tokio::spawn(async move {
            let result = withdraw(&mut ours, 1, 30).await;
            drop(ours);
            result
        });
        let (waited, done) = tokio::select! {
            done = &mut ours_task => (false, Some(done)),
            blocked = wait_until_blocked_by(&observer, other_pid) => (blocked, None),
        };
        other.batch_execute("COMMIT").await.unwrap();
        let result = match done {
            Some(done) => done,
            None => ours_task.await,
        }
        .unwrap();
        assert!(
            !waited,
            "a withdrawal from Ada's account waited for a transaction on Grace's: lock the row \
             you read (FOR UPDATE), not the table; with a table lock every withdrawal waits for \
             every other one"
        );
        let left = result.expect("Ada has 100, so taking 30 must work");
        assert_eq!(left, 70, "withdraw returns the new balance");
    }

    /// Every UPDATE of accounts first waits for a gate the test holds (a statement trigger:
    /// it fires before the statement locks any row), so that two withdrawals are both
    /// between their read and their write at the same moment.
    const GATED: &str = "
        CREATE FUNCTION wait_for_gate() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN PERFORM pg_advisory_xact_lock_shared(2513); RETURN NULL; END $$;
        CREATE TRIGGER gate BEFORE UPDATE ON accounts
            FOR EACH STATEMENT EXECUTE FUNCTION wait_for_gate();";

    /// Waits (briefly) until the connection `pid` waits for a lock.
    async fn wait_until_blocked(observer: &Client, pid: i32) -> bool {
        for _ in 0..250 {
            let blocked: bool = observer
                .query_one("SELECT cardinality(pg_blocking_pids($1)) > 0", &[&pid])
                .await
                .unwrap()
                .get(0);
            if blocked {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        false
    }

    #[tokio::test]
    async fn two_withdrawals_at_once_both_go_through() {
        let mut config = test_db("two_at_once", &format!("{SCHEMA} {GATED}")).await;
        // A deadlock is reported after 10 ms instead of the default 1 s.
        let schema = config.get_application_name().unwrap().to_string();
        config.options(format!("-c search_path={schema} -c deadlock_timeout=10ms"));
        let gate = connect(&config).await;
        gate.batch_execute("SELECT pg_advisory_lock(2513)")
            .await
            .unwrap();
        let gate_pid = backend_pid(&gate).await;

        let mut first = connect(&config).await;
        let first_task = tokio::spawn(async move {
            let result = withdraw(&mut first, 1, 30).await;
            drop(first);
            result
        });
        assert!(
            wait_until_blocked_by(&gate, gate_pid).await,
            "withdraw never updated Ada's account"
        );
        let mut second = connect(&config).await;
        let second_pid = backend_pid(&second).await;
        let mut second_task = tokio::spawn(async move {
            let result = withdraw(&mut second, 1, 50).await;
            drop(second);
            result
        });
        let second_waits = tokio::select! {
            done = &mut second_task => match done.unwrap() {
                Err(err) => panic!(
                    "a second withdrawal from Ada's account, while the first was under way, gave \
                     up at once ({err:?}): it must wait for the first one's row lock"
                ),
                Ok(left) => panic!(
                    "a second withdrawal from Ada's account returned {left} while the first was \
                     still under way: it must wait for the first one's row lock"
                ),
            },
            blocked = wait_until_blocked(&gate, second_pid) => blocked,
        };
        assert!(
            second_waits,
            "a second withdrawal from Ada's account neither waited for the first one in the \
             database nor reached its UPDATE (a lock in Rust serves one process only)"
        );
        // Both are under way: let them go on.
        gate.batch_execute("SELECT pg_advisory_unlock(2513)")
            .await
            .unwrap();
        let mut lefts = Vec::new();
        for (task, amount) in [(first_task, 30), (second_task, 50)] {
            match task.await.unwrap() {
                Ok(left) => lefts.push(left),
                Err(WithdrawError::Db(err)) => {
                    let code = err.code().map_or("-", |code| code.code());
                    let message = err
                        .as_db_error()
                        .map_or(err.to_string(), |db| db.message().to_string());
                    panic!(
                        "two withdrawals from Ada's account at once: the one of {amount} failed \
                         with SQLSTATE {code} ({message}). 40P01: FOR SHARE lets both read and \
                         then neither can write (a deadlock), FOR UPDATE makes the second wait \
                         for the first; 40001: run the whole transaction again"
                    )
                }
                Err(other) => panic!(
                    "two withdrawals from Ada's account at once: the one of {amount} failed \
                     ({other:?}), with 100 in the account"
                ),
            }
        }
        assert_eq!(
            balance(&gate, 1).await,
            20,
            "100 - 30 - 50 leaves 20: a withdrawal was computed from a balance read before the \
             other one committed"
        );
        assert_eq!(
            lefts.iter().min(),
            Some(&20),
            "the withdrawal that went second returns the balance it stored, 20 (got {lefts:?})"
        );
    }
}
