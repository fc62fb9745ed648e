//! Watching the exercise files: native events where the filesystem delivers them, a
//! content-comparing poller where it does not (or when native watching fails), and a
//! debounce that turns an editor's burst of events into one "saved" notice per save.
//!
//! The poller cannot trust modification times alone: many filesystems keep them to the
//! second, so two saves within one second look the same, even with the same size. So on
//! each tick a file is hashed when its size or time changed, or when its time is within
//! the last [`RECENT`] (a save could still share it); a run starts when the hash differs.

use std::collections::{BTreeMap, BTreeSet};
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::thread;
use std::time::{Duration, Instant, SystemTime};

use notify::event::{AccessKind, AccessMode, EventKind};
use notify::{RecommendedWatcher, RecursiveMode, Watcher};

/// Quiet time that ends a burst of events.
pub const DEBOUNCE: Duration = Duration::from_millis(50);
/// A burst never delays the run longer than this.
const MAX_BURST: Duration = Duration::from_millis(600);
const POLL_INTERVAL: Duration = Duration::from_millis(500);

/// What the watcher tells the event loop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    Saved(Vec<PathBuf>),
    /// Native watching broke down; the loop should restart in polling mode.
    Failed(String),
}

/// How files are watched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    Native,
    Poll { reason: String },
}

impl Mode {
    pub fn describe(&self) -> String {
        match self {
            Mode::Native => "watching".into(),
            Mode::Poll { reason } => format!("polling for changes ({reason})"),
        }
    }
}

/// A running watcher; dropping it stops watching.
pub struct FileWatcher {
    _watcher: Box<dyn Send>,
    pub mode: Mode,
}

/// Modification times this close to now may be shared by a later save.
pub const RECENT: Duration = Duration::from_secs(2);

/// Starts watching `dir` recursively; notices go to `notify_tx` through `wrap`.
pub fn start<T: Send + 'static>(
    dir: &Path,
    force_poll: bool,
    notify_tx: Sender<T>,
    wrap: fn(Notice) -> T,
) -> notify::Result<FileWatcher> {
    let (raw_tx, raw_rx) = mpsc::channel::<RawEvent>();
    spawn_debouncer(raw_rx, notify_tx, wrap);

    let reason = if force_poll {
        Some("--poll".to_string())
    } else {
        unreliable_filesystem(dir)
    };
    if reason.is_none() {
        match native(dir, raw_tx.clone()) {
            Ok(watcher) => {
                return Ok(FileWatcher {
                    _watcher: watcher,
                    mode: Mode::Native,
                });
            }
            Err(err) => return poll(dir, raw_tx, format!("native events unavailable: {err}")),
        }
    }
    poll(dir, raw_tx, reason.unwrap_or_default())
}

/// Starts a poll watcher (used directly after native watching failed at run time).
pub fn start_polling<T: Send + 'static>(
    dir: &Path,
    reason: String,
    notify_tx: Sender<T>,
    wrap: fn(Notice) -> T,
) -> notify::Result<FileWatcher> {
    let (raw_tx, raw_rx) = mpsc::channel::<RawEvent>();
    spawn_debouncer(raw_rx, notify_tx, wrap);
    poll(dir, raw_tx, reason)
}

enum RawEvent {
    Paths(Vec<PathBuf>),
    Error(String),
}

fn handler(tx: Sender<RawEvent>) -> impl Fn(notify::Result<notify::Event>) + Send + 'static {
    move |result| {
        let message = match result {
            Ok(event) if counts(&event.kind) => RawEvent::Paths(event.paths),
            Ok(_) => return,
            Err(err) => RawEvent::Error(err.to_string()),
        };
        let _ = tx.send(message);
    }
}

fn native(dir: &Path, tx: Sender<RawEvent>) -> notify::Result<Box<dyn Watcher + Send>> {
    let mut watcher = RecommendedWatcher::new(handler(tx), notify::Config::default())?;
    watcher.watch(dir, RecursiveMode::Recursive)?;
    Ok(Box::new(watcher))
}

fn poll(dir: &Path, tx: Sender<RawEvent>, reason: String) -> notify::Result<FileWatcher> {
    if !dir.is_dir() {
        return Err(notify::Error::path_not_found().add_path(dir.to_path_buf()));
    }
    let stop = Arc::new(AtomicBool::new(false));
    let poller = Poller {
        stop: Arc::clone(&stop),
    };
    let dir = dir.to_path_buf();
    thread::spawn(move || {
        let mut known = BTreeMap::new();
        // The first scan learns the files as they are; it reports nothing.
        scan(&dir, &mut known, SystemTime::now());
        while !stop.load(Ordering::SeqCst) {
            thread::sleep(POLL_INTERVAL);
            let changed = scan(&dir, &mut known, SystemTime::now());
            if !changed.is_empty() && tx.send(RawEvent::Paths(changed)).is_err() {
                return;
            }
        }
    });
    Ok(FileWatcher {
        _watcher: Box::new(poller),
        mode: Mode::Poll { reason },
    })
}

