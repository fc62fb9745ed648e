//! Pristine copies of the exercises, so `reset` restores what was shipped even after the
//! learner edited (and maybe rebuilt) everything. A copy is taken the first time backlings
//! sees an exercise, preferring the version committed in git when there is one.
//!
//! `.backlings/originals.list` names every exercise a copy was ever taken of. A copy that
//! is listed but missing was lost (someone deleted `.backlings/originals`): it is never
//! taken again, since the file on disk is by then the learner's text, and a "pristine"
//! copy of it would make `reset` a silent no-op. `reset` then says the original is gone.

use std::collections::{BTreeSet, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, bail};

use crate::exercise::{Exercise, ExerciseSet};
use crate::fsutil;
use crate::state::STATE_FILE;

const INDEX_FILE: &str = "originals.list";

fn originals_dir_of(root: &Path) -> PathBuf {
    crate::exercise::data_dir(root).join("originals")
}

fn index_path(root: &Path) -> PathBuf {
    crate::exercise::data_dir(root).join(INDEX_FILE)
}

/// Where the pristine copy of `exercise` is kept.
pub fn original_path(set: &ExerciseSet, exercise: &Exercise) -> PathBuf {
    originals_dir_of(&set.root).join(exercise.rel_path())
}

/// The exercises (relative paths) a copy was taken of, or `None` if no list exists.
fn read_index(root: &Path) -> Option<BTreeSet<String>> {
    let text = std::fs::read_to_string(index_path(root)).ok()?;
    Some(
        text.lines()
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect(),
    )
}

/// What to do about the copies, given what is on disk.
#[derive(Debug, PartialEq, Eq)]
enum Plan {
    /// Take copies of the exercises not in this list.
    Take(BTreeSet<String>),
    /// Copies were kept before but both they and their list are gone: take none.
    Lost,
}

/// Decides from what exists: the list; else the copies themselves (sets from before the
/// list); else whether the learner has been here (state exists) or this is first contact.
fn plan(
    index: Option<BTreeSet<String>>,
    originals_dir_exists: bool,
    kept: impl Fn() -> BTreeSet<String>,
    state_exists: bool,
) -> Plan {
    match index {
        Some(index) => Plan::Take(index),
        None if originals_dir_exists => Plan::Take(kept()),
        None if state_exists => Plan::Lost,
        None => Plan::Take(BTreeSet::new()),
    }
}

