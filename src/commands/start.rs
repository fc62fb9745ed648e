//! Plain `backlings`: watch mode, in the learner's workspace. Started in the repository
//! that ships the bundled course (its authors' checkout, where every solution lies next
//! to its exercise), it makes — or reopens — the learner's workspace `learn/` there
//! instead, so solutions stay out of sight until each exercise is solved. Authors work on
//! the course itself with `backlings watch`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::cli::WatchArgs;
use crate::{exercise, style};

/// The learner's workspace inside the course's source repository.
pub const LEARN_DIR: &str = "learn";

pub fn run(start: &Path, args: &WatchArgs) -> anyhow::Result<ExitCode> {
    let Some(repo) = course_source_repo(start) else {
        return super::watch::run(start, args);
    };
    let learn = repo.join(LEARN_DIR);
    if learn.join(exercise::MANIFEST_FILE).is_file() {
        eprintln!(
            "Reopening your workspace {}: open that folder in your editor.",
            style::emphasis().apply_to(learn.display())
        );
    } else {
        super::init::write_workspace(&learn)?;
        eprintln!(
            "Made your workspace {}: open that folder in your editor. Each exercise's solution\nappears in its solutions/ folder once you have solved it. (Working on the course\nitself? `backlings watch` runs it here, solutions in sight.)",
            style::emphasis().apply_to(learn.display())
        );
    }
    super::watch::run(&learn, args)
}

/// The root of the repository that ships the bundled course, if `start` is in it (and not
/// in a learner's workspace inside it).
fn course_source_repo(start: &Path) -> Option<PathBuf> {
    let root = exercise::find_root(start).ok()?;
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).ok()?;
    let doc: toml::Table = toml::from_str(&manifest).ok()?;
    let is_runner = doc
        .get("package")
        .and_then(|p| p.get("name"))
        .and_then(toml::Value::as_str)
        == Some("backlings");
    (is_runner && root.join("course/Cargo.toml").is_file()).then_some(root)
}