/// Stops the polling thread when dropped.
struct Poller {
    stop: Arc<AtomicBool>,
}

impl Drop for Poller {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// What the poller remembers of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seen {
    pub len: u64,
    pub modified: SystemTime,
    pub hash: u64,
}

/// Whether a file whose metadata is now `len`/`modified` must be read and hashed.
pub fn needs_hash(seen: Option<&Seen>, len: u64, modified: SystemTime, now: SystemTime) -> bool {
    let Some(seen) = seen else { return true };
    // A time in the future (a skewed clock on a network filesystem) counts as recent.
    let recent = now
        .duration_since(modified)
        .map_or(true, |age| age <= RECENT);
    seen.len != len || seen.modified != modified || recent
}

fn hash_of(bytes: &[u8]) -> u64 {
    // Only tells this file's versions apart; not a security boundary.
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    bytes.hash(&mut hasher);
    hasher.finish()
}

/// One poll of `dir`: updates `known` and returns the files whose content changed (or
/// that appeared). Editor droppings are never read.
fn scan(dir: &Path, known: &mut BTreeMap<PathBuf, Seen>, now: SystemTime) -> Vec<PathBuf> {
    let mut changed = Vec::new();
    let mut present = BTreeSet::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(meta) = std::fs::metadata(&path) else {
                continue;
            };
            if meta.is_dir() {
                if !is_ignored_dir(&path) {
                    pending.push(path);
                }
                continue;
            }
            if is_ignored(&path) {
                continue;
            }
            present.insert(path.clone());
            let modified = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
            let previous = known.get(&path).copied();
            if !needs_hash(previous.as_ref(), meta.len(), modified, now) {
                continue;
            }
            let Ok(content) = std::fs::read(&path) else {
                continue;
            };
            let seen = Seen {
                len: meta.len(),
                modified,
                hash: hash_of(&content),
            };
            if previous.is_none_or(|p| p.hash != seen.hash) {
                changed.push(path.clone());
            }
            known.insert(path, seen);
        }
    }
    known.retain(|path, _| present.contains(path));
    changed
}

fn is_ignored_dir(path: &Path) -> bool {
    matches!(
        path.file_name().and_then(|n| n.to_str()),
        Some("target" | ".git" | ".backlings")
    )
}

/// Event kinds that can mean "the content changed". Opening or reading a file does not.
fn counts(kind: &EventKind) -> bool {
    match kind {
        EventKind::Create(_) | EventKind::Modify(_) | EventKind::Any => true,
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        EventKind::Access(_) | EventKind::Remove(_) | EventKind::Other => false,
    }
}

fn spawn_debouncer<T: Send + 'static>(
    raw: Receiver<RawEvent>,
    out: Sender<T>,
    wrap: fn(Notice) -> T,
) {
    thread::spawn(move || {
        while let Ok(first) = raw.recv() {
            let mut paths = BTreeSet::new();
            let started = Instant::now();
            let mut next = Some(first);
            loop {
                match next.take() {
                    Some(RawEvent::Paths(batch)) => {
                        paths.extend(batch.into_iter().filter(|p| !is_ignored(p)));
                    }
                    Some(RawEvent::Error(err))
                        if out.send(wrap(Notice::Failed(err.clone()))).is_err() =>
                    {
                        return;
                    }
                    Some(RawEvent::Error(_)) | None => {}
                }
                if started.elapsed() >= MAX_BURST {
                    break;
                }
                match raw.recv_timeout(DEBOUNCE) {
                    Ok(event) => next = Some(event),
                    Err(RecvTimeoutError::Timeout) => break,
                    Err(RecvTimeoutError::Disconnected) => return,
                }
            }
            // A file deleted and not (yet) recreated is not a save: delete-then-create
            // editors get their run when the new file appears.
            let saved: Vec<PathBuf> = paths.into_iter().filter(|p| p.is_file()).collect();
            if !saved.is_empty() && out.send(wrap(Notice::Saved(saved))).is_err() {
                return;
            }
        }
    });
}

