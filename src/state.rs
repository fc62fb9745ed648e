//! The learner's progress: the current exercise and the ones done, kept in
//! `.backlings/state.toml`, written atomically. A damaged file is moved aside, never
//! silently replaced.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::fsutil;

pub const STATE_FILE: &str = "state.toml";
const STATE_VERSION: u32 = 1;

/// Progress through a set, independent of where it is stored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Progress {
    pub current: Option<String>,
    pub done: BTreeSet<String>,
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

    /// Loads progress; a missing file is a first start, a damaged one is moved aside.
    pub fn load<'a>(&self, names: impl Iterator<Item = &'a str> + Clone) -> (Progress, LoadReport) {
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

    pub fn save(&self, progress: &Progress) -> std::io::Result<()> {
        fsutil::write_atomic(&self.path, progress.to_toml().as_bytes())
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
        store.save(&p).unwrap();
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
}
