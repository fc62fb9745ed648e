// wrong fix: reads the id back with lastval() after the INSERT: it is per session, so other connections can't change it, but it returns the last value of ANY sequence the session used, and a trigger on tickets (an audit log with its own identity column) takes the latest one
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
    client
        .execute("INSERT INTO tickets (title) VALUES ($1)", &[&title])
        .await?;
    // lastval() is per session: another connection's INSERT can't change it.
    let row = client
        .query_one(
            "SELECT id, title, status FROM tickets WHERE id = lastval()",
            &[],
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

