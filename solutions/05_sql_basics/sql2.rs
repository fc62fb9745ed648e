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
        Ok(Contact {
            id: row.get("id")?,
            name: row.get("name")?,
            phone: row.get("phone")?,
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

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_every_contact_sorted_by_name() {
        let conn = open_db().unwrap();
        let names: Vec<String> = list_contacts(&conn)
            .expect("listing contacts failed (InvalidColumnType(.., Null): a NULL read as a non-Option)")
            .into_iter()
            .map(|c| c.name)
            .collect();
        assert_eq!(
            names,
            ["Ada Lovelace", "Alan Turing", "Grace Hopper"],
            "every contact, with or without a phone, sorted by name"
        );
    }

    #[test]
    fn missing_phone_is_none() {
        let conn = open_db().unwrap();
        let contacts = list_contacts(&conn).expect(
            "listing contacts failed (InvalidColumnType(.., Null): a NULL read as a non-Option)",
        );
        let grace = contacts
            .iter()
            .find(|c| c.id == 2)
            .expect("Grace (id 2) is missing from the listing");
        assert_eq!(grace.phone, None, "Grace's phone is NULL in the database");
        let ada = contacts
            .iter()
            .find(|c| c.id == 1)
            .expect("Ada (id 1) is missing from the listing");
        assert_eq!(
            ada.phone.as_deref(),
            Some("+44 20 7946 0018"),
            "Ada's phone number is read as stored"
        );
    }

    #[test]
    fn contact_added_without_phone_is_listed() {
        let conn = open_db().unwrap();
        conn.execute("INSERT INTO contacts (name) VALUES ('Edsger Dijkstra')", [])
            .unwrap();
        let contacts = list_contacts(&conn).expect(
            "listing contacts failed (InvalidColumnType(.., Null): a NULL read as a non-Option)",
        );
        assert_eq!(contacts.len(), 4, "the new contact is listed too");
        assert!(
            contacts
                .iter()
                .any(|c| c.name == "Edsger Dijkstra" && c.phone.is_none()),
            "Edsger was added without a phone, so his phone is None: {contacts:?}"
        );
    }

    #[test]
    fn empty_phone_is_not_a_missing_phone() {
        let conn = open_db().unwrap();
        // The user typed a blank phone number: that is a value (""), not the absence of one.
        conn.execute(
            "INSERT INTO contacts (id, name, phone) VALUES (4, 'Barbara Liskov', '')",
            [],
        )
        .unwrap();
        let contacts = list_contacts(&conn).expect(
            "listing contacts failed (InvalidColumnType(.., Null): a NULL read as a non-Option)",
        );
        let barbara = contacts
            .iter()
            .find(|c| c.id == 4)
            .expect("Barbara (id 4) is missing from the listing");
        assert_eq!(
            barbara.phone.as_deref(),
            Some(""),
            "a phone stored as '' is Some(\"\"): NULL and the empty string are different \
             values, and only NULL is None"
        );
    }

    #[test]
    fn a_phone_of_the_wrong_type_is_an_error_not_none() {
        let conn = open_db().unwrap();
        // Bad data (a blob where text belongs) must surface as an error, not pass for "no phone".
        conn.execute(
            "INSERT INTO contacts (id, name, phone) VALUES (5, 'Mallory', X'00FF')",
            [],
        )
        .unwrap();
        match list_contacts(&conn) {
            Err(rusqlite::Error::InvalidColumnType(..)) => {}
            Err(other) => panic!("expected InvalidColumnType for the blob phone, got {other}"),
            Ok(contacts) => panic!(
                "a blob in the phone column was read as {:?}: only NULL may become None, \
                 other conversion errors must be reported",
                contacts.iter().find(|c| c.id == 5).map(|c| &c.phone)
            ),
        }
    }
}
