//! PostgreSQL for the exercises that need it: a throwaway cluster of the runner's own,
//! listening on a Unix socket only (no TCP port, nothing reachable from another user or
//! machine), with durability switched off (it holds nothing worth keeping), and a fresh
//! database per run, created from a template in milliseconds.
//!
//! [`install`] finds the server's programs; [`layout`] decides where the cluster lives;
//! [`Cluster`] initialises, starts and stops it; [`Database`] is one run's database.

pub mod install;
pub mod layout;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;

pub use install::Install;
use layout::Layout;

use super::Unavailable;
use crate::manifest::Service;
use crate::supervisor::{self, Background, Cancel, Collect, Ending, Job};

/// The database superuser the cluster is made with (trust authentication on the socket).
pub const USER: &str = "backlings";
/// How long the server may take to accept connections after it is started.
const START_LIMIT: Duration = Duration::from_secs(30);
/// How long a fast shutdown may take before the server's group is killed.
const STOP_GRACE: Duration = Duration::from_secs(5);
/// Settings for a cluster that holds nothing worth keeping: no TCP, no waiting for disks.
const SERVER_SETTINGS: [&str; 6] = [
    "listen_addresses=",
    "unix_socket_permissions=0700",
    "fsync=off",
    "synchronous_commit=off",
    "full_page_writes=off",
    "max_connections=200",
];

fn unavailable(why: impl Into<String>) -> Unavailable {
    Unavailable {
        service: Service::Postgres,
        why: why.into(),
    }
}

/// A running cluster, owned by this process: stopped when dropped.
#[derive(Debug)]
pub struct Cluster {
    install: Install,
    layout: Layout,
    server: Option<Background>,
    /// Held for the cluster's life: one process per cluster directory.
    _lock: File,
    next_database: AtomicU64,
    /// How long the start took (initialisation included, when it was needed).
    pub started_in: Duration,
    /// Whether this start had to create the cluster (initdb).
    pub initialised: bool,
}

impl Cluster {
    /// Finds PostgreSQL, claims a cluster directory under `state_dir` and starts the
    /// server in it, creating or repairing the cluster first when needed.
    pub fn start(state_dir: &Path) -> Result<Cluster, Unavailable> {
        let started = Instant::now();
        let install = install::find()?;
        let (layout, lock) = layout::claim(state_dir, &install).map_err(unavailable)?;
        layout::stop_stale_server(&layout.data);
        let mut initialised = false;
        if let Some(why) = layout::unusable_data(&layout.data, install.major) {
            layout::set_aside(&layout.data, &why).map_err(unavailable)?;
        }
        if layout::worn_out(&layout) {
            // The cluster holds nothing worth keeping: a new one is faster than an old one.
            std::fs::remove_dir_all(&layout.data).map_err(|err| {
                unavailable(format!("cannot renew {}: {err}", layout.data.display()))
            })?;
            layout::reset_churn(&layout);
        }
        if !layout.data.join("PG_VERSION").is_file() {
            init(&install, &layout)?;
            initialised = true;
        }
        let server = match launch(&install, &layout) {
            Ok(server) => server,
            Err(why) if !initialised => {
                // A cluster that no longer starts (damaged files, a crash mid-write) is
                // throwaway: keep a copy for the curious, make a new one, try once more.
                layout::set_aside(&layout.data, &why).map_err(unavailable)?;
                init(&install, &layout)?;
                initialised = true;
                launch(&install, &layout).map_err(unavailable)?
            }
            Err(why) => return Err(unavailable(why)),
        };
        Ok(Cluster {
            install,
            layout,
            server: Some(server),
            _lock: lock,
            next_database: AtomicU64::new(1),
            started_in: started.elapsed(),
            initialised,
        })
    }

    pub fn install(&self) -> &Install {
        &self.install
    }

    pub fn data_dir(&self) -> &Path {
        &self.layout.data
    }

    pub fn socket_dir(&self) -> &Path {
        &self.layout.socket
    }

    pub fn log_file(&self) -> &Path {
        &self.layout.log
    }

    /// The server's process id.
    pub fn pid(&self) -> Option<u32> {
        self.server.as_ref().map(Background::pid)
    }

    pub fn is_running(&mut self) -> bool {
        self.server.as_mut().is_some_and(Background::is_running)
    }

