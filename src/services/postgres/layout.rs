//! Where a cluster lives and who owns it. One cluster per backlings process: the first
//! free numbered slot under `.backlings/services/postgres-<major>/`, claimed with a file
//! lock held while the process lives (a crash releases it). Running as root, the server
//! runs as an unprivileged user (PostgreSQL refuses root), and the cluster moves to the
//! temporary directory when that user could not reach the set's folder.

use std::fs::File;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use nix::fcntl::{Flock, FlockArg};
use nix::sys::signal::{Signal, kill};
use nix::unistd::{Pid, Uid, User};

use super::Install;

/// Clusters one machine's backlings processes may run at once per set.
const SLOTS: u32 = 8;
/// A Unix socket path must fit in `sun_path` (108 bytes with the NUL on Linux, 104 on
/// macOS); PostgreSQL adds `/.s.PGSQL.5432`.
const SOCKET_PATH_LIMIT: usize = 100;
const SOCKET_FILE: &str = ".s.PGSQL.5432";

/// The files of one cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    pub data: PathBuf,
    pub socket: PathBuf,
    pub log: PathBuf,
    /// The user and group the server runs as, when not the runner's own (root).
    pub server_user: Option<(u32, u32)>,
}

/// Claims the first free cluster slot under `state_dir` (or, for root, where the server's
/// user can reach), creating its directory.
pub fn claim(state_dir: &Path, install: &Install) -> Result<(Layout, File), String> {
    let server_user = server_user()?;
    let base = match server_user {
        Some((uid, _)) if !reachable_by_others(state_dir) => std::env::temp_dir().join(format!(
            "backlings-services-{uid}-{:016x}",
            path_hash(state_dir)
        )),
        _ => state_dir.to_path_buf(),
    };
    let version_dir = base.join(format!("postgres-{}", install.major));
    for slot in 0..SLOTS {
        let dir = version_dir.join(slot.to_string());
        std::fs::create_dir_all(&dir)
            .map_err(|err| format!("cannot create {}: {err}", dir.display()))?;
        let lock_path = dir.join("lock");
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|err| format!("cannot open {}: {err}", lock_path.display()))?;
        let Ok(lock) = Flock::lock(file, FlockArg::LockExclusiveNonblock) else {
            continue;
        };
        // The lock lives as long as the file stays open; unlocking is the process ending.
        let file = lock
            .unlock()
            .map_err(|(_, err)| format!("cannot hold {}: {err}", lock_path.display()))?;
        let layout = Layout {
            data: dir.join("data"),
            socket: socket_dir(&dir),
            log: dir.join("server.log"),
            server_user,
        };
        return Ok((layout, file));
    }
    Err(format!(
        "all {SLOTS} cluster slots in {} are in use by other backlings processes; stop one of them",
        version_dir.display()
    ))
}

/// `None` when the runner may run the server itself; the `postgres` (else `nobody`)
/// account when the runner is root.
fn server_user() -> Result<Option<(u32, u32)>, String> {
    if !Uid::effective().is_root() {
        return Ok(None);
    }
    for name in ["postgres", "nobody"] {
        if let Ok(Some(user)) = User::from_name(name) {
            return Ok(Some((user.uid.as_raw(), user.gid.as_raw())));
        }
    }
    Err("PostgreSQL refuses to run as root, and there is no `postgres` or `nobody` account to run it as; run backlings as an ordinary user".into())
}

/// Whether every existing ancestor of `dir` lets other users through (`o+x`).
fn reachable_by_others(dir: &Path) -> bool {
    dir.ancestors()
        .filter_map(|d| std::fs::metadata(d).ok())
        .all(|m| m.permissions().mode() & 0o001 != 0)
}

/// The socket directory: inside the slot when the path is short enough, else a short
/// private directory in /tmp named after the slot.
pub fn socket_dir(slot_dir: &Path) -> PathBuf {
    let inside = slot_dir.join("socket");
    if inside.join(SOCKET_FILE).as_os_str().len() <= SOCKET_PATH_LIMIT {
        inside
    } else {
        PathBuf::from(format!("/tmp/backlings-pg-{:016x}", path_hash(slot_dir)))
    }
}

fn path_hash(path: &Path) -> u64 {
    let mut hash = crate::reference::Fnv::default();
    hash.write(path.as_os_str().as_encoded_bytes());
    hash.0
}

/// Creates the (empty) data directory, owned by the server's user with mode 0700 (the
/// server refuses a data directory others can read).
pub fn prepare_data_dir(layout: &Layout) -> Result<(), String> {
    private_dir(&layout.data, layout.server_user)?;
    if let Some(parent) = layout.data.parent() {
        hand_over(parent, layout.server_user)?;
    }
    Ok(())
}

