//! Watching the exercise files: native events where the filesystem delivers them, a poll
//! watcher where it does not (or when native watching fails), and a debounce that turns an
//! editor's burst of events into one "saved" notice per save.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::thread;
use std::time::{Duration, Instant};

use notify::event::{AccessKind, AccessMode, EventKind};
use notify::{PollWatcher, RecommendedWatcher, RecursiveMode, Watcher};

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
    _watcher: Box<dyn Watcher + Send>,
    pub mode: Mode,
}

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
    let config = notify::Config::default().with_poll_interval(POLL_INTERVAL);
    let mut watcher = PollWatcher::new(handler(tx), config)?;
    watcher.watch(dir, RecursiveMode::Recursive)?;
    Ok(FileWatcher {
        _watcher: Box::new(watcher),
        mode: Mode::Poll { reason },
    })
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
