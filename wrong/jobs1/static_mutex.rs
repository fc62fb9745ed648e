// wrong fix: wraps the SELECT and the UPDATE in a process-wide `static Mutex`: workers in this process take turns, but a worker in another process still claims the job in between
// jobs1: a job queue in SQLite: each job to one worker at a time, at least once.
//
// Workers `claim` the oldest available job, run it, then `complete` or `fail` it. A claim
// is a lease: if its worker crashes, the job is claimed again once the lease expires, and
// after MAX_ATTEMPTS claims it goes to the dead letters instead of being retried forever.
// Workers are separate processes with their own connections. `claim` reads a job, then
// marks it as taken: another worker can claim the same job in between, and both run it.
// Make the claim one atomic step that only takes a job if it is still available.

use std::path::Path;
use std::time::Duration;

use std::sync::Mutex;

use rusqlite::{Connection, OptionalExtension};

static CLAIMS: Mutex<()> = Mutex::new(());

/// How long a worker may hold a job before it can be claimed again, in seconds.
const LEASE_SECS: i64 = 60;
/// How many claims a job gets before it is dead-lettered.
const MAX_ATTEMPTS: i64 = 3;

/// Opens the database file with the settings every connection of the app uses.
fn open(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    Ok(conn)
}

fn create_schema(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS jobs (
             id          INTEGER PRIMARY KEY,
             payload     TEXT NOT NULL,
             state       TEXT NOT NULL DEFAULT 'queued'
                         CHECK (state IN ('queued', 'running', 'done', 'dead')),
             attempts    INTEGER NOT NULL DEFAULT 0, -- claims so far
             worker      TEXT,                       -- who holds it while 'running'
             lease_until INTEGER                     -- unix seconds, while 'running'
         );",
    )
}

#[derive(Debug)]
struct Job {
    id: i64,
    payload: String,
    /// Claims so far, this one included.
    attempts: i64,
}

fn enqueue(conn: &Connection, payload: &str) -> rusqlite::Result<i64> {
    conn.execute("INSERT INTO jobs (payload) VALUES (?1)", [payload])?;
    Ok(conn.last_insert_rowid())
}

/// Claims the oldest available job for `worker` at time `now` (unix seconds): a queued
/// job, or a running one whose lease has expired (its worker crashed).
fn claim(conn: &Connection, worker: &str, now: i64) -> rusqlite::Result<Option<Job>> {
    // A job whose worker crashed on each of its MAX_ATTEMPTS claims is a dead letter.
    conn.execute(
        "UPDATE jobs SET state = 'dead', worker = NULL, lease_until = NULL
         WHERE state = 'running' AND lease_until <= ?1 AND attempts >= ?2",
        (now, MAX_ATTEMPTS),
    )?;
    let _guard = CLAIMS.lock().unwrap();
    let job = conn
        .query_row(
            "SELECT id, payload, attempts FROM jobs
             WHERE (state = 'queued' OR (state = 'running' AND lease_until <= ?1))
               AND attempts < ?2
             ORDER BY id LIMIT 1",
            (now, MAX_ATTEMPTS),
            |row| {
                Ok(Job {
                    id: row.get(0)?,
                    payload: row.get(1)?,
                    attempts: row.get::<_, i64>(2)? + 1,
                })
            },
        )
        .optional()?;
    if let Some(job) = &job {
        conn.execute(
            "UPDATE jobs SET state = 'running', worker = ?1, lease_until = ?2, attempts = ?3
             WHERE id = ?4",
            (worker, now + LEASE_SECS, job.attempts, job.id),
        )?;
    }
    Ok(job)
}

/// Marks the job done; false if `worker` no longer holds it (its lease expired and
/// another worker claimed it).
fn complete(conn: &Connection, job_id: i64, worker: &str) -> rusqlite::Result<bool> {
    let changed = conn.execute(
        "UPDATE jobs SET state = 'done', worker = NULL, lease_until = NULL
         WHERE id = ?1 AND state = 'running' AND worker = ?2",
        (job_id, worker),
    )?;
    Ok(changed == 1)
}

/// The job failed: queue it again, or dead-letter it after MAX_ATTEMPTS claims.
fn fail(conn: &Connection, job_id: i64, worker: &str) -> rusqlite::Result<bool> {
    let changed = conn.execute(
        "UPDATE jobs SET worker = NULL, lease_until = NULL,
                         state = CASE WHEN attempts >= ?3 THEN 'dead' ELSE 'queued' END
         WHERE id = ?1 AND state = 'running' AND worker = ?2",
        (job_id, worker, MAX_ATTEMPTS),
    )?;
    Ok(changed == 1)
}

fn main() -> rusqlite::Result<()> {
    let path = std::env::temp_dir().join(format!("backlings-jobs1-main-{}.db", std::process::id()));
    let conn = open(&path)?;
    create_schema(&conn)?;
    enqueue(&conn, "send welcome email to ada@example.com")?;
    enqueue(&conn, "call a webhook that is down")?;
    let now = 1_700_000_000;
    while let Some(job) = claim(&conn, "worker-1", now)? {
        println!(
            "worker-1 runs job {} ({}), attempt {}",
            job.id, job.payload, job.attempts
        );
        if job.payload.contains("down") {
            fail(&conn, job.id, "worker-1")?;
        } else {
            complete(&conn, job.id, "worker-1")?;
        }
    }
    drop(conn);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    Ok(())
}
