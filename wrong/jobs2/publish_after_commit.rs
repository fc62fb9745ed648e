// wrong fix: commits the order in a transaction, then publishes and only logs a broker failure so that the order still succeeds: the event is lost whenever the broker is down or the process stops after the commit
// jobs2: a transactional outbox: an order and its event are saved together.
//
// Placing an order must tell the other services (billing, shipping) through the message
// broker. `place_order` commits the order, then publishes the event: if the process
// crashes or the broker is down between the two, the order exists and its event is lost
// for good. Write the event into the `outbox` table in the same transaction as the order
// instead, and leave publishing to `relay` (already written), which retries until the
// broker has taken each event. No order without its event, and no event without its order.

use rusqlite::Connection;

fn create_schema(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(
        "CREATE TABLE orders (
             id          INTEGER PRIMARY KEY,
             customer    TEXT NOT NULL,
             total_cents INTEGER NOT NULL
         );
         CREATE TABLE outbox (
             id        INTEGER PRIMARY KEY, -- publishing order
             topic     TEXT NOT NULL,
             payload   TEXT NOT NULL,
             published INTEGER NOT NULL DEFAULT 0
         );",
    )
}

/// The message broker (Kafka, NATS, SQS... in production).
trait Broker {
    /// Delivers one message; an error means the broker didn't take it (down, timeout).
    fn publish(&mut self, topic: &str, payload: &str) -> Result<(), BrokerDown>;
}

#[derive(Debug)]
struct BrokerDown;

#[derive(Debug)]
enum ShopError {
    Db(rusqlite::Error),
    Broker(BrokerDown),
}

impl std::fmt::Display for ShopError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ShopError::Db(err) => write!(f, "database error: {err}"),
            ShopError::Broker(BrokerDown) => f.write_str("the broker is down"),
        }
    }
}

impl From<rusqlite::Error> for ShopError {
    fn from(err: rusqlite::Error) -> Self {
        ShopError::Db(err)
    }
}

impl From<BrokerDown> for ShopError {
    fn from(err: BrokerDown) -> Self {
        ShopError::Broker(err)
    }
}

struct Shop<B: Broker> {
    conn: Connection,
    broker: B,
}

/// The `order_placed` event's payload.
fn order_placed(order_id: i64, customer: &str, total_cents: i64) -> String {
    serde_json::json!({"order_id": order_id, "customer": customer, "total_cents": total_cents})
        .to_string()
}

impl<B: Broker> Shop<B> {
    /// Records an order and its `order_placed` event; returns the order id.
    fn place_order(&mut self, customer: &str, total_cents: i64) -> Result<i64, ShopError> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT INTO orders (customer, total_cents) VALUES (?1, ?2)",
            (customer, total_cents),
        )?;
        let order_id = tx.last_insert_rowid();
        tx.commit()?;
        let event = order_placed(order_id, customer, total_cents);
        if let Err(err) = self.broker.publish("order_placed", &event) {
            eprintln!("could not publish order_placed for order {order_id}: {err:?}");
        }
        Ok(order_id)
    }

    /// Publishes the outbox's unpublished events, oldest first, marking each one once the
    /// broker has taken it. Stops at the first failure (the next run retries from there).
    /// Runs in the background, every second or so; returns how many it published.
    fn relay(&mut self) -> Result<usize, ShopError> {
        let pending: Vec<(i64, String, String)> = self
            .conn
            .prepare("SELECT id, topic, payload FROM outbox WHERE published = 0 ORDER BY id")?
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?
            .collect::<Result<_, _>>()?;
        let mut sent = 0;
        for (id, topic, payload) in pending {
            // A crash after `publish` and before the UPDATE publishes this event again on
            // the next run: delivery is at least once, and consumers deduplicate (jobs3).
            if self.broker.publish(&topic, &payload).is_err() {
                break;
            }
            self.conn
                .execute("UPDATE outbox SET published = 1 WHERE id = ?1", [id])?;
            sent += 1;
        }
        Ok(sent)
    }
}

struct PrintingBroker;

impl Broker for PrintingBroker {
    fn publish(&mut self, topic: &str, payload: &str) -> Result<(), BrokerDown> {
        println!("{topic}: {payload}");
        Ok(())
    }
}

fn main() -> Result<(), ShopError> {
    let conn = Connection::open_in_memory()?;
    create_schema(&conn)?;
    let mut shop = Shop {
        conn,
        broker: PrintingBroker,
    };
    shop.place_order("ada", 4_990)?;
    shop.relay()?;
    Ok(())
}
