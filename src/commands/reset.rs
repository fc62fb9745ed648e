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
            style::file_link(&display(&learner.set, backup), backup)
        ),
        None => println!("{} was already as shipped.", exercise.rel_path()),
    }
    println!(
        "{} restored as shipped.",
        style::file_link(&exercise.rel_path(), &exercise.path)
    );
    let name = exercise.name().to_string();
    learner.progress.mark_pending(&name);
    learner.save()?;
    Ok(ExitCode::SUCCESS)
}

/// What a reset did.
pub struct ResetOutcome {
    /// Where the learner's version was kept, if it differed from the original.
    pub backup: Option<std::path::PathBuf>,
}

/// Restores `exercise` from its pristine copy, backing the learner's version up first.
pub fn reset(set: &ExerciseSet, exercise: &Exercise) -> anyhow::Result<ResetOutcome> {
    let Some(original) = originals::original(set, exercise) else {
        bail!(
            "no pristine copy of {} is known (none was kept under .backlings/originals and git has none)",
            exercise.rel_path()
        );
    };
    let current = std::fs::read(&exercise.path).ok();
    let backup = match current {
        Some(current) if current != original => {
            let dir = set.data_dir().join("backups");
            std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
            let stamp = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
            let path = fsutil::unique_in(&dir, &format!("{}.rs", exercise.name()), "backup", stamp);
            fsutil::write_atomic(&path, &current)
                .with_context(|| format!("keeping your version at {}", path.display()))?;
            Some(path)
        }
        _ => None,
    };
    fsutil::write_atomic(&exercise.path, &original)
        .with_context(|| format!("restoring {}", exercise.path.display()))?;
    Ok(ResetOutcome { backup })
}

fn display(set: &ExerciseSet, path: &Path) -> String {
    path.strip_prefix(&set.root)
        .unwrap_or(path)
        .display()
        .to_string()
}
