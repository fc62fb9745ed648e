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
    let tx = conn.transaction()?;
    {
        let mut insert = tx.prepare_cached(
            "INSERT INTO readings (sensor, taken_at, celsius) VALUES (?1, ?2, ?3)",
        )?;
        for reading in readings {
            insert.execute((&reading.sensor, reading.taken_at, reading.celsius))?;
        }
    }
    tx.commit()
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

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::ffi;
    use std::ffi::{CStr, c_char, c_int, c_uint, c_void};
    use std::sync::{Arc, Mutex};

    /// What SQLite did on one connection, seen through its hooks.
    #[derive(Default)]
    struct Activity {
        /// Transactions committed (explicit ones and the implicit one of each statement
        /// run in autocommit mode).
        commits: usize,
        /// Each statement run: its SQL text, and how many times that same compiled
        /// statement had run before (0 = freshly prepared).
        runs: Vec<(String, i32)>,
    }

    /// From now on, records `conn`'s commits and statement runs. (rusqlite's safe hooks need
    /// its `trace` and `hooks` features, which this course leaves off; this installs the same
    /// SQLite hooks, `sqlite3_trace_v2` and `sqlite3_commit_hook`, through the C API.)
    fn watch(conn: &Connection) -> Arc<Mutex<Activity>> {
        unsafe extern "C" fn on_statement(
            event: c_uint,
            ctx: *mut c_void,
            stmt: *mut c_void,
            sql: *mut c_void,
        ) -> c_int {
            if event == ffi::SQLITE_TRACE_STMT as c_uint {
                // SAFETY: for SQLITE_TRACE_STMT, `stmt` is the running statement and `sql`
                // a NUL-terminated string; `ctx` is the leaked `Arc` of `watch`.
                let sql = unsafe { CStr::from_ptr(sql.cast::<c_char>()) };
                let earlier_runs =
                    unsafe { ffi::sqlite3_stmt_status(stmt.cast(), ffi::SQLITE_STMTSTATUS_RUN, 0) };
                let activity = unsafe { &*ctx.cast::<Mutex<Activity>>() };
                let sql = sql.to_string_lossy().into_owned();
                activity.lock().unwrap().runs.push((sql, earlier_runs));
            }
            0
        }
        unsafe extern "C" fn on_commit(ctx: *mut c_void) -> c_int {
            // SAFETY: `ctx` is the leaked `Arc` of `watch`.
            let activity = unsafe { &*ctx.cast::<Mutex<Activity>>() };
            activity.lock().unwrap().commits += 1;
            0 // 0: let the commit proceed.
        }
        let activity = Arc::new(Mutex::new(Activity::default()));
        // Leaked on purpose (one per test): the hooks may run until the connection closes.
        let ctx = Arc::into_raw(Arc::clone(&activity))
            .cast_mut()
            .cast::<c_void>();
        // SAFETY: the handle is valid while `conn` lives, and `ctx` is never freed.
        unsafe {
            let db = conn.handle();
            ffi::sqlite3_trace_v2(
                db,
                ffi::SQLITE_TRACE_STMT as c_uint,
                Some(on_statement),
                ctx,
            );
            ffi::sqlite3_commit_hook(db, Some(on_commit), ctx);
        }
        activity
    }

    fn db() -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(SCHEMA)
            .expect("SCHEMA must still create the table");
        conn
    }

    /// `n` readings from 4 sensors; some sensor names hold a quote.
    fn readings(n: i64) -> Vec<Reading> {
        let sensors = ["greenhouse-1", "O'Hare roof", "cellar", "north \"wing\""];
        (0..n)
            .map(|i| Reading {
                sensor: sensors[(i % 4) as usize].to_string(),
                taken_at: 1_700_000_000 + i * 15,
                celsius: (i % 400) as f64 / 8.0 - 10.0,
            })
            .collect()
    }

    fn stored(conn: &Connection) -> (i64, f64) {
        conn.query_row("SELECT count(*), total(celsius) FROM readings", [], |row| {
            Ok((row.get(0)?, row.get(1)?))
        })
        .unwrap()
    }

    fn inserts(activity: &Activity) -> Vec<&(String, i32)> {
        activity
            .runs
            .iter()
            .filter(|(sql, _)| sql.trim_start().to_ascii_uppercase().starts_with("INSERT"))
            .collect()
    }

    #[test]
    fn every_reading_is_stored() {
        let mut conn = db();
        let batch = readings(1000);
        import_readings(&mut conn, &batch).expect("importing 1,000 valid readings failed");
        let want: f64 = batch.iter().map(|reading| reading.celsius).sum();
        let (count, total) = stored(&conn);
        assert_eq!(
            count, 1000,
            "after importing 1,000 readings the table must hold 1,000 rows (a transaction \
             that is never committed is rolled back when it is dropped)"
        );
        assert!(
            (total - want).abs() < 1e-6,
            "the stored temperatures must be the imported ones (sum {total}, expected {want})"
        );
    }

    #[test]
    fn the_batch_commits_once() {
        let mut conn = db();
        let activity = watch(&conn);
        import_readings(&mut conn, &readings(1000)).expect("importing 1,000 readings failed");
        let commits = activity.lock().unwrap().commits;
        assert_eq!(
            commits, 1,
            "importing 1,000 readings committed {commits} transactions: outside a transaction \
             every INSERT commits on its own (on disk, one sync per row). Run the whole batch \
             in one transaction and commit it once"
        );
    }

    #[test]
    fn the_insert_is_prepared_once() {
        let mut conn = db();
        let activity = watch(&conn);
        import_readings(&mut conn, &readings(1000)).expect("importing 1,000 readings failed");
        let activity = activity.lock().unwrap();
        let inserts = inserts(&activity);
        let prepared = inserts.iter().filter(|(_, earlier)| *earlier == 0).count();
        assert!(
            !inserts.is_empty(),
            "import_readings ran no INSERT on the connection it was given"
        );
        assert_eq!(
            prepared, 1,
            "the INSERT was compiled {prepared} times for 1,000 rows: `execute` on a \
             connection or transaction parses and plans its SQL on every call. Prepare it \
             once (`prepare_cached`) and run that statement for each row"
        );
    }

    #[test]
    fn values_are_bound_not_formatted_into_the_sql() {
        let mut conn = db();
        let activity = watch(&conn);
        import_readings(&mut conn, &readings(8)).expect("importing 8 readings failed");
        let activity = activity.lock().unwrap();
        for (sql, _) in inserts(&activity) {
            assert!(
                !sql.contains("greenhouse-1") && !sql.contains("Hare"),
                "a sensor name reached SQLite inside the SQL text: bind the values as \
                 parameters (?1, ?2, ?3) so that one statement serves every row and a quote \
                 in a name is just a character. SQL was: {}",
                &sql[..sql.len().min(120)]
            );
        }
    }

    #[test]
    fn a_failed_batch_stores_nothing() {
        let mut conn = db();
        let mut batch = readings(1000);
        // Row 600 repeats row 10's sensor and time: the primary key refuses it.
        batch[600].sensor = batch[10].sensor.clone();
        batch[600].taken_at = batch[10].taken_at;
        let result = import_readings(&mut conn, &batch);
        assert!(
            result.is_err(),
            "a batch with a duplicate reading must fail with the database's error"
        );
        let (count, _) = stored(&conn);
        assert_eq!(
            count, 0,
            "the import failed at row 601 but left {count} rows behind: run the batch in one \
             transaction, so that an error rolls every row of it back"
        );
    }
}
