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

use rusqlite::{Connection, OptionalExtension};

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
    // TODO: another worker can claim the same job between this SELECT and the UPDATE.
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

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::ffi;
    use std::ffi::{CStr, c_char, c_int, c_uint, c_void};
    use std::path::PathBuf;

    const NOW: i64 = 1_700_000_000;

    /// A database file of its own for one test, deleted afterwards (even on failure).
    struct TempDb(PathBuf);

    impl TempDb {
        fn new(test: &str) -> TempDb {
            let name = format!("backlings-jobs1-{test}-{}.db", std::process::id());
            let db = TempDb(std::env::temp_dir().join(name));
            db.remove_files();
            let conn = open(&db.0).unwrap();
            create_schema(&conn).unwrap();
            db
        }

        fn remove_files(&self) {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", self.0.display()));
            }
        }
    }

    impl Drop for TempDb {
        fn drop(&mut self) {
            self.remove_files();
        }
    }

    /// Runs `f` while `on_sql` is called with the text of every statement `conn` starts,
    /// at its very beginning, before it reads or locks anything (SQLite's
    /// `sqlite3_trace_v2` hook through the C API: rusqlite's `trace` feature is off).
    fn watch_sql<R, F: FnMut(&str)>(conn: &Connection, mut on_sql: F, f: impl FnOnce() -> R) -> R {
        unsafe extern "C" fn hook<F: FnMut(&str)>(
            event: c_uint,
            ctx: *mut c_void,
            _stmt: *mut c_void,
            sql: *mut c_void,
        ) -> c_int {
            if event == ffi::SQLITE_TRACE_STMT as c_uint {
                // SAFETY: for SQLITE_TRACE_STMT, `sql` is a NUL-terminated string, and `ctx`
                // is the `F` registered below, alive until the hook is removed.
                let sql = unsafe { CStr::from_ptr(sql.cast::<c_char>()) }.to_string_lossy();
                unsafe { (*ctx.cast::<F>())(&sql) };
            }
            0
        }
        struct Unhook(*mut ffi::sqlite3);
        impl Drop for Unhook {
            fn drop(&mut self) {
                // SAFETY: removes the hook before `on_sql` goes out of scope.
                unsafe { ffi::sqlite3_trace_v2(self.0, 0, None, std::ptr::null_mut()) };
            }
        }
        // SAFETY: the handle stays valid while `conn` is borrowed; `on_sql` outlives the hook.
        let db = unsafe { conn.handle() };
        let ctx: *mut F = &mut on_sql;
        unsafe {
            ffi::sqlite3_trace_v2(
                db,
                ffi::SQLITE_TRACE_STMT as c_uint,
                Some(hook::<F>),
                ctx.cast(),
            )
        };
        let _unhook = Unhook(db);
        f()
    }

    /// (state, attempts) of a job.
    fn state(conn: &Connection, job_id: i64) -> (String, i64) {
        conn.query_row(
            "SELECT state, attempts FROM jobs WHERE id = ?1",
            [job_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap()
    }

    fn claimed(conn: &Connection, worker: &str, now: i64) -> Option<Job> {
        claim(conn, worker, now)
            .unwrap_or_else(|err| panic!("claim by {worker} failed unexpectedly: {err}"))
    }

    #[test]
    fn claims_jobs_in_order_and_completes_them() {
        let db = TempDb::new("order");
        let conn = open(&db.0).unwrap();
        let first = enqueue(&conn, "resize photo 1").unwrap();
        let second = enqueue(&conn, "resize photo 2").unwrap();
        let a = claimed(&conn, "worker-a", NOW).expect("a queued job must be claimed");
        assert_eq!(
            (a.id, a.payload.as_str(), a.attempts),
            (first, "resize photo 1", 1),
            "the oldest job comes first, on its first attempt"
        );
        let b = claimed(&conn, "worker-b", NOW).expect("the second job is still queued");
        assert_eq!(b.id, second, "a job being run is not handed out again");
        assert!(
            claimed(&conn, "worker-c", NOW).is_none(),
            "both jobs are taken and their leases are running: nothing to claim"
        );
        assert!(
            complete(&conn, a.id, "worker-a").unwrap(),
            "the worker holding the job completes it"
        );
        assert_eq!(state(&conn, a.id).0, "done", "a completed job is done");
        assert_eq!(
            state(&conn, b.id).0,
            "running",
            "the other job is still running"
        );
    }

    #[test]
    fn two_workers_never_hold_the_same_job() {
        // Worker B, another process with its own connection, claims a job at the start of
        // the k-th statement worker A's `claim` runs, for every k in turn (once per fresh
        // database). It gives up at once if the database is locked.
        let undisturbed = {
            let db = TempDb::new("undisturbed");
            let conn = open(&db.0).unwrap();
            enqueue(&conn, "charge order 17").unwrap();
            let mut count = 0;
            let _ = watch_sql(&conn, |_| count += 1, || claim(&conn, "worker-a", NOW));
            count
        };
        let mut most_statements = undisturbed;
        let mut k = 0;
        while k < most_statements {
            k += 1;
            let db = TempDb::new(&format!("interleaved-{k}"));
            let conn = open(&db.0).unwrap();
            let job_id = enqueue(&conn, "charge order 17").unwrap();
            let worker_b = open(&db.0).unwrap();
            worker_b.busy_timeout(Duration::ZERO).unwrap();
            let mut statements = Vec::new();
            let mut b_got = None;
            let result = watch_sql(
                &conn,
                |sql| {
                    statements.push(sql.to_string());
                    if statements.len() == k {
                        b_got = worker_b
                            .query_row(
                                "UPDATE jobs SET state = 'running', worker = 'worker-b',
                                     lease_until = ?1, attempts = attempts + 1
                                 WHERE id = (SELECT id FROM jobs
                                     WHERE state = 'queued'
                                        OR (state = 'running' AND lease_until <= ?2)
                                     ORDER BY id LIMIT 1)
                                 RETURNING id",
                                (NOW + LEASE_SECS, NOW),
                                |r| r.get::<_, i64>(0),
                            )
                            .ok();
                    }
                },
                || claim(&conn, "worker-a", NOW),
            );
            let a_got = match result {
                Ok(job) => job.map(|job| job.id),
                Err(err) => panic!(
                    "claim failed with `{err}` while another worker claimed a job (at the \
                     start of statement {k}: {:?}). A transaction that reads, then writes, \
                     can't upgrade its lock once another connection has committed: take \
                     the write lock at BEGIN (Immediate) or claim in one UPDATE",
                    statements[k - 1]
                ),
            };
            assert!(
                !(a_got == Some(job_id) && b_got == Some(job_id)),
                "job {job_id} was handed to both workers: worker B claimed it at the start of \
                 statement {k} ({:?}), after worker A's claim had read it, and A took it \
                 anyway. Claim in one atomic step that only takes a job still available \
                 (and check that it changed a row)",
                statements[k - 1]
            );
            assert!(
                a_got.is_some() || b_got.is_some(),
                "one of the two workers must get the only job (statements: {statements:?})"
            );
            if a_got.is_some() {
                let holder: String = conn
                    .query_row("SELECT worker FROM jobs WHERE id = ?1", [job_id], |r| {
                        r.get(0)
                    })
                    .unwrap();
                assert_eq!(
                    holder, "worker-a",
                    "the job is recorded as held by its claimer"
                );
            }
            most_statements = most_statements.max(statements.len());
        }
    }

    #[test]
    fn an_expired_lease_makes_the_job_available_again() {
        let db = TempDb::new("lease");
        let conn = open(&db.0).unwrap();
        let job_id = enqueue(&conn, "sync invoices").unwrap();
        assert!(
            claimed(&conn, "worker-a", NOW).is_some(),
            "worker A claims the job"
        );
        // Worker A crashes. Until its lease expires, nobody else may take the job.
        assert!(
            claimed(&conn, "worker-b", NOW + LEASE_SECS - 1).is_none(),
            "the job was handed out again before worker A's lease expired"
        );
        let again = claimed(&conn, "worker-b", NOW + LEASE_SECS).unwrap_or_else(|| {
            panic!(
                "worker A's lease expired at {} but worker B couldn't claim the job: a job \
                 whose worker crashed would never run (claim running jobs whose lease has \
                 expired too)",
                NOW + LEASE_SECS
            )
        });
        assert_eq!(
            (again.id, again.attempts),
            (job_id, 2),
            "worker B gets the same job, on its second attempt"
        );
        assert!(
            !complete(&conn, job_id, "worker-a").unwrap(),
            "worker A lost its lease: it may no longer complete the job"
        );
        assert!(
            complete(&conn, job_id, "worker-b").unwrap(),
            "worker B holds the job and completes it"
        );
    }

    #[test]
    fn a_failing_job_is_retried_then_dead_lettered() {
        let db = TempDb::new("retry");
        let conn = open(&db.0).unwrap();
        let job_id = enqueue(&conn, "call flaky webhook").unwrap();
        for attempt in 1..=MAX_ATTEMPTS {
            let job = claimed(&conn, "worker-a", NOW + attempt).unwrap_or_else(|| {
                panic!("a failed job is retried: attempt {attempt} of {MAX_ATTEMPTS} expected")
            });
            assert_eq!(
                (job.id, job.attempts),
                (job_id, attempt),
                "the same job, with its attempts counted"
            );
            assert!(
                fail(&conn, job_id, "worker-a").unwrap(),
                "the holder fails it"
            );
        }
        assert!(
            claimed(&conn, "worker-a", NOW + 100).is_none(),
            "a job that failed {MAX_ATTEMPTS} times must not be handed out again"
        );
        assert_eq!(
            state(&conn, job_id),
            ("dead".to_string(), MAX_ATTEMPTS),
            "after {MAX_ATTEMPTS} failed attempts the job is a dead letter"
        );
    }

    #[test]
    fn a_job_whose_worker_keeps_crashing_is_dead_lettered() {
        let db = TempDb::new("poison");
        let conn = open(&db.0).unwrap();
        let poison = enqueue(&conn, "parse 2 GB file").unwrap();
        let mut now = NOW;
        for attempt in 1..=MAX_ATTEMPTS {
            let job = claimed(&conn, "worker-a", now).unwrap_or_else(|| {
                panic!("attempt {attempt}: the expired job must be claimable again")
            });
            assert_eq!(job.id, poison, "the same job again");
            now += LEASE_SECS; // The worker crashed: its lease runs out.
        }
        let healthy = enqueue(&conn, "send receipt").unwrap();
        let next = claimed(&conn, "worker-a", now);
        assert_eq!(
            next.map(|job| job.id),
            Some(healthy),
            "a job whose worker crashed on all of its {MAX_ATTEMPTS} attempts must not be \
             claimed again (it would crash workers forever); the next job comes instead"
        );
        assert_eq!(
            state(&conn, poison).0,
            "dead",
            "the job that crashed its workers {MAX_ATTEMPTS} times is a dead letter"
        );
    }
}
