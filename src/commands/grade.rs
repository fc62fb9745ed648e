//! `backlings grade`: which exercises of a learner's workspace pass against a reference
//! set's tests, and what was tampered with. See [`crate::grading`] for the rule.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, bail};
use clap::Args;

use super::reporting::{self, Group, ReportArgs};
use crate::assembly::{self, Edits};
use crate::course::BUNDLED_MARKER;
use crate::exercise;
use crate::grading;
use crate::pipeline;
use crate::reference::{self, Reference};
use crate::report::{self, Report};
use crate::state::StateStore;

#[derive(Debug, Clone, Args)]
pub struct GradeArgs {
    #[command(flatten)]
    pub report: ReportArgs,
    /// The reference set (a directory with info.toml) whose tests, manifest and Cargo
    /// package grading uses. Default: for a workspace written by `backlings init`, the
    /// course bundled in this backlings.
    #[arg(long, value_name = "DIR")]
    pub against: Option<PathBuf>,
    /// Mark the exercises that pass as done in the learner's progress.
    #[arg(long)]
    pub update_progress: bool,
    /// Grade only these exercises (default: every exercise of the reference).
    #[arg(value_name = "NAME")]
    pub names: Vec<String>,
    /// Grade a whole class: every student workspace in a subfolder of DIR, against one
    /// reference, with dependencies built once. Reports a roster (human, json, csv,
    /// markdown).
    #[arg(long, value_name = "DIR", conflicts_with = "update_progress")]
    pub class: Option<PathBuf>,
    /// With --class: the most time one student's build and runs may take, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 600, requires = "class")]
    pub student_budget: u64,
}

pub fn grade(start: &Path, args: &GradeArgs) -> anyhow::Result<ExitCode> {
    if let Some(dir) = &args.class {
        return super::grade_class::grade_class(dir, args);
    }
    let started = Instant::now();
    let root = exercise::find_root(start)?;
    let reference = reference_for(&root, args.against.as_deref())?;
    eprintln!("Grading {} against {}", root.display(), reference.origin);
    // Grading reads the workspace: nothing is written into it unless asked.
    let workspace = grading::read_workspace(&root, &reference);
    let mut plan = grading::plan(&reference, &workspace);
    if !args.names.is_empty() {
        for name in &args.names {
            if !reference.manifest.exercises.iter().any(|e| &e.name == name) {
                bail!("the reference has no exercise named `{name}`");
            }
        }
        plan.retain(|name| args.names.iter().any(|n| n == name));
    }
    let (work, target) = assembly::grading_dirs(&reference.package);
    let assembled = assembly::assemble(
        &work,
        &target,
        &reference.package,
        &plan.pieces,
        Edits::Once,
    )?;
    let set = &assembled.set;
    let judge = |outcome: &pipeline::Outcome| {
        let notes = plan.notes.get(&outcome.name).map_or(&[][..], Vec::as_slice);
        let exercise = set.find(&outcome.name).map(|i| &set.exercises[i]);
        let path = exercise.map(|e| e.rel_path()).unwrap_or_default();
        let points = exercise.map_or(0, |e| e.entry.points);
        report::judge_grade(outcome, &path, notes, points)
    };
    let mut report = Report::new("grade");
    report.entries = reporting::run_groups(
        &[Group {
            set,
            items: pipeline::all_exercises(set),
            judge: &judge,
            retry: None,
        }],
        &args.report,
    )?;
    report.entries.extend(plan.entries);
    report.sort();
    report.duration = started.elapsed();
    if args.update_progress {
        let store = StateStore::new(&exercise::data_dir(&root));
        let names: Vec<&str> = reference
            .manifest
            .exercises
            .iter()
            .map(|e| e.name.as_str())
            .collect();
        store
            .update(names.iter().copied(), |progress| {
                for entry in report.entries.iter().filter(|e| e.ok) {
                    progress.mark_done(&entry.name);
                }
            })
            .with_context(|| format!("saving progress to {}", store.path().display()))?;
    }
    reporting::finish(&report, &args.report)
}

/// The reference to grade the workspace at `root` against. `against` is relative to the
/// current directory, as users expect of a path argument.
fn reference_for(root: &Path, against: Option<&Path>) -> anyhow::Result<Reference> {
    let Some(against) = against else {
        return bundled_reference_for(root);
    };
    let dir = reference_dir(against)?;
    let workspace = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    if dir == workspace {
        bail!(
            "--against {} is the workspace being graded; a reference must be a separate copy of the set (the teacher's, or a clean clone)",
            against.display()
        );
    }
    Reference::load(&dir).with_context(|| format!("--against {}", against.display()))
}

/// `--against DIR`, resolved from the current directory and checked to exist.
pub(super) fn reference_dir(against: &Path) -> anyhow::Result<PathBuf> {
    let dir = std::env::current_dir()
        .context("cannot read the current directory")?
        .join(against);
    let dir = std::fs::canonicalize(&dir).map_err(|err| {
        anyhow::anyhow!(
            "--against {}: {err}; give the directory of the reference set (the one holding its info.toml)",
            against.display()
        )
    })?;
    if !dir.is_dir() {
        bail!(
            "--against {}: not a directory; give the directory of the reference set (the one holding its info.toml)",
            against.display()
        );
    }
    Ok(dir)
}

/// The bundled course version a workspace `init` wrote records, if any.
pub(super) fn recorded_course_version(root: &Path) -> Option<String> {
    let text = std::fs::read_to_string(exercise::data_dir(root).join(BUNDLED_MARKER)).ok()?;
    text.trim().strip_prefix("course ").map(str::to_string)
}

fn bundled_reference_for(root: &Path) -> anyhow::Result<Reference> {
    if !exercise::data_dir(root).join(BUNDLED_MARKER).is_file() {
        bail!(
            "grading needs the reference set: pass `--against DIR` (the directory of the set the workspace was made from)"
        );
    }
    let bundled = reference::bundled_course_version();
    match recorded_course_version(root) {
        Some(version) if version == bundled => Reference::bundled(),
        _ => bail!(
            "{} was made from another version of the bundled course than this backlings ships ({bundled}); grade it with `--against DIR`, DIR being the course it was made from",
            root.display()
        ),
    }
}