/// Keeps a pristine copy of every exercise that never had one.
pub fn snapshot(set: &ExerciseSet) -> anyhow::Result<()> {
    let data_dir = set.data_dir();
    let originals = originals_dir_of(&set.root);
    let kept = || {
        set.exercises
            .iter()
            .filter(|e| original_path(set, e).exists())
            .map(Exercise::rel_path)
            .collect()
    };
    let index = read_index(&set.root);
    let had_index = index.is_some();
    let Plan::Take(mut index) = plan(
        index,
        originals.is_dir(),
        kept,
        data_dir.join(STATE_FILE).exists(),
    ) else {
        return Ok(());
    };
    let mut changed = !had_index;
    let wanted: Vec<&Exercise> = set
        .exercises
        .iter()
        .filter(|e| !index.contains(&e.rel_path()) && e.path.exists())
        .collect();
    // One git process for all of them: a large set must not cost a process per file.
    let mut committed = committed_versions(
        &set.root,
        &wanted.iter().map(|e| e.rel_path()).collect::<Vec<_>>(),
    );
    for exercise in wanted {
        let rel = exercise.rel_path();
        let kept = original_path(set, exercise);
        let content = match committed.remove(&rel) {
            Some(committed) => committed,
            None => std::fs::read(&exercise.path)
                .with_context(|| format!("reading {}", exercise.path.display()))?,
        };
        fsutil::write_atomic(&kept, &content)
            .with_context(|| format!("writing {}", kept.display()))?;
        index.insert(rel);
        changed = true;
    }
    if changed {
        let text: String = index.iter().map(|rel| format!("{rel}\n")).collect();
        let path = index_path(&set.root);
        fsutil::write_atomic(&path, text.as_bytes())
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

/// Records `content` as the pristine copy (used by `init`, which knows the true original).
pub fn record(set_root: &Path, rel_path: &str, content: &[u8]) -> std::io::Result<()> {
    fsutil::write_atomic(&originals_dir_of(set_root).join(rel_path), content)?;
    let mut index = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(index_path(set_root))?;
    writeln!(index, "{rel_path}")
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

/// The files (relative to `root`) as committed at HEAD, for those git tracks: one
/// `git cat-file --batch` for all. Empty when `root` is not in a git work tree.
fn committed_versions(root: &Path, rel_paths: &[String]) -> HashMap<String, Vec<u8>> {
    use std::io::{BufRead, BufReader, Read};
    let mut found = HashMap::new();
    if rel_paths.is_empty() {
        return found;
    }
    // Paths in a tree are relative to the repository's top, not to the set's root.
    let Ok(prefix) = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["rev-parse", "--show-prefix"])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
    else {
        return found;
    };
    if !prefix.status.success() {
        return found;
    }
    let prefix = String::from_utf8_lossy(&prefix.stdout).trim().to_string();
    let Ok(mut git) = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["cat-file", "--batch"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
    else {
        return found;
    };
    let (Some(mut stdin), Some(stdout)) = (git.stdin.take(), git.stdout.take()) else {
        let _ = git.kill();
        let _ = git.wait();
        return found;
    };
    let requests: String = rel_paths
        .iter()
        .map(|rel| format!("HEAD:{prefix}{rel}\n"))
        .collect();
    // Written from a thread: git answers as it reads, and both pipes have limits.
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(requests.as_bytes());
    });
    let mut reader = BufReader::new(stdout);
    for rel in rel_paths {
        let mut header = String::new();
        if reader.read_line(&mut header).unwrap_or(0) == 0 {
            break;
        }
        // `<oid> <type> <size>`, the content and a newline; or `<name> missing` alone.
        let fields: Vec<&str> = header.split_whitespace().collect();
        let [_, kind, size] = fields[..] else {
            continue;
        };
        let Ok(size) = size.parse::<usize>() else {
            break;
        };
        let mut content = vec![0; size + 1];
        if reader.read_exact(&mut content).is_err() {
            break;
        }
        content.pop();
        if kind == "blob" {
            found.insert(rel.clone(), content);
        }
    }
    let _ = writer.join();
    let _ = git.wait();
    found
}

/// The shipped content of `exercise`, from the kept copy or else from git; an error that
/// says what to do when neither has it.
pub fn original(set: &ExerciseSet, exercise: &Exercise) -> anyhow::Result<Vec<u8>> {
    let kept = original_path(set, exercise);
    match std::fs::read(&kept) {
        Ok(content) => return Ok(content),
        Err(err) if err.kind() != std::io::ErrorKind::NotFound => {
            return Err(err).with_context(|| {
                format!(
                    "cannot reset: cannot read the original copy {}",
                    kept.display()
                )
            });
        }
        Err(_) => {}
    }
    match committed_version(&set.root, &exercise.rel_path()) {
        Some(content) => Ok(content),
        None => bail!(
            "cannot reset: no original copy of {rel} ({kept} is missing and git has no committed version); \
             nothing was changed. Copy the shipped file from where the set came from (for the bundled course, \
             a fresh `backlings init`) to {kept}, then run `backlings reset {name}` again",
            rel = exercise.rel_path(),
            kept = set.display_path(&kept),
            name = exercise.name(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> BTreeSet<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn copies_are_taken_once_and_never_again_once_lost() {
        let kept = || names(&["a.rs"]);
        // First contact: nothing kept, no progress yet.
        assert_eq!(plan(None, false, kept, false), Plan::Take(names(&[])));
        // A set from before the list: what is kept counts as taken.
        assert_eq!(plan(None, true, kept, true), Plan::Take(names(&["a.rs"])));
        // The list knows what was taken, even if the copies were deleted.
        assert_eq!(
            plan(Some(names(&["a.rs", "b.rs"])), false, kept, true),
            Plan::Take(names(&["a.rs", "b.rs"]))
        );
        // Copies and list gone, but the learner has been here: the files are theirs.
        assert_eq!(plan(None, false, kept, true), Plan::Lost);
    }

    #[test]
    fn committed_versions_come_from_one_git_batch() {
        let repo = tempfile::tempdir().unwrap();
        let set = repo.path().join("course");
        std::fs::create_dir_all(set.join("exercises/a")).unwrap();
        std::fs::write(set.join("exercises/a/one.rs"), "one\n").unwrap();
        std::fs::write(set.join("exercises/two.rs"), "two").unwrap();
        let git = |args: &[&str]| {
            Command::new("git")
                .args(args)
                .current_dir(repo.path())
                .env("GIT_AUTHOR_NAME", "t")
                .env("GIT_AUTHOR_EMAIL", "t@example.com")
                .env("GIT_COMMITTER_NAME", "t")
                .env("GIT_COMMITTER_EMAIL", "t@example.com")
                .output()
                .is_ok_and(|o| o.status.success())
        };
        if !git(&["init", "-q"]) || !git(&["add", "-A"]) || !git(&["commit", "-qm", "c"]) {
            eprintln!("skipped: git is not available");
            return;
        }
        std::fs::write(set.join("exercises/two.rs"), "edited").unwrap();
        let rels: Vec<String> = [
            "exercises/a",
            "exercises/a/one.rs",
            "gone.rs",
            "exercises/two.rs",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let found = committed_versions(&set, &rels);
        assert_eq!(found.len(), 2, "{:?}", found.keys());
        assert_eq!(found["exercises/a/one.rs"], b"one\n");
        assert_eq!(found["exercises/two.rs"], b"two");
        let outside = tempfile::tempdir().unwrap();
        assert!(committed_versions(outside.path(), &rels).is_empty());
    }
}
