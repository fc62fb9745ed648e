// wrong fix: after tx.commit(), wakes the workers with pg_notify in a batch_execute (a transaction of its own): the wake-up is not part of the job's transaction, and a crash between the commit and this statement loses it
// postgres6: a job queue in PostgreSQL, woken by LISTEN/NOTIFY.
//
// `place_order` stores an order and queues a job to e-mail its confirmation, in one
// transaction, and wakes the worker with `pg_notify`. But it notifies first, outside the
// transaction: the worker is woken before the job exists, and when the order is refused
// (CHECK quantity > 0) the transaction rolls back while the wake-up has already gone out.
// Send the NOTIFY inside the transaction: PostgreSQL delivers it at COMMIT, and never for
// a rollback. The worker side is done: `next_job` sleeps until a notification instead of
// polling, and `claim` takes a job with `FOR UPDATE SKIP LOCKED`, so workers never wait
// for each other or take the same job.

use std::future::poll_fn;
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};
use tokio_postgres::{AsyncMessage, Client, NoTls, Notification, Transaction};

const SCHEMA: &str = "
    CREATE TABLE orders (
        id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        item     text NOT NULL,
        quantity int NOT NULL CHECK (quantity > 0)
    );
    CREATE TABLE jobs (
        id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        order_id bigint NOT NULL REFERENCES orders (id),
        status   text NOT NULL DEFAULT 'queued'
    );";

#[derive(Debug, PartialEq)]
struct Job {
    id: i64,
    order_id: i64,
}

/// Stores an order, queues its confirmation job and wakes the workers listening on
/// `channel`. Returns the order's id.
async fn place_order(
    client: &mut Client,
    channel: &str,
    item: &str,
    quantity: i32,
) -> Result<i64, tokio_postgres::Error> {
    let tx = client.transaction().await?;
    let order_id: i64 = tx
        .query_one(
            "INSERT INTO orders (item, quantity) VALUES ($1, $2) RETURNING id",
            &[&item, &quantity],
        )
        .await?
        .get(0);
    tx.execute("INSERT INTO jobs (order_id) VALUES ($1)", &[&order_id])
        .await?;
    tx.commit().await?;
    client
        .batch_execute(&format!("SELECT pg_notify('{channel}', 'new job')"))
        .await?;
    Ok(order_id)
}

/// Claims the oldest queued job that no other worker holds. The job's row stays locked
/// until `tx` ends.
async fn claim(tx: &Transaction<'_>) -> Result<Option<Job>, tokio_postgres::Error> {
    let row = tx
        .query_opt(
            "UPDATE jobs SET status = 'running'
             WHERE id = (SELECT id FROM jobs WHERE status = 'queued'
                         ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
             RETURNING id, order_id",
            &[],
        )
        .await?;
    Ok(row.map(|row| Job {
        id: row.get("id"),
        order_id: row.get("order_id"),
    }))
}

/// The worker's loop: returns the next job, claimed and committed. `client` LISTENs on
/// the channel, and `wakeups` receives its notifications. `None`: the connection closed.
async fn next_job(
    client: &mut Client,
    wakeups: &mut UnboundedReceiver<Notification>,
) -> Result<Option<Job>, tokio_postgres::Error> {
    loop {
        let tx = client.transaction().await?;
        let job = claim(&tx).await?;
        tx.commit().await?;
        if job.is_some() {
            return Ok(job);
        }
        // Nothing queued: sleep until a NOTIFY on our channel, then look again.
        if wakeups.recv().await.is_none() {
            return Ok(None);
        }
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), tokio_postgres::Error> {
    let Ok(url) = std::env::var("DATABASE_URL") else {
        println!("DATABASE_URL is not set: `backlings` starts PostgreSQL and sets it.");
        return Ok(());
    };
    let (mut client, mut connection) = tokio_postgres::connect(&url, NoTls).await?;
    let (sender, mut wakeups) = unbounded_channel();
    tokio::spawn(async move {
        while let Some(Ok(message)) = poll_fn(|cx| connection.poll_message(cx)).await {
            if let AsyncMessage::Notification(notification) = message {
                let _ = sender.send(notification);
            }
        }
    });
    // Temporary tables, and a session that both queues and works: nothing is left behind.
    client.batch_execute("SET search_path = pg_temp").await?;
    client.batch_execute(SCHEMA).await?;
    client.batch_execute("LISTEN demo_jobs").await?;
    let order = place_order(&mut client, "demo_jobs", "keyboard", 1).await?;
    println!("order {order} placed");
    if let Some(job) = next_job(&mut client, &mut wakeups).await? {
        println!("worker took job {} for order {}", job.id, job.order_id);
    }
    Ok(())
}