/// Editor swap, backup and temp files, and build output: never a save of an exercise.
pub fn is_ignored(path: &Path) -> bool {
    if path.components().any(|c| {
        matches!(
            c.as_os_str().to_str(),
            Some("target" | ".git" | ".backlings")
        )
    }) {
        return true;
    }
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return true;
    };
    name.starts_with(".#")
        || (name.starts_with('#') && name.ends_with('#'))
        || name.ends_with('~')
        || name.ends_with(".swp")
        || name.ends_with(".swx")
        || name.ends_with(".swo")
        || name.ends_with(".tmp")
        || name.ends_with(".bak")
        || name.ends_with("___jb_tmp___")
        || name.ends_with("___jb_old___")
        || name == "4913"
        || !name.ends_with(".rs")
}

/// A reason to poll when `dir` is on a filesystem that does not deliver native events.
fn unreliable_filesystem(dir: &Path) -> Option<String> {
    let mounts = std::fs::read_to_string("/proc/mounts").ok()?;
    let dir = std::fs::canonicalize(dir).ok()?;
    let fstype = filesystem_of(&mounts, &dir)?;
    let unreliable = matches!(
        fstype.as_str(),
        "nfs" | "nfs4" | "cifs" | "smb3" | "smbfs" | "9p" | "v9fs" | "drvfs" | "vboxsf" | "fuse"
    ) || fstype.starts_with("fuse.");
    unreliable.then(|| format!("{fstype} does not deliver file events"))
}

/// The filesystem type of the longest mount point containing `dir`.
pub fn filesystem_of(mounts: &str, dir: &Path) -> Option<String> {
    mounts
        .lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let (_, point, fstype) = (fields.next()?, fields.next()?, fields.next()?);
            let point = point.replace("\\040", " ");
            dir.starts_with(&point)
                .then(|| (point.len(), fstype.to_string()))
        })
        .max_by_key(|(len, _)| *len)
        .map(|(_, fstype)| fstype)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ignores_editor_droppings_and_build_output() {
        for ignored in [
            "/s/exercises/.intro1.rs.swp",
            "/s/exercises/intro1.rs~",
            "/s/exercises/#intro1.rs#",
            "/s/exercises/.#intro1.rs",
            "/s/exercises/intro1.rs___jb_tmp___",
            "/s/exercises/4913",
            "/s/target/debug/x.rs",
            "/s/exercises/README.md",
        ] {
            assert!(is_ignored(Path::new(ignored)), "{ignored}");
        }
        assert!(!is_ignored(Path::new("/s/exercises/00_intro/intro1.rs")));
    }

    #[test]
    fn polling_hashes_changed_or_recent_files_only() {
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let seen = Seen {
            len: 10,
            modified: t,
            hash: 1,
        };
        let later = t + Duration::from_secs(60);
        assert!(needs_hash(None, 10, t, later), "a new file");
        assert!(!needs_hash(Some(&seen), 10, t, later), "old and unchanged");
        assert!(needs_hash(Some(&seen), 11, t, later), "size changed");
        assert!(needs_hash(
            Some(&seen),
            10,
            t + Duration::from_secs(1),
            later
        ));
        assert!(
            needs_hash(Some(&seen), 10, t, t + Duration::from_secs(1)),
            "same second: a later save could share its time"
        );
        assert!(
            needs_hash(Some(&seen), 10, later, t),
            "a time in the future"
        );
    }

    #[test]
    fn a_same_second_same_size_save_is_seen() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("ex1.rs");
        let stamp = SystemTime::now();
        let write = |text: &str| {
            std::fs::write(&file, text).unwrap();
            let f = std::fs::File::options().write(true).open(&file).unwrap();
            f.set_modified(stamp).unwrap();
        };
        write("fn a() {}\n");
        let mut known = BTreeMap::new();
        assert_eq!(
            scan(dir.path(), &mut known, stamp),
            std::slice::from_ref(&file)
        );
        assert!(scan(dir.path(), &mut known, stamp).is_empty(), "no change");
        write("fn b() {}\n");
        assert_eq!(
            scan(dir.path(), &mut known, stamp),
            std::slice::from_ref(&file)
        );
    }

    #[test]
    fn finds_the_filesystem_of_the_longest_mount() {
        let mounts =
            "/dev/sda1 / ext4 rw 0 0\nC:\\134 /mnt/c 9p rw 0 0\nsrv:/x /home/me/net nfs4 rw 0 0\n";
        assert_eq!(
            filesystem_of(mounts, Path::new("/home/me/code")).as_deref(),
            Some("ext4")
        );
        assert_eq!(
            filesystem_of(mounts, Path::new("/mnt/c/Users")).as_deref(),
            Some("9p")
        );
        assert_eq!(
            filesystem_of(mounts, Path::new("/home/me/net/set")).as_deref(),
            Some("nfs4")
        );
    }
}
