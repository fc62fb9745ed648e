//! `backlings reset NAME`: restore an exercise as shipped, keeping the learner's text.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, bail};

use crate::commands::Learner;
use crate::exercise::{Exercise, ExerciseSet};
use crate::{fsutil, originals, style};

pub fn run(start: &Path, name: &str) -> anyhow::Result<ExitCode> {
    let mut learner = Learner::open(start)?;
    let index = crate::commands::find_exercise(&learner.set, name)?;
    let exercise = &learner.set.exercises[index];
    let outcome = reset(&learner.set, exercise)?;
    match &outcome.backup {
        Some(backup) => println!(
            "Your version was kept at {}",
            style::file_link(&learner.set.display_path(backup), backup)
        ),
        None => println!("{} was already as shipped.", exercise.rel_path()),
    }
    println!(
        "{} restored as shipped.",
        style::file_link(&exercise.rel_path(), &exercise.path)
    );
    let name = exercise.name().to_string();
    learner.update(|progress| progress.mark_pending(&name))?;
    Ok(ExitCode::SUCCESS)
}

/// What a reset did.
pub struct ResetOutcome {
    /// Where the learner's version was kept, if it differed from the original.
    pub backup: Option<std::path::PathBuf>,
}

/// Restores `exercise` from its pristine copy, backing the learner's version up first.
/// Refuses, changing nothing, when the current file cannot be read: overwriting what
/// cannot be backed up could destroy the learner's work.
pub fn reset(set: &ExerciseSet, exercise: &Exercise) -> anyhow::Result<ResetOutcome> {
    let original = originals::original(set, exercise)?;
    let current = match std::fs::read(&exercise.path) {
        Ok(current) => Some(current),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => None,
        Err(err) => bail!(
            "cannot reset {}: the current file cannot be read ({err}), so it could not be kept \
             before being overwritten; nothing was changed. Make it readable (or move it out \
             of the way yourself) and reset again",
            exercise.rel_path()
        ),
    };
    let backup = match current {
        Some(current) if current != original => Some(
            fsutil::keep_copy(
                &set.backups_dir(),
                &format!("{}.rs", exercise.name()),
                &current,
            )
            .context("keeping your version under .backlings/backups/")?,
        ),
        _ => None,
    };
    fsutil::write_atomic(&exercise.path, &original)
        .with_context(|| format!("restoring {}", exercise.path.display()))?;
    Ok(ResetOutcome { backup })
}
