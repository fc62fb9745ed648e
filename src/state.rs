//! The learner's progress: the current exercise and the ones done, kept in
//! `.backlings/state.toml`, written atomically. A damaged file is moved aside, never
//! silently replaced.
//!
//! Several backlings may share one set (a watch session beside `run` in another
//! terminal, parallel `run`s from a script). So nobody writes a whole state they read
//! earlier: a change is a closure applied, under an advisory lock on
//! `.backlings/state.lock`, to the state as it is on disk at that moment, and the result
//! is written atomically before the lock is released. The lock is on a file of its own
//! because the state file is replaced by a rename, and a lock on a replaced file guards
//! nothing.

use std::collections::BTreeSet;
use std::fs::File;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::fsutil;

pub const STATE_FILE: &str = "state.toml";
const LOCK_FILE: &str = "state.lock";
const STATE_VERSION: u32 = 1;

/// Progress through a set, independent of where it is stored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Progress {
    pub current: Option<String>,
    pub done: BTreeSet<String>,
}

/// One change to progress, replayed on the state as it is on disk when it is saved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    MarkDone(String),
    MarkPending(String),
    SetCurrent(Option<String>),
}

#[derive(Serialize, Deserialize)]
struct StateFile {
    version: u32,
    current: Option<String>,
    #[serde(default)]
    done: Vec<String>,
}

impl Progress {
    /// Drops names the manifest no longer lists and picks a valid current exercise.
    /// Returns a note for each dropped name.
    pub fn reconcile<'a>(&mut self, names: impl Iterator<Item = &'a str> + Clone) -> Vec<String> {
        let mut notes = Vec::new();
        let known: BTreeSet<&str> = names.clone().collect();
        self.done.retain(|name| {
            let keep = known.contains(name.as_str());
            if !keep {
                notes.push(format!(
                    "`{name}` is no longer in the set; dropped it from your progress"
                ));
            }
            keep
        });
        if let Some(current) = &self.current
            && !known.contains(current.as_str())
        {
            notes.push(format!(
                "the current exercise `{current}` is no longer in the set"
            ));
            self.current = None;
        }
        if self.current.is_none() {
            self.current = self.first_pending(names.clone()).map(str::to_string);
        }
        if self.current.is_none() {
            self.current = names.clone().next().map(str::to_string);
        }
        notes
    }

    /// The first exercise, in set order, that is not done.
    pub fn first_pending<'a>(&self, mut names: impl Iterator<Item = &'a str>) -> Option<&'a str> {
        names.find(|name| !self.done.contains(*name))
    }

    /// The next pending exercise after `current`, wrapping around; `None` if all are done.
    pub fn next_pending<'a>(&self, names: &[&'a str]) -> Option<&'a str> {
        let start = self
            .current
            .as_deref()
            .and_then(|c| names.iter().position(|n| *n == c))
            .map_or(0, |i| i + 1);
        let count = names.len();
        (0..count)
            .map(|offset| names[(start + offset) % count])
            .find(|name| !self.done.contains(*name))
    }

    pub fn mark_done(&mut self, name: &str) {
        self.done.insert(name.to_string());
    }

    pub fn mark_pending(&mut self, name: &str) {
        self.done.remove(name);
    }

    pub fn is_done(&self, name: &str) -> bool {
        self.done.contains(name)
    }

    /// The changes that turn `before` into `self`.
    pub fn changes_since(&self, before: &Progress) -> Vec<Change> {
        let mut changes: Vec<Change> = self
            .done
            .difference(&before.done)
            .map(|name| Change::MarkDone(name.clone()))
            .collect();
        changes.extend(
            before
                .done
                .difference(&self.done)
                .map(|name| Change::MarkPending(name.clone())),
        );
        if self.current != before.current {
            changes.push(Change::SetCurrent(self.current.clone()));
        }
        changes
    }

    pub fn apply(&mut self, changes: &[Change]) {
        for change in changes {
            match change {
                Change::MarkDone(name) => self.mark_done(name),
                Change::MarkPending(name) => self.mark_pending(name),
                Change::SetCurrent(current) => self.current = current.clone(),
            }
        }
    }

    fn to_toml(&self) -> String {
        let file = StateFile {
            version: STATE_VERSION,
            current: self.current.clone(),
            done: self.done.iter().cloned().collect(),
        };
        let body = toml::to_string(&file).unwrap_or_default();
        format!("# backlings progress; safe to delete to start over\n{body}")
    }

    fn from_toml(text: &str) -> Result<Self, String> {
        let file: StateFile = toml::from_str(text).map_err(|e| e.message().to_string())?;
        if file.version != STATE_VERSION {
            return Err(format!("unknown state version {}", file.version));
        }
        Ok(Self {
            current: file.current,
            done: file.done.into_iter().collect(),
        })
    }
}