    /// A new, empty database for one run labelled `label` (an exercise name).
    pub fn create_database(&self, label: &str) -> Result<Database, Unavailable> {
        let number = self.next_database.fetch_add(1, Ordering::Relaxed);
        let name = database_name(label, std::process::id(), number);
        let client = Client {
            psql: self.install.program("psql"),
            socket: self.layout.socket.clone(),
        };
        // PostgreSQL 15 made WAL_LOG the default strategy, which writes the whole template
        // to the WAL: FILE_COPY copies its few files and takes half the time (measured
        // with bench/postgres.sh), and with fsync off its checkpoint costs nothing.
        let strategy = if self.install.major >= 15 {
            " STRATEGY FILE_COPY"
        } else {
            ""
        };
        client
            .execute(&format!(
                "CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8'{strategy}"
            ))
            .map_err(|why| {
                unavailable(format!(
                    "could not create a database for this run: {why}\n(server log: {})",
                    self.layout.log.display()
                ))
            })?;
        Ok(Database {
            url: database_url(&name, &self.layout.socket),
            name,
            client,
        })
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        // SIGINT is PostgreSQL's fast shutdown: sessions are ended, not waited for.
        if let Some(server) = self.server.take() {
            server.stop(Signal::SIGINT, STOP_GRACE);
        }
        let created = self.next_database.load(Ordering::Relaxed).saturating_sub(1);
        layout::add_churn(&self.layout, created);
    }
}

/// One run's database, dropped by [`Database::drop_now`] after the run.
#[derive(Debug)]
pub struct Database {
    name: String,
    url: String,
    client: Client,
}

impl Database {
    /// `postgresql://backlings@/<name>?host=<socket directory>`: what `DATABASE_URL` holds.
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Drops the database, ending any connection a test left open.
    pub fn drop_now(self) {
        let _ = self.client.execute(&format!(
            "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
            self.name
        ));
    }
}

/// `psql` on the cluster's socket, for the few statements the runner itself runs.
#[derive(Debug, Clone)]
struct Client {
    psql: PathBuf,
    socket: PathBuf,
}

impl Client {
    fn execute(&self, sql: &str) -> Result<(), String> {
        let job = Job::new(&self.psql)
            .args([
                "-X",
                "-q",
                "-v",
                "ON_ERROR_STOP=1",
                "-d",
                "postgres",
                "-U",
                USER,
            ])
            .arg("-h")
            .arg(self.socket.as_os_str())
            .args(["-c", sql])
            .env("PGCONNECT_TIMEOUT", "10")
            .timeout(Duration::from_secs(30));
        match run_quietly(&job)? {
            (true, _) => Ok(()),
            (false, said) => Err(said.trim().to_string()),
        }
    }
}

/// Runs one of PostgreSQL's short-lived programs (`postgres --version`, `initdb`, `psql`)
/// to its end: whether it succeeded, and what it said (stdout and stderr together).
/// `Err` when it could not be started at all.
fn run_quietly(job: &Job) -> Result<(bool, String), String> {
    let done = supervisor::run_merged(job, Collect::default(), &Cancel::new())
        .map_err(|err| format!("could not start {}: {err}", job.program.display()))?;
    let said = String::from_utf8_lossy(&done.stdout.0).into_owned();
    Ok((done.ending == Ending::Exited(0), said))
}

/// Creates the cluster's files with `initdb`.
fn init(install: &Install, layout: &Layout) -> Result<(), Unavailable> {
    layout::prepare_data_dir(layout).map_err(unavailable)?;
    let mut job = Job::new(install.program("initdb"))
        .arg("-D")
        .arg(layout.data.as_os_str())
        .args([
            "-U",
            USER,
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        ])
        .env("LC_ALL", "C")
        .timeout(Duration::from_secs(120));
    if let Some((uid, gid)) = layout.server_user {
        job = job.user(uid, gid);
    }
    match run_quietly(&job).map_err(unavailable)? {
        (true, _) => Ok(()),
        (false, output) => Err(unavailable(format!(
            "initdb could not create a cluster in {}: {}",
            layout.data.display(),
            last_lines(&output, 12)
        ))),
    }
}

