// wrong fix: builds one BEGIN; INSERT ...; COMMIT script with the values formatted in (quotes doubled) for execute_batch: every row is a separate statement compiled once each, and the data is parsed as SQL
// perf3: batch inserts: one transaction, one prepared statement.
//
// `import_readings` stores a batch of sensor readings. It calls `execute` once per row, and
// outside a transaction SQLite runs every statement in a transaction of its own: 1,000 rows
// are 1,000 commits (on disk, each one waits for the file to be synced) and the INSERT is
// parsed and planned 1,000 times. And when row 601 fails, the 600 before it stay.
// Import the whole batch in ONE transaction that commits only when every row went in, and
// compile the INSERT once (`prepare_cached`), running it once per row with new values.

use rusqlite::Connection;

const SCHEMA: &str = "
    CREATE TABLE readings (
        sensor   TEXT NOT NULL,
        taken_at INTEGER NOT NULL,
        celsius  REAL NOT NULL,
        PRIMARY KEY (sensor, taken_at)
    );
";

struct Reading {
    sensor: String,
    taken_at: i64,
    celsius: f64,
}

/// Stores every reading, or none of them if one fails.
fn import_readings(conn: &mut Connection, readings: &[Reading]) -> rusqlite::Result<()> {
    let mut script = String::from("BEGIN;\n");
    for reading in readings {
        script.push_str(&format!(
            "INSERT INTO readings (sensor, taken_at, celsius) VALUES ('{}', {}, {});\n",
            reading.sensor.replace('\'', "''"),
            reading.taken_at,
            reading.celsius
        ));
    }
    script.push_str("COMMIT;");
    if let Err(err) = conn.execute_batch(&script) {
        conn.execute_batch("ROLLBACK")?;
        return Err(err);
    }
    Ok(())
}

fn main() -> rusqlite::Result<()> {
    let mut conn = Connection::open_in_memory()?;
    conn.execute_batch(SCHEMA)?;
    let readings: Vec<Reading> = (0..5)
        .map(|minute| Reading {
            sensor: "greenhouse-1".to_string(),
            taken_at: 1_700_000_000 + minute * 60,
            celsius: 21.5 + minute as f64 / 10.0,
        })
        .collect();
    import_readings(&mut conn, &readings)?;
    let stored: i64 = conn.query_row("SELECT count(*) FROM readings", [], |row| row.get(0))?;
    println!("{stored} readings stored");
    Ok(())
}