/// Creates the socket directory (0700, the server's user's): only that user (and root)
/// can connect, so no other account on the machine reaches the cluster.
pub fn prepare_socket_dir(layout: &Layout) -> Result<(), String> {
    private_dir(&layout.socket, layout.server_user)?;
    if layout.log.exists() {
        hand_over(&layout.log, layout.server_user)?;
    }
    Ok(())
}

fn private_dir(dir: &Path, user: Option<(u32, u32)>) -> Result<(), String> {
    std::fs::create_dir_all(dir)
        .map_err(|err| format!("cannot create {}: {err}", dir.display()))?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
        .map_err(|err| format!("cannot restrict {}: {err}", dir.display()))?;
    hand_over(dir, user)
}

fn hand_over(path: &Path, user: Option<(u32, u32)>) -> Result<(), String> {
    let Some((uid, gid)) = user else {
        return Ok(());
    };
    std::os::unix::fs::chown(path, Some(uid), Some(gid))
        .map_err(|err| format!("cannot give {} to the server's user: {err}", path.display()))
}

/// Databases created and dropped in one cluster before it is made anew. Each CREATE
/// DATABASE gets slower as a cluster ages with creations and drops (measured on
/// PostgreSQL 15: 34 ms on a new cluster, 82 ms after 160 create/drop cycles, ~300 ms
/// after ~600), and a new cluster costs one initdb (~0.6 s).
pub const CHURN_LIMIT: u64 = 100;

/// The file in the slot that counts the cluster's databases created so far.
fn churn_file(layout: &Layout) -> PathBuf {
    layout.data.with_file_name("databases-created")
}

fn churn(layout: &Layout) -> u64 {
    std::fs::read_to_string(churn_file(layout))
        .ok()
        .and_then(|text| text.trim().parse().ok())
        .unwrap_or(0)
}

/// Whether the cluster has created enough databases to be made anew.
pub fn worn_out(layout: &Layout) -> bool {
    layout.data.exists() && churn(layout) >= CHURN_LIMIT
}

/// Adds `created` databases to the cluster's count.
pub fn add_churn(layout: &Layout, created: u64) {
    if created > 0 {
        let _ = std::fs::write(churn_file(layout), (churn(layout) + created).to_string());
    }
}

pub fn reset_churn(layout: &Layout) {
    let _ = std::fs::remove_file(churn_file(layout));
}

/// Why an existing data directory cannot be started as it is, if it cannot: another
/// major version's files, or a cluster that initdb never finished.
pub fn unusable_data(data: &Path, major: u32) -> Option<String> {
    if !data.exists() {
        return None;
    }
    match std::fs::read_to_string(data.join("PG_VERSION")) {
        Ok(text) if text.trim() == major.to_string() => None,
        Ok(text) => Some(format!(
            "it was made by PostgreSQL {}, and {major} is installed now",
            text.trim()
        )),
        Err(_) if is_empty_dir(data) => None,
        Err(_) => Some("it has no PG_VERSION file (an initdb that never finished?)".into()),
    }
}

fn is_empty_dir(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|mut entries| entries.next().is_none())
}

/// Moves a cluster that cannot be used to `data.set-aside` (replacing an older one) and
/// says why in `set-aside.txt` beside it: the cluster is throwaway, but a learner may
/// want to look at what went wrong.
pub fn set_aside(data: &Path, why: &str) -> Result<(), String> {
    let aside = data.with_extension("set-aside");
    if aside.exists() {
        std::fs::remove_dir_all(&aside)
            .map_err(|err| format!("cannot remove {}: {err}", aside.display()))?;
    }
    std::fs::rename(data, &aside).map_err(|err| {
        format!(
            "cannot move the unusable cluster {} aside: {err}",
            data.display()
        )
    })?;
    let note = data.with_file_name("set-aside.txt");
    let _ = std::fs::write(note, format!("{} was set aside: {why}\n", data.display()));
    Ok(())
}

/// The server's `postmaster.pid`: its process id, and whether it accepts connections.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PidFile {
    pub pid: i32,
    pub ready: bool,
}

/// Parses `postmaster.pid`: line 1 is the process id; line 8 the status, `ready` once
/// the server accepts connections (PostgreSQL 10 and later).
pub fn parse_pid_file(text: &str) -> Option<PidFile> {
    let mut lines = text.lines();
    let pid = lines.next()?.trim().parse().ok()?;
    let ready = text.lines().nth(7).is_some_and(|l| l.trim() == "ready");
    Some(PidFile { pid, ready })
}

