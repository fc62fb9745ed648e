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
    // TODO: this goes out now, before the job exists, and even if the order is refused.
    client
        .execute("SELECT pg_notify($1, 'new job')", &[&channel])
        .await?;
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

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use tokio_postgres::Config;

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

    /// A worker's connection: it LISTENs on `channel`, and its notifications arrive on the
    /// returned receiver.
    async fn listening(
        config: &Config,
        channel: &str,
    ) -> (Client, UnboundedReceiver<Notification>) {
        let (client, mut connection) = config
            .connect(NoTls)
            .await
            .expect("connecting to the test database");
        let (sender, receiver) = unbounded_channel();
        tokio::spawn(async move {
            while let Some(Ok(message)) = poll_fn(|cx| connection.poll_message(cx)).await {
                if let AsyncMessage::Notification(notification) = message {
                    let _ = sender.send(notification);
                }
            }
        });
        client
            .batch_execute(&format!("LISTEN {channel}"))
            .await
            .unwrap();
        (client, receiver)
    }

    /// The next notification, in order of delivery (a safety net of 2 s, never reached when
    /// the test passes: the test always sends one itself).
    async fn next_wakeup(wakeups: &mut UnboundedReceiver<Notification>) -> String {
        tokio::time::timeout(Duration::from_secs(2), wakeups.recv())
            .await
            .expect("no notification arrived")
            .expect("the listening connection closed")
            .payload()
            .to_string()
    }

    fn channel_of(config: &Config) -> String {
        config.get_application_name().unwrap().to_string()
    }

    async fn queued_jobs(client: &Client) -> i64 {
        client
            .query_one("SELECT count(*) FROM jobs WHERE status = 'queued'", &[])
            .await
            .unwrap()
            .get(0)
    }

    #[tokio::test]
    async fn a_placed_order_queues_a_job_for_the_worker() {
        let config = test_db("placed", SCHEMA).await;
        let channel = channel_of(&config);
        let (mut worker, mut wakeups) = listening(&config, &channel).await;
        let mut shop = connect(&config).await;
        let order = place_order(&mut shop, &channel, "keyboard", 2)
            .await
            .expect("an order of 2 keyboards is accepted");
        assert_eq!(queued_jobs(&shop).await, 1, "the order queued one job");
        let job = next_job(&mut worker, &mut wakeups)
            .await
            .unwrap()
            .expect("the worker gets the queued job");
        assert_eq!(job.order_id, order, "the job is the new order's");
        assert_eq!(
            queued_jobs(&shop).await,
            0,
            "the claimed job is no longer queued"
        );
    }

    #[tokio::test]
    async fn a_refused_order_wakes_nobody() {
        let config = test_db("refused", SCHEMA).await;
        let channel = channel_of(&config);
        let (_worker, mut wakeups) = listening(&config, &channel).await;
        let mut shop = connect(&config).await;
        place_order(&mut shop, &channel, "keyboard", 0)
            .await
            .expect_err("an order of 0 keyboards breaks CHECK (quantity > 0)");
        assert_eq!(queued_jobs(&shop).await, 0, "a refused order queues no job");
        // A marker, sent after place_order returned: it must be the first thing the worker hears.
        shop.batch_execute(&format!("NOTIFY {channel}, 'marker'"))
            .await
            .unwrap();
        assert_eq!(
            next_wakeup(&mut wakeups).await,
            "marker",
            "the worker was woken for an order that was rolled back: a NOTIFY sent outside \
             the transaction goes out whatever happens next; inside it, PostgreSQL delivers it \
             at COMMIT and drops it on ROLLBACK"
        );
    }

    /// Each INSERT into jobs waits for a lock the test holds, so the test can act while
    /// place_order's transaction is still open.
    const GATED: &str = "
        CREATE FUNCTION wait_for_gate() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN PERFORM pg_advisory_xact_lock(2506); RETURN NEW; END $$;
        CREATE TRIGGER gate BEFORE INSERT ON jobs FOR EACH ROW EXECUTE FUNCTION wait_for_gate();";

    #[tokio::test]
    async fn the_worker_is_woken_when_the_job_is_committed_not_before() {
        let config = test_db("visible", &format!("{SCHEMA} {GATED}")).await;
        let channel = channel_of(&config);
        let (_worker, mut wakeups) = listening(&config, &channel).await;
        let gate = connect(&config).await;
        gate.batch_execute("SELECT pg_advisory_lock(2506)")
            .await
            .unwrap();
        let gate_pid = backend_pid(&gate).await;
        let mut shop = connect(&config).await;
        let task_channel = channel.clone();
        let shop_task = tokio::spawn(async move {
            let placed = place_order(&mut shop, &task_channel, "monitor", 1).await;
            drop(shop);
            placed
        });
        assert!(
            wait_until_blocked_by(&gate, gate_pid).await,
            "place_order never inserted a job"
        );
        // place_order's transaction is open and its job not committed yet.
        gate.batch_execute(&format!(
            "NOTIFY {channel}, 'marker'; SELECT pg_advisory_unlock(2506);"
        ))
        .await
        .unwrap();
        shop_task
            .await
            .unwrap()
            .expect("an order of 1 monitor is accepted");
        assert_eq!(
            next_wakeup(&mut wakeups).await,
            "marker",
            "the worker was woken before the job was committed: it looks, finds nothing, and \
             goes back to sleep with a job waiting; NOTIFY inside the transaction is delivered \
             at COMMIT"
        );
        let _job_wakeup = next_wakeup(&mut wakeups).await;
    }

    /// At COMMIT, after every statement of the transaction (a deferred trigger), the job's
    /// INSERT adds a notification 'committed' on the test's channel (the schema's name).
    const COMMIT_MARK: &str = "
        CREATE FUNCTION mark_commit() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN PERFORM pg_notify(TG_TABLE_SCHEMA, 'committed'); RETURN NULL; END $$;
        CREATE CONSTRAINT TRIGGER commit_mark AFTER INSERT ON jobs
            DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION mark_commit();";

    #[tokio::test]
    async fn the_wake_up_is_committed_with_the_job() {
        let config = test_db("one_tx", &format!("{SCHEMA} {COMMIT_MARK}")).await;
        let channel = channel_of(&config);
        let (_worker, mut wakeups) = listening(&config, &channel).await;
        let mut shop = connect(&config).await;
        place_order(&mut shop, &channel, "keyboard", 3)
            .await
            .expect("an order of 3 keyboards is accepted");
        // A marker, sent after place_order returned: all that came before it is place_order's.
        let observer = connect(&config).await;
        observer
            .batch_execute(&format!("NOTIFY {channel}, 'end'"))
            .await
            .unwrap();
        let mut heard = Vec::new();
        loop {
            let payload = next_wakeup(&mut wakeups).await;
            if payload == "end" {
                break;
            }
            heard.push(payload);
        }
        let commit = heard
            .iter()
            .position(|payload| payload == "committed")
            .expect("the job's transaction committed");
        let (in_the_transaction, after_it) = (&heard[..commit], &heard[commit + 1..]);
        assert!(
            !(in_the_transaction.is_empty() && after_it.is_empty()),
            "place_order committed a job and sent no notification: a worker that is asleep \
             never hears about it"
        );
        assert!(
            !in_the_transaction.is_empty() || after_it.is_empty(),
            "the notification was sent after the COMMIT, in a transaction of its own: a crash \
             between the two loses the wake-up; send it through the transaction, before commit()"
        );
        assert!(
            after_it.is_empty(),
            "a second notification went out after the COMMIT: the one inside the transaction \
             already wakes the workers at COMMIT; the extra one sends every idle worker to look \
             at an empty queue again (heard {heard:?})"
        );
        assert_eq!(
            in_the_transaction.len(),
            1,
            "one job, one wake-up (heard {heard:?})"
        );
    }

    /// Counts the claim statements (an UPDATE of jobs, even one that finds no job): a
    /// sequence, which no rollback undoes.
    const COUNTED: &str = "
        CREATE SEQUENCE claims;
        CREATE FUNCTION count_claim() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN PERFORM nextval('claims'); RETURN NULL; END $$;
        CREATE TRIGGER counted AFTER UPDATE ON jobs
            FOR EACH STATEMENT EXECUTE FUNCTION count_claim();";

    async fn claims_so_far(client: &Client) -> i64 {
        let row = client
            .query_one("SELECT last_value, is_called FROM claims", &[])
            .await
            .unwrap();
        if row.get(1) { row.get(0) } else { 0 }
    }

    #[tokio::test]
    async fn an_idle_worker_sleeps_until_notified() {
        let config = test_db("sleeps", &format!("{SCHEMA} {COUNTED}")).await;
        let channel = channel_of(&config);
        let (mut worker, mut wakeups) = listening(&config, &channel).await;
        let observer = connect(&config).await;
        let worker_task = tokio::spawn(async move {
            let job = next_job(&mut worker, &mut wakeups).await;
            (job, wakeups, worker)
        });
        // The worker found the queue empty...
        let mut looked = false;
        for _ in 0..250 {
            if claims_so_far(&observer).await > 0 {
                looked = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        assert!(looked, "the worker never tried to claim a job");
        // ...and a job arrives (queued and announced in one transaction).
        let shop = connect(&config).await;
        let order: i64 = shop
            .query_one(
                &format!(
                    "WITH o AS (INSERT INTO orders (item, quantity) VALUES ('desk', 1) RETURNING id),
                          j AS (INSERT INTO jobs (order_id) SELECT id FROM o)
                     SELECT id, pg_notify('{channel}', 'new job') FROM o"
                ),
                &[],
            )
            .await
            .unwrap()
            .get(0);
        let (job, mut wakeups, worker) = tokio::time::timeout(Duration::from_secs(2), worker_task)
            .await
            .expect("the worker slept through the notification of a new job")
            .unwrap();
        drop(worker);
        let job = job.unwrap().expect("the worker gets the job");
        assert_eq!(job.order_id, order, "the worker took the new order's job");
        assert!(
            wakeups.try_recv().is_err(),
            "the worker found the job without reading its notification: it polls the table \
             instead of sleeping until NOTIFY wakes it"
        );
        let claims = claims_so_far(&observer).await;
        assert_eq!(
            claims, 2,
            "one job took {claims} claim queries: look once, sleep until notified, look again"
        );
    }

    #[tokio::test]
    async fn two_workers_never_wait_for_or_take_the_same_job() {
        let config = test_db("two_workers", SCHEMA).await;
        let channel = channel_of(&config);
        let mut shop = connect(&config).await;
        place_order(&mut shop, &channel, "keyboard", 1)
            .await
            .unwrap();
        place_order(&mut shop, &channel, "monitor", 1)
            .await
            .unwrap();

        // Worker A claims a job and is still working on it (its transaction is open).
        let mut a = connect(&config).await;
        let a_pid = backend_pid(&a).await;
        let tx_a = a.transaction().await.unwrap();
        let job_a = claim(&tx_a).await.unwrap().expect("worker A gets a job");

        let mut b = connect(&config).await;
        let mut worker_b = tokio::spawn(async move {
            let tx_b = b.transaction().await.unwrap();
            let job = claim(&tx_b).await;
            tx_b.commit().await.unwrap();
            job
        });
        let observer = connect(&config).await;
        let (b_waited, b_done) = tokio::select! {
            done = &mut worker_b => (false, Some(done)),
            blocked = wait_until_blocked_by(&observer, a_pid) => (blocked, None),
        };
        tx_a.commit().await.unwrap();
        let job_b = match b_done {
            Some(done) => done,
            None => worker_b.await,
        }
        .unwrap()
        .unwrap();
        assert_ne!(
            job_b.as_ref().map(|job| job.id),
            Some(job_a.id),
            "two workers took job {}: a claim must lock the row it picks (FOR UPDATE) and skip \
             rows another worker has locked (SKIP LOCKED)",
            job_a.id
        );
        assert!(
            !b_waited,
            "worker B waited for worker A's lock instead of taking the other queued job: \
             without SKIP LOCKED, workers queue up behind each other"
        );
        assert!(job_b.is_some(), "worker B gets the second queued job");
    }

    #[tokio::test]
    async fn the_oldest_queued_job_is_claimed_first() {
        let config = test_db("oldest", SCHEMA).await;
        let channel = channel_of(&config);
        let mut shop = connect(&config).await;
        let mut orders = Vec::new();
        for item in ["keyboard", "monitor", "desk"] {
            orders.push(place_order(&mut shop, &channel, item, 1).await.unwrap());
        }
        // The oldest job failed once and was put back in the queue: its row was rewritten.
        shop.batch_execute(
            "UPDATE jobs SET status = 'running' WHERE id = (SELECT min(id) FROM jobs);
             UPDATE jobs SET status = 'queued' WHERE id = (SELECT min(id) FROM jobs);",
        )
        .await
        .unwrap();
        let mut worker = connect(&config).await;
        let tx = worker.transaction().await.unwrap();
        let job = claim(&tx).await.unwrap().expect("three jobs are queued");
        tx.commit().await.unwrap();
        assert_eq!(
            job.order_id, orders[0],
            "the worker took the job of order {} while the oldest queued job is order {}'s: \
             without ORDER BY id, a claim takes whatever row the table scan meets first",
            job.order_id, orders[0]
        );
    }
}
