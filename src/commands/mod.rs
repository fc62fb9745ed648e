//! The commands, one module each. They are the edge: they load what they need, call the
//! library, print, and turn results into exit codes.

pub mod check;
pub mod ci;
pub mod doctor;
pub mod grade;
pub mod grade_class;
pub mod init;
pub mod list;
pub mod new;
pub mod reporting;
pub mod reset;
pub mod run;
pub mod start;
pub mod sync;
pub mod watch;

use std::path::Path;

use anyhow::{Context, bail};

use crate::exercise::{self, ExerciseSet};
use crate::originals;
use crate::state::{LoadReport, Progress, StateStore};
use crate::style;

/// Finds and loads the set around `start`, printing manifest warnings to stderr.
pub fn open_set(start: &Path) -> anyhow::Result<ExerciseSet> {
    let root = exercise::find_root(start)?;
    let set = ExerciseSet::load(&root)?;
    let manifest = root.join(exercise::MANIFEST_FILE);
    for warning in &set.warnings {
        eprintln!(
            "{} {}:{warning}",
            style::warning().apply_to("warning:"),
            manifest.display()
        );
    }
    Ok(set)
}

/// A set opened for a learner: with progress, and pristine copies kept for `reset`.
pub struct Learner {
    pub set: ExerciseSet,
    pub store: StateStore,
    pub progress: Progress,
    pub load_report: LoadReport,
}

impl Learner {
    pub fn open(start: &Path) -> anyhow::Result<Self> {
        let set = open_set(start)?;
        let store = StateStore::new(&set.data_dir());
        let (progress, load_report) = store.load(set.names());
        for note in &load_report.notes {
            eprintln!("{} {note}", style::warning().apply_to("note:"));
        }
        if let Err(err) = originals::snapshot(&set) {
            eprintln!(
                "{} could not keep pristine copies for `reset`: {err:#}",
                style::warning().apply_to("warning:")
            );
        }
        Ok(Self {
            set,
            store,
            progress,
            load_report,
        })
    }

    /// The named exercise, or the current one.
    pub fn pick(&self, name: Option<&str>) -> anyhow::Result<usize> {
        match name {
            Some(name) => find_exercise(&self.set, name),
            None => {
                let current = self.progress.current.as_deref().unwrap_or_default();
                find_exercise(&self.set, current)
            }
        }
    }

    /// Applies `change` to the progress on disk as it is now (other backlings may have
    /// changed it since this one loaded it), saves it, and keeps the result.
    pub fn update<R>(&mut self, change: impl FnOnce(&mut Progress) -> R) -> anyhow::Result<R> {
        let (progress, result, _) =
            self.store
                .update(self.set.names(), change)
                .with_context(|| {
                    format!(
                        "could not save progress to {}; check that you can write there",
                        self.store.path().display()
                    )
                })?;
        self.progress = progress;
        Ok(result)
    }
}

/// Index of exercise `name`, or an error suggesting the closest name.
pub fn find_exercise(set: &ExerciseSet, name: &str) -> anyhow::Result<usize> {
    if let Some(index) = set.find(name) {
        return Ok(index);
    }
    match exercise::closest_name(name, set.names()) {
        Some(close) => bail!(
            "no exercise named `{name}`; did you mean `{close}`? (`backlings list` shows them all)"
        ),
        None => bail!("no exercise named `{name}` (`backlings list` shows them all)"),
    }
}
