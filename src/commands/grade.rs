//! `backlings grade`: which exercises of a learner's workspace pass as they stand, and
//! (with `--against`) which had their tests edited.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use clap::Args;

use super::reporting::{self, ReportArgs};
use crate::commands::open_set;
use crate::exercise::{self, ExerciseSet};
use crate::pipeline;
use crate::report::{self, Entry, Report};
use crate::state::StateStore;
use crate::tamper;

#[derive(Debug, Clone, Args)]
pub struct GradeArgs {
    #[command(flatten)]
    pub report: ReportArgs,
    /// The original set: exercises whose tests differ from it are reported as tampered.
    #[arg(long, value_name = "DIR")]
    pub against: Option<PathBuf>,
    /// Mark the exercises that pass as done in the learner's progress.
    #[arg(long)]
    pub update_progress: bool,
}

pub fn grade(start: &Path, args: &GradeArgs) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    // Grading reads the workspace as it stands: nothing is written into it unless asked.
    let set = &open_set(start)?;
    let original = match &args.against {
        Some(dir) => Some(
            ExerciseSet::load(&exercise::find_root(&start.join(dir))?)
                .with_context(|| format!("loading the original set at {}", dir.display()))?,
        ),
        None => None,
    };
    let items = pipeline::all_exercises(set);
    let mut report = Report::new("grade");
    report.entries = reporting::run_items(set, &items, &args.report, report::judge_grade)?;
    if let Some(original) = &original {
        mark_tampered(set, original, &mut report.entries);
    }
    report.duration = started.elapsed();
    if args.update_progress {
        let store = StateStore::new(&set.data_dir());
        store
            .update(set.names(), |progress| {
                for entry in report.entries.iter().filter(|e| e.ok) {
                    progress.mark_done(&entry.name);
                }
            })
            .with_context(|| format!("saving progress to {}", store.path().display()))?;
    }
    reporting::finish(&report, &args.report)
}

/// Marks passing entries whose tests differ from the original set's as tampered.
fn mark_tampered(set: &ExerciseSet, original: &ExerciseSet, entries: &mut [Entry]) {
    for entry in entries.iter_mut() {
        let (Some(mine), Some(theirs)) = (
            set.find(&entry.name).map(|i| &set.exercises[i]),
            original.find(&entry.name).map(|i| &original.exercises[i]),
        ) else {
            continue;
        };
        let (Ok(mine), Ok(theirs)) = (
            std::fs::read_to_string(&mine.path),
            std::fs::read_to_string(&theirs.path),
        ) else {
            continue;
        };
        if tamper::test_code(&mine) != tamper::test_code(&theirs) {
            entry.ok = false;
            entry.status = "tampered".into();
            entry.message = format!(
                "tampered: the tests differ from the original ({})",
                entry.message
            );
        }
    }
}
