// wrong fix: reads the column as Option but turns NULL into "" and "" back into None; a blank phone and a missing phone become the same thing
// sql2: NULL is not an empty string: read nullable columns as `Option<T>`.
//
// `phone` is optional, and SQLite stores "no phone" as NULL. `row.get::<_, String>`
// refuses NULL with `InvalidColumnType(.., Null)`, so one contact without a phone makes
// the whole listing fail (a 500 for every user of the address book). `Option<String>`
// implements `FromSql`: NULL becomes `None`, text becomes `Some`. Fix the row mapping in
// `list_contacts` so the `query_map` closure reads the column as what it really is.

use rusqlite::Connection;

#[derive(Debug, PartialEq)]
struct Contact {
    id: i64,
    name: String,
    phone: Option<String>,
}

const SCHEMA: &str = "
    CREATE TABLE contacts (
        id    INTEGER PRIMARY KEY,
        name  TEXT NOT NULL,
        phone TEXT              -- NULL when we have no number
    );
    INSERT INTO contacts (id, name, phone) VALUES
        (1, 'Ada Lovelace', '+44 20 7946 0018'),
        (2, 'Grace Hopper', NULL),
        (3, 'Alan Turing', '+44 161 496 0743');
";

fn open_db() -> rusqlite::Result<Connection> {
    let conn = Connection::open_in_memory()?;
    conn.execute_batch(SCHEMA)?;
    Ok(conn)
}

/// Every contact, sorted by name.
fn list_contacts(conn: &Connection) -> rusqlite::Result<Vec<Contact>> {
    let mut stmt = conn.prepare("SELECT id, name, phone FROM contacts ORDER BY name")?;
    let contacts = stmt.query_map([], |row| {
        let phone: String = row.get::<_, Option<String>>("phone")?.unwrap_or_default();

        Ok(Contact {
            id: row.get("id")?,
            name: row.get("name")?,
            phone: if phone.is_empty() { None } else { Some(phone) },
        })
    })?;
    // `query_map` yields one `Result` per row; collecting into `Result<Vec<_>>` stops at
    // the first error instead of hiding it.
    contacts.collect()
}

fn main() -> rusqlite::Result<()> {
    let conn = open_db()?;
    for c in list_contacts(&conn)? {
        println!(
            "{:>2} {:<14} {}",
            c.id,
            c.name,
            c.phone.as_deref().unwrap_or("-")
        );
    }
    Ok(())
}