/// Starts the server and waits until it accepts connections.
fn launch(install: &Install, layout: &Layout) -> Result<Background, String> {
    layout::prepare_socket_dir(layout)?;
    let log = File::options()
        .create(true)
        .append(true)
        .open(&layout.log)
        .map_err(|err| format!("cannot open the server log {}: {err}", layout.log.display()))?;
    let mut job = Job::new(install.program("postgres"))
        .arg("-D")
        .arg(layout.data.as_os_str())
        .arg("-k")
        .arg(layout.socket.as_os_str());
    for setting in SERVER_SETTINGS {
        job = job.args(["-c", setting]);
    }
    if let Some((uid, gid)) = layout.server_user {
        job = job.user(uid, gid);
    }
    let log_start = std::fs::metadata(&layout.log).map_or(0, |m| m.len());
    let mut server = supervisor::spawn_background(&job, &log)
        .map_err(|err| format!("could not start {}: {err}", job.program.display()))?;
    let deadline = Instant::now() + START_LIMIT;
    loop {
        if layout::server_ready(&layout.data, server.pid()) {
            return Ok(server);
        }
        if !server.is_running() || Instant::now() >= deadline {
            let running = server.is_running();
            server.stop(Signal::SIGINT, STOP_GRACE);
            let said = read_from(&layout.log, log_start);
            return Err(if running {
                format!(
                    "the server did not accept connections within {}s; its log says: {}",
                    START_LIMIT.as_secs(),
                    last_lines(&said, 12)
                )
            } else {
                format!(
                    "the server stopped as it started; its log ({}) says: {}",
                    layout.log.display(),
                    last_lines(&said, 12)
                )
            });
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn read_from(path: &Path, offset: u64) -> String {
    let text = std::fs::read(path).unwrap_or_default();
    let start = usize::try_from(offset).unwrap_or(0).min(text.len());
    String::from_utf8_lossy(&text[start..]).into_owned()
}

fn last_lines(text: &str, count: usize) -> String {
    let lines: Vec<&str> = text.trim().lines().collect();
    let tail = lines[lines.len().saturating_sub(count)..].join("\n");
    if tail.is_empty() {
        "(nothing)".into()
    } else {
        format!("\n{tail}")
    }
}

/// A database name PostgreSQL accepts unquoted-safe and under its 63-byte limit: the
/// label's letters, digits and `_`, then the process and a counter, so parallel runs and
/// concurrent backlings processes never collide.
pub fn database_name(label: &str, pid: u32, number: u64) -> String {
    let clean: String = label
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .take(32)
        .collect();
    format!("run_{clean}_{pid}_{number}")
}

/// The URL of database `name` on the socket in `socket_dir`: libpq's form, which sqlx and
/// tokio-postgres read too. The directory is percent-encoded where it needs to be.
pub fn database_url(name: &str, socket_dir: &Path) -> String {
    let mut host = String::new();
    for byte in socket_dir.as_os_str().as_encoded_bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'-' | b'_' | b'.' | b'~' => {
                host.push(char::from(*byte));
            }
            other => host.push_str(&format!("%{other:02X}")),
        }
    }
    format!("postgresql://{USER}@/{name}?host={host}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_names_are_safe_and_unique_per_process_and_run() {
        assert_eq!(database_name("postgres1", 42, 7), "run_postgres1_42_7");
        assert_eq!(
            database_name("Wrong-Fix/ü", 1, 2),
            "run_wrong_fix___1_2",
            "anything outside [a-z0-9_] becomes `_`"
        );
        let long = database_name(&"x".repeat(200), u32::MAX, 99_999);
        assert!(
            long.len() <= 63,
            "{long} is longer than PostgreSQL's 63 bytes"
        );
    }

    #[test]
    fn urls_name_the_socket_directory_as_host() {
        assert_eq!(
            database_url("run_a_1_1", Path::new("/tmp/w/.backlings/socket")),
            "postgresql://backlings@/run_a_1_1?host=/tmp/w/.backlings/socket"
        );
        assert_eq!(
            database_url("d", Path::new("/tmp/my dir&x")),
            "postgresql://backlings@/d?host=/tmp/my%20dir%26x"
        );
    }

    #[test]
    fn last_lines_keeps_the_tail() {
        assert_eq!(last_lines("a\nb\nc\n", 2), "\nb\nc");
        assert_eq!(last_lines("  ", 2), "(nothing)");
    }
}
