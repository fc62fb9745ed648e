// postgres1: `RETURNING` hands back what an INSERT created, in the same statement.
//
// `create_ticket` inserts a ticket, then looks it up again by its title to learn the id
// and the status the database filled in. Titles are not unique: with two tickets called
// "Printer on fire" the lookup can't tell them apart, and another connection can insert
// one between the two statements. Ask the INSERT itself for the generated id and the
// defaults (`INSERT ... RETURNING ...`) and build the `Ticket` from that one row.

use tokio_postgres::{Client, NoTls};

const SCHEMA: &str = "
    CREATE TABLE tickets (
        id     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        title  text NOT NULL,
        status text NOT NULL DEFAULT 'open'
    );";

#[derive(Debug)]
struct Ticket {
    id: i64,
    title: String,
    status: String,
}

/// Inserts a ticket and returns it as the database stored it.
async fn create_ticket(client: &Client, title: &str) -> Result<Ticket, tokio_postgres::Error> {
    // TODO: the second query finds "a ticket with this title", not the one just inserted.
    client
        .execute("INSERT INTO tickets (title) VALUES ($1)", &[&title])
        .await?;
    let row = client
        .query_one(
            "SELECT id, title, status FROM tickets WHERE title = $1",
            &[&title],
        )
        .await?;
    Ok(Ticket {
        id: row.get("id"),
        title: row.get("title"),
        status: row.get("status"),
    })
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), tokio_postgres::Error> {
    let Ok(url) = std::env::var("DATABASE_URL") else {
        println!("DATABASE_URL is not set: `backlings` starts PostgreSQL and sets it.");
        return Ok(());
    };
    let (client, connection) = tokio_postgres::connect(&url, NoTls).await?;
    tokio::spawn(connection);
    // Temporary tables: the demo leaves nothing behind.
    client.batch_execute("SET search_path = pg_temp").await?;
    client.batch_execute(SCHEMA).await?;
    for title in ["Printer on fire", "Printer on fire"] {
        let ticket = create_ticket(&client, title).await?;
        println!("#{} {} [{}]", ticket.id, ticket.title, ticket.status);
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

    async fn ids_titled(client: &Client, title: &str) -> Vec<i64> {
        client
            .query(
                "SELECT id FROM tickets WHERE title = $1 ORDER BY id",
                &[&title],
            )
            .await
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect()
    }

    #[tokio::test]
    async fn returns_the_generated_id_and_the_default_status() {
        let config = test_db("returns_row", SCHEMA).await;
        let client = connect(&config).await;
        let first = create_ticket(&client, "Printer on fire").await.unwrap();
        let second = create_ticket(&client, "VPN drops every hour")
            .await
            .unwrap();
        assert_eq!(
            ids_titled(&client, "Printer on fire").await,
            [first.id],
            "the returned id must be the id the database generated for this ticket"
        );
        assert_eq!(
            ids_titled(&client, "VPN drops every hour").await,
            [second.id],
            "the second ticket's returned id must be its own generated id"
        );
        assert_eq!(
            first.title, "Printer on fire",
            "the stored title comes back"
        );
        assert_eq!(
            first.status, "open",
            "the status comes from the column's DEFAULT"
        );
    }

    #[tokio::test]
    async fn two_tickets_with_the_same_title_are_two_tickets() {
        let config = test_db("same_title", SCHEMA).await;
        let client = connect(&config).await;
        let first = create_ticket(&client, "Printer on fire")
            .await
            .expect("creating the first ticket");
        let second = create_ticket(&client, "Printer on fire").await.expect(
            "a second ticket with the same title must be created too (titles are not unique)",
        );
        assert_eq!(
            ids_titled(&client, "Printer on fire").await,
            [first.id, second.id],
            "each call must return the id of the row IT inserted; a lookup by title can't tell \
             two tickets with the same title apart"
        );
    }

    #[tokio::test]
    async fn defaults_come_from_the_database_not_from_rust() {
        let config = test_db("defaults", SCHEMA).await;
        let client = connect(&config).await;
        client
            .batch_execute("ALTER TABLE tickets ALTER COLUMN status SET DEFAULT 'triage'")
            .await
            .unwrap();
        let ticket = create_ticket(&client, "Disk full").await.unwrap();
        assert_eq!(
            ticket.status, "triage",
            "the DBA changed the status DEFAULT to 'triage': the returned ticket must carry what \
             the database stored, not a copy of the default written in Rust"
        );
    }

    /// The DBA's audit trail: every new ticket is logged by a trigger, in a table with its
    /// own identity column (whose numbers are far ahead of the tickets').
    const AUDITED: &str = "
        CREATE TABLE ticket_audit (
            id        bigint GENERATED ALWAYS AS IDENTITY (START WITH 9001) PRIMARY KEY,
            ticket_id bigint NOT NULL
        );
        CREATE FUNCTION audit_ticket() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN INSERT INTO ticket_audit (ticket_id) VALUES (NEW.id); RETURN NULL; END $$;
        CREATE TRIGGER audited AFTER INSERT ON tickets
            FOR EACH ROW EXECUTE FUNCTION audit_ticket();";

    #[tokio::test]
    async fn an_audit_trigger_does_not_change_the_returned_ticket() {
        let config = test_db("audited", &format!("{SCHEMA} {AUDITED}")).await;
        let client = connect(&config).await;
        let result = create_ticket(&client, "Coffee machine leaks").await;
        let ids = ids_titled(&client, "Coffee machine leaks").await;
        let ticket = result.unwrap_or_else(|err| {
            panic!(
                "creating a ticket on a table with an audit trigger failed ({err}): lastval() \
                 or currval() of the wrong sequence can point at the audit row, not the ticket"
            )
        });
        assert_eq!(
            [ticket.id],
            ids.as_slice(),
            "create_ticket returned id {} but the ticket's id is {ids:?}: lastval() gives the \
             last value of ANY sequence this session used, and the audit trigger used one after \
             the ticket's; RETURNING gives this row's own columns",
            ticket.id
        );
        assert_eq!(
            ticket.status, "open",
            "the status comes from the column's DEFAULT"
        );
    }

    /// Another server instance inserts a ticket with the same title between this
    /// connection's INSERT and anything it runs next. To make that moment certain rather
    /// than lucky, a trigger makes each INSERT wait for a lock the other instance holds.
    const GATED: &str = "
        CREATE TABLE tickets (
            id     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            title  text NOT NULL,
            status text NOT NULL DEFAULT 'open'
        );
        CREATE FUNCTION wait_for_gate() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN PERFORM pg_advisory_xact_lock(2501); RETURN NEW; END $$;
        CREATE TRIGGER gate AFTER INSERT ON tickets FOR EACH ROW EXECUTE FUNCTION wait_for_gate();";

    #[tokio::test]
    async fn a_concurrent_insert_on_another_connection_does_not_mix_up_ids() {
        let config = test_db("concurrent", GATED).await;
        let other = connect(&config).await;
        let observer = connect(&config).await;
        let ours = connect(&config).await;
        other
            .batch_execute("SELECT pg_advisory_lock(2501)")
            .await
            .unwrap();
        let other_pid = backend_pid(&other).await;

        let ours_task = tokio::spawn(async move {
            let ticket = create_ticket(&ours, "Printer on fire").await;
            drop(ours);
            ticket
        });
        assert!(
            wait_until_blocked_by(&observer, other_pid).await,
            "create_ticket never inserted a row into tickets"
        );
        // Our INSERT has its id and waits; the other instance inserts and commits now.
        let other_id: i64 = other
            .query_one(
                "INSERT INTO tickets (title) VALUES ('Printer on fire') RETURNING id",
                &[],
            )
            .await
            .unwrap()
            .get(0);
        other
            .batch_execute("SELECT pg_advisory_unlock(2501)")
            .await
            .unwrap();
        let ticket = ours_task
            .await
            .unwrap()
            .expect("create_ticket failed while another connection inserted a ticket");

        let ids = ids_titled(&observer, "Printer on fire").await;
        assert_eq!(
            ids.len(),
            2,
            "two tickets were inserted, one per connection"
        );
        assert_ne!(
            ticket.id, other_id,
            "create_ticket returned the id of the ticket ANOTHER connection inserted in the \
             meantime: max(id) or a second SELECT sees other sessions' rows, RETURNING does not"
        );
        assert!(
            ids.contains(&ticket.id),
            "create_ticket returned id {} but the tickets are {ids:?}",
            ticket.id
        );
    }
}