/// Where a set's progress lives, and what loading it found.
#[derive(Debug)]
pub struct StateStore {
    path: PathBuf,
}

/// What loading found, besides the progress itself.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct LoadReport {
    /// No state existed: the learner starts here for the first time.
    pub first_start: bool,
    /// The damaged file was moved here.
    pub moved_aside: Option<PathBuf>,
    pub notes: Vec<String>,
}

impl StateStore {
    pub fn new(data_dir: &Path) -> Self {
        Self {
            path: data_dir.join(STATE_FILE),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn lock_path(&self) -> PathBuf {
        self.path.with_file_name(LOCK_FILE)
    }

    /// Takes the set's state lock, waiting for other backlings to finish their update.
    /// Released when the returned file is dropped (or the process ends, however it ends).
    fn lock(&self) -> std::io::Result<File> {
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(self.lock_path())?;
        file.lock()?;
        Ok(file)
    }

    /// Loads progress; a missing file is a first start, a damaged one is moved aside.
    pub fn load<'a>(&self, names: impl Iterator<Item = &'a str> + Clone) -> (Progress, LoadReport) {
        // Moving a damaged file aside is a write: do it under the lock. Without a lock
        // (read-only set directory) loading still works; saving will report the problem.
        let _lock = self.lock().ok();
        self.load_unlocked(names)
    }

    fn load_unlocked<'a>(
        &self,
        names: impl Iterator<Item = &'a str> + Clone,
    ) -> (Progress, LoadReport) {
        let mut report = LoadReport::default();
        let mut progress = match std::fs::read_to_string(&self.path) {
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                report.first_start = true;
                Progress::default()
            }
            Err(err) => {
                report
                    .notes
                    .push(format!("could not read {}: {err}", self.path.display()));
                self.move_aside(&mut report);
                Progress::default()
            }
            Ok(text) => match Progress::from_toml(&text) {
                Ok(progress) => progress,
                Err(why) => {
                    report.notes.push(format!(
                        "{} is damaged ({why}); starting fresh",
                        self.path.display()
                    ));
                    self.move_aside(&mut report);
                    Progress::default()
                }
            },
        };
        report.notes.extend(progress.reconcile(names));
        (progress, report)
    }

    fn move_aside(&self, report: &mut LoadReport) {
        let aside = fsutil::unique_sibling(&self.path, "damaged");
        match std::fs::rename(&self.path, &aside) {
            Ok(()) => {
                report.notes.push(format!(
                    "the old file was kept as {}; run `backlings grade --update-progress` to mark what already passes",
                    aside.display()
                ));
                report.moved_aside = Some(aside);
            }
            Err(err) => report.notes.push(format!(
                "could not move {} aside: {err}",
                self.path.display()
            )),
        }
    }

    /// Applies `change` to the progress on disk as it is now, under the lock, and writes
    /// the result; returns it, with the notes loading produced (a damaged file found).
    pub fn update<'a, R>(
        &self,
        names: impl Iterator<Item = &'a str> + Clone,
        change: impl FnOnce(&mut Progress) -> R,
    ) -> std::io::Result<(Progress, R, LoadReport)> {
        let _lock = self.lock()?;
        let (mut progress, report) = self.load_unlocked(names);
        let result = change(&mut progress);
        fsutil::write_atomic(&self.path, progress.to_toml().as_bytes())?;
        Ok((progress, result, report))
    }

    /// Replays `changes` on the progress on disk (see [`StateStore::update`]).
    pub fn apply<'a>(
        &self,
        names: impl Iterator<Item = &'a str> + Clone,
        changes: &[Change],
    ) -> std::io::Result<Progress> {
        self.update(names, |progress| progress.apply(changes))
            .map(|(progress, (), _)| progress)
    }

    /// An identity of the state file's current version (inode, size, modification time),
    /// to notice cheaply that another backlings wrote it.
    pub fn version(&self) -> Option<(u64, u64, std::time::SystemTime)> {
        use std::os::unix::fs::MetadataExt;
        let meta = std::fs::metadata(&self.path).ok()?;
        Some((meta.ino(), meta.len(), meta.modified().ok()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAMES: [&str; 3] = ["a", "b", "c"];

    #[test]
    fn fresh_progress_starts_at_the_first_exercise() {
        let mut p = Progress::default();
        assert!(p.reconcile(NAMES.into_iter()).is_empty());
        assert_eq!(p.current.as_deref(), Some("a"));
    }

    #[test]
    fn next_pending_skips_done_and_wraps() {
        let mut p = Progress {
            current: Some("b".into()),
            done: ["c".to_string()].into(),
        };
        assert_eq!(p.next_pending(&NAMES), Some("a"));
        p.mark_done("a");
        assert_eq!(p.next_pending(&NAMES), Some("b"));
        p.mark_done("b");
        assert_eq!(p.next_pending(&NAMES), None);
    }

    #[test]
    fn unknown_names_are_dropped_with_a_note() {
        let mut p = Progress {
            current: Some("gone".into()),
            done: ["a".to_string(), "old".to_string()].into(),
        };
        let notes = p.reconcile(NAMES.into_iter());
        assert_eq!(notes.len(), 2);
        assert_eq!(p.done, ["a".to_string()].into());
        assert_eq!(p.current.as_deref(), Some("b"));
    }

    #[test]
    fn round_trips_through_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let store = StateStore::new(dir.path());
        let (mut p, report) = store.load(NAMES.into_iter());
        assert!(report.first_start);
        p.mark_done("a");
        store
            .apply(NAMES.into_iter(), &[Change::MarkDone("a".into())])
            .unwrap();
        let (again, report) = store.load(NAMES.into_iter());
        assert!(!report.first_start);
        assert_eq!(again, p);
    }

    #[test]
    fn damaged_file_is_moved_aside() {
        let dir = tempfile::tempdir().unwrap();
        let store = StateStore::new(dir.path());
        std::fs::write(store.path(), "this is = = not toml").unwrap();
        let (p, report) = store.load(NAMES.into_iter());
        assert_eq!(p.current.as_deref(), Some("a"));
        let aside = report.moved_aside.expect("moved aside");
        assert_eq!(
            std::fs::read_to_string(aside).unwrap(),
            "this is = = not toml"
        );
        assert!(!store.path().exists());
    }

    #[test]
    fn changes_replay_on_a_state_changed_meanwhile() {
        let before = Progress {
            current: Some("a".into()),
            done: ["b".to_string()].into(),
        };
        let mut mine = before.clone();
        mine.mark_done("a");
        mine.mark_pending("b");
        mine.current = Some("c".into());
        let changes = mine.changes_since(&before);
        // Meanwhile another process finished `c`.
        let mut theirs = before.clone();
        theirs.mark_done("c");
        theirs.apply(&changes);
        assert_eq!(theirs.done, ["a".to_string(), "c".to_string()].into());
        assert_eq!(theirs.current.as_deref(), Some("c"));
        assert!(before.changes_since(&before).is_empty());
    }

    #[test]
    fn parallel_updates_keep_every_change() {
        let dir = tempfile::tempdir().unwrap();
        let names: Vec<String> = (0..16).map(|i| format!("ex{i}")).collect();
        std::thread::scope(|scope| {
            for name in &names {
                let names = &names;
                let dir = dir.path();
                scope.spawn(move || {
                    // A store per thread, as separate processes would have.
                    let store = StateStore::new(dir);
                    store
                        .apply(
                            names.iter().map(String::as_str),
                            &[Change::MarkDone(name.clone())],
                        )
                        .unwrap();
                });
            }
        });
        let (p, _) = StateStore::new(dir.path()).load(names.iter().map(String::as_str));
        assert_eq!(p.done.len(), 16);
    }
}