/// Whether the server `pid` started in `data` says it accepts connections.
pub fn server_ready(data: &Path, pid: u32) -> bool {
    std::fs::read_to_string(data.join("postmaster.pid"))
        .ok()
        .and_then(|text| parse_pid_file(&text))
        .is_some_and(|file| file.ready && file.pid.unsigned_abs() == pid)
}

/// Stops a server that still runs on `data` though no backlings process holds its slot:
/// the runner that started it was killed (SIGKILL runs no destructor). PostgreSQL itself
/// removes a pid file whose process is gone.
pub fn stop_stale_server(data: &Path) {
    let Some(file) = std::fs::read_to_string(data.join("postmaster.pid"))
        .ok()
        .and_then(|text| parse_pid_file(&text))
    else {
        return;
    };
    let pid = Pid::from_raw(file.pid);
    if file.pid <= 1 || !is_postgres(file.pid) {
        return;
    }
    let _ = kill(pid, Signal::SIGINT);
    let started = Instant::now();
    while kill(pid, None).is_ok() && started.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(10));
    }
    let _ = kill(pid, Signal::SIGKILL);
}

/// Whether process `pid` is a PostgreSQL server (not a process that reused the pid).
fn is_postgres(pid: i32) -> bool {
    if kill(Pid::from_raw(pid), None).is_err() {
        return false;
    }
    match std::fs::read(format!("/proc/{pid}/cmdline")) {
        Ok(cmdline) => cmdline
            .split(|b| *b == 0)
            .next()
            .is_some_and(|program| program.ends_with(b"postgres")),
        // No /proc (macOS): the pid file's process is alive; trust it.
        Err(_) => !Path::new("/proc/self").exists(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pid_files_are_read_as_postgres_writes_them() {
        let ready = "15886\n/tmp/pgm/data\n1796148246\n5432\n/tmp/pgm\n\n 10936532 9\nready   \n";
        assert_eq!(
            parse_pid_file(ready),
            Some(PidFile {
                pid: 15886,
                ready: true
            })
        );
        let starting = ready.replace("ready   ", "starting");
        assert_eq!(parse_pid_file(&starting).map(|f| f.ready), Some(false));
        assert_eq!(parse_pid_file("15886\n").map(|f| f.ready), Some(false));
        assert_eq!(parse_pid_file("garbage"), None);
    }

    #[test]
    fn long_paths_move_the_socket_to_tmp() {
        let short = Path::new("/w/.backlings/services/postgres-15/0");
        assert_eq!(socket_dir(short), short.join("socket"));
        let long = PathBuf::from(format!("/{}/0", "deep/".repeat(30)));
        let moved = socket_dir(&long);
        assert!(moved.starts_with("/tmp"), "{}", moved.display());
        assert!(moved.join(SOCKET_FILE).as_os_str().len() <= SOCKET_PATH_LIMIT);
        assert_eq!(
            socket_dir(&long),
            moved,
            "the same slot gets the same directory"
        );
    }

    #[test]
    fn a_cluster_is_worn_out_after_its_churn_limit() {
        let dir = tempfile::tempdir().unwrap();
        let layout = Layout {
            data: dir.path().join("data"),
            socket: dir.path().join("socket"),
            log: dir.path().join("server.log"),
            server_user: None,
        };
        std::fs::create_dir(&layout.data).unwrap();
        assert!(!worn_out(&layout));
        add_churn(&layout, CHURN_LIMIT - 1);
        assert!(!worn_out(&layout));
        add_churn(&layout, 1);
        assert!(worn_out(&layout), "counts add up across runs");
        reset_churn(&layout);
        assert!(!worn_out(&layout));
    }

    #[test]
    fn data_directories_are_judged_by_their_version_file() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        assert_eq!(unusable_data(&data, 15), None, "absent: initdb makes it");
        std::fs::create_dir(&data).unwrap();
        assert_eq!(unusable_data(&data, 15), None, "empty: initdb fills it");
        std::fs::write(data.join("base"), "").unwrap();
        assert!(unusable_data(&data, 15).unwrap().contains("PG_VERSION"));
        std::fs::write(data.join("PG_VERSION"), "14\n").unwrap();
        assert!(unusable_data(&data, 15).unwrap().contains("PostgreSQL 14"));
        std::fs::write(data.join("PG_VERSION"), "15\n").unwrap();
        assert_eq!(unusable_data(&data, 15), None);

        set_aside(&data, "a test").unwrap();
        assert!(!data.exists());
        assert!(dir.path().join("data.set-aside/PG_VERSION").is_file());
        let note = std::fs::read_to_string(dir.path().join("set-aside.txt")).unwrap();
        assert!(note.contains("a test"), "{note}");
    }
}
