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
        self.conn.execute(
            "INSERT INTO orders (customer, total_cents) VALUES (?1, ?2)",
            (customer, total_cents),
        )?;
        let order_id = self.conn.last_insert_rowid();
        // TODO: a crash or a broker outage from here on loses the event.
        let event = order_placed(order_id, customer, total_cents);
        self.broker.publish("order_placed", &event)?;
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

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;
    use std::collections::BTreeSet;
    use std::panic::{AssertUnwindSafe, catch_unwind};

    /// A broker that records what it took. `up: false`: it refuses everything.
    /// `crash_after_send`: the process dies (a panic) right after the broker took a message.
    struct TestBroker {
        up: bool,
        crash_after_send: bool,
        published: Vec<(String, Value)>,
    }

    impl Broker for TestBroker {
        fn publish(&mut self, topic: &str, payload: &str) -> Result<(), BrokerDown> {
            if !self.up {
                return Err(BrokerDown);
            }
            let payload = serde_json::from_str(payload).expect("event payloads are JSON");
            self.published.push((topic.to_string(), payload));
            if self.crash_after_send {
                panic!("simulated crash: the process died just after the broker took an event");
            }
            Ok(())
        }
    }

    fn shop(broker_up: bool) -> Shop<TestBroker> {
        let conn = Connection::open_in_memory().unwrap();
        create_schema(&conn).unwrap();
        Shop {
            conn,
            broker: TestBroker {
                up: broker_up,
                crash_after_send: false,
                published: Vec::new(),
            },
        }
    }

    fn order_ids(shop: &Shop<TestBroker>) -> BTreeSet<i64> {
        let mut stmt = shop.conn.prepare("SELECT id FROM orders").unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    }

    /// Order ids of the `order_placed` events in the outbox (published or not).
    fn outbox_order_ids(shop: &Shop<TestBroker>) -> Vec<i64> {
        let mut stmt = shop.conn.prepare("SELECT payload FROM outbox").unwrap();
        stmt.query_map([], |r| r.get::<_, String>(0))
            .unwrap()
            .map(|payload| {
                let payload: Value = serde_json::from_str(&payload.unwrap()).unwrap();
                payload["order_id"]
                    .as_i64()
                    .expect("an order_placed event has an order_id")
            })
            .collect()
    }

    fn published_order_ids(shop: &Shop<TestBroker>) -> Vec<i64> {
        shop.broker
            .published
            .iter()
            .map(|(_, payload)| payload["order_id"].as_i64().unwrap())
            .collect()
    }

    /// Every order has its event (published, or waiting in the outbox), and every event
    /// belongs to an order that exists.
    fn assert_orders_and_events_agree(shop: &Shop<TestBroker>, situation: &str) {
        let orders = order_ids(shop);
        let events: BTreeSet<i64> = outbox_order_ids(shop)
            .into_iter()
            .chain(published_order_ids(shop))
            .collect();
        for order in &orders {
            assert!(
                events.contains(order),
                "{situation}: order {order} was saved, but its event is neither published nor \
                 waiting in the outbox, so billing and shipping never hear of it. Write the \
                 event to the outbox in the same transaction as the order"
            );
        }
        for event in &events {
            assert!(
                orders.contains(event),
                "{situation}: the other services were told about order {event}, which was \
                 never saved (its transaction rolled back). Only publish what is committed: \
                 the relay publishes from the outbox, after the commit"
            );
        }
    }

    #[test]
    fn an_order_placed_while_the_broker_is_down_is_delivered_later() {
        let mut shop = shop(false);
        let result = shop.place_order("ada", 4_990);
        assert_orders_and_events_agree(&shop, "the broker was down when the order was placed");
        let order_id = match result {
            Ok(id) => id,
            Err(err) => panic!(
                "placing an order must not depend on the broker being up (got `{err}`): \
                 the event waits in the outbox until the relay gets it through"
            ),
        };
        assert_eq!(
            shop.relay().unwrap(),
            0,
            "while the broker is down nothing is published"
        );
        shop.broker.up = true;
        assert_eq!(
            shop.relay().unwrap(),
            1,
            "once the broker is back the relay publishes the waiting event"
        );
        assert_eq!(
            published_order_ids(&shop),
            vec![order_id],
            "the order_placed event of the order placed during the outage got through"
        );
        assert_eq!(
            shop.relay().unwrap(),
            0,
            "a published event is not sent again"
        );
    }

    #[test]
    fn a_crash_between_the_order_and_its_event_leaves_neither() {
        let mut shop = shop(true);
        // Writing the event fails (a crash, a full disk) after the order was written.
        shop.conn
            .execute_batch(
                "CREATE TEMP TRIGGER crash BEFORE INSERT ON outbox
                 BEGIN SELECT RAISE(ABORT, 'simulated crash'); END;",
            )
            .unwrap();
        let result = shop.place_order("grace", 1_250);
        assert_orders_and_events_agree(&shop, "writing the event failed");
        assert!(
            result.is_err() && order_ids(&shop).is_empty(),
            "the order was saved although its event couldn't be written to the outbox: \
             order and event must commit together or not at all"
        );
        shop.conn.execute_batch("DROP TRIGGER temp.crash;").unwrap();
        let order_id = shop
            .place_order("grace", 1_250)
            .expect("once the database works again the order is placed");
        shop.relay().unwrap();
        assert_eq!(
            published_order_ids(&shop),
            vec![order_id],
            "exactly the saved order's event is published"
        );
    }

    #[test]
    fn a_crash_right_after_the_broker_took_an_event_invents_no_order() {
        let mut shop = shop(true);
        shop.broker.crash_after_send = true;
        // The crash may happen while placing the order (if it publishes) or in the relay.
        let _ = catch_unwind(AssertUnwindSafe(|| shop.place_order("linus", 700)));
        assert_orders_and_events_agree(
            &shop,
            "the process crashed right after the broker took an event",
        );
        let _ = catch_unwind(AssertUnwindSafe(|| shop.relay()));
        shop.broker.crash_after_send = false;
        shop.relay().unwrap();
        assert_orders_and_events_agree(&shop, "after the relay ran again");
        assert!(
            !order_ids(&shop).is_empty() && !published_order_ids(&shop).is_empty(),
            "after the restart the order is saved and its event reached the broker (at \
             least once: a crash between publishing and marking it sends it again)"
        );
    }
}
