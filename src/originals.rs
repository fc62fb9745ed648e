//! Pristine copies of the exercises, so `reset` restores what was shipped even after the
//! learner edited (and maybe rebuilt) everything. A copy is taken the first time backlings
//! sees an exercise, preferring the version committed in git when there is one.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Context;

use crate::exercise::{Exercise, ExerciseSet};
use crate::fsutil;

fn originals_dir(set: &ExerciseSet) -> PathBuf {
    originals_dir_of(&set.root)
}

fn originals_dir_of(root: &Path) -> PathBuf {
    crate::exercise::data_dir(root).join("originals")
}

/// Where the pristine copy of `exercise` is kept.
pub fn original_path(set: &ExerciseSet, exercise: &Exercise) -> PathBuf {
    originals_dir(set).join(exercise.rel_path())
}

/// Keeps a pristine copy of every exercise that has none yet.
pub fn snapshot(set: &ExerciseSet) -> anyhow::Result<()> {
    for exercise in &set.exercises {
        let kept = original_path(set, exercise);
        if kept.exists() || !exercise.path.exists() {
            continue;
        }
        let content = match committed_version(&set.root, &exercise.rel_path()) {
            Some(committed) => committed,
            None => std::fs::read(&exercise.path)
                .with_context(|| format!("reading {}", exercise.path.display()))?,
        };
        fsutil::write_atomic(&kept, &content)
            .with_context(|| format!("writing {}", kept.display()))?;
    }
    Ok(())
}

/// Records `content` as the pristine copy (used by `init`, which knows the true original).
pub fn record(set_root: &Path, rel_path: &str, content: &[u8]) -> std::io::Result<()> {
    fsutil::write_atomic(&originals_dir_of(set_root).join(rel_path), content)
}

/// The file as committed at HEAD, if `root` is in a git work tree that tracks it.
fn committed_version(root: &Path, rel_path: &str) -> Option<Vec<u8>> {
    let output = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["show", &format!("HEAD:./{rel_path}")])
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    output.status.success().then_some(output.stdout)
}

/// The shipped content of `exercise`, from the kept copy or else from git.
pub fn original(set: &ExerciseSet, exercise: &Exercise) -> Option<Vec<u8>> {
    std::fs::read(original_path(set, exercise))
        .ok()
        .or_else(|| committed_version(&set.root, &exercise.rel_path()))
}
