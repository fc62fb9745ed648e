//! Cheats on the bundled course: each in a fresh `backlings init` workspace, graded
//! against the course bundled in the binary (no `--against`). The first grading builds the
//! course's dependencies in the suite's cache; the others reuse them.

mod common;

use std::path::{Path, PathBuf};

use common::*;

const NAME: &str = "intro2";
const MARKER: &str = "// Tests: do not edit below this line.";

struct Workspace {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

impl Workspace {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("course");
        backlings().arg("init").arg(&root).assert().success();
        Self { _dir: dir, root }
    }

    fn exercise_path(&self) -> PathBuf {
        let info = std::fs::read_to_string(self.root.join("info.toml")).unwrap();
        let table = &info[info.find(&format!("name = \"{NAME}\"")).unwrap()..];
        let dir_line = table.lines().find(|l| l.starts_with("dir = ")).unwrap();
        let dir = dir_line.trim_start_matches("dir = ").trim_matches('"');
        self.root
            .join("exercises")
            .join(dir)
            .join(format!("{NAME}.rs"))
    }

    fn exercise(&self) -> String {
        std::fs::read_to_string(self.exercise_path()).unwrap()
    }

    fn write_exercise(&self, text: &str) {
        std::fs::write(self.exercise_path(), text).unwrap();
    }

    /// Grades the one exercise; returns its JSON entry and the whole report.
    fn grade(&self) -> (serde_json::Value, serde_json::Value) {
        let output = backlings()
            .arg("-C")
            .arg(&self.root)
            .args(["grade", "--format", "json", NAME])
            .output()
            .unwrap();
        let json: serde_json::Value = serde_json::from_slice(&output.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}\n{}", stdout(&output), stderr(&output)));
        let entry = json["entries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["name"] == NAME)
            .cloned()
            .unwrap_or_else(|| panic!("no {NAME} entry: {json:#}"));
        (entry, json)
    }
}

fn split(text: &str) -> (&str, &str) {
    let at = text.find(MARKER).expect("the exercise has the marker");
    text.split_at(at)
}

/// The repository's solution of the exercise, with the workspace's tests.
fn honest(workspace: &Workspace) -> String {
    let solution_path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("solutions")
        .join(
            workspace
                .exercise_path()
                .parent()
                .unwrap()
                .file_name()
                .unwrap(),
        )
        .join(format!("{NAME}.rs"));
    let solution = std::fs::read_to_string(solution_path).unwrap();
    let exercise = workspace.exercise();
    format!("{}{}", split(&solution).0, split(&exercise).1)
}

#[test]
fn an_honest_solution_passes() {
    let workspace = Workspace::new();
    workspace.write_exercise(&honest(&workspace));
    let (entry, json) = workspace.grade();
    assert_eq!(entry["status"], "passed", "{json:#}");
    assert_eq!(json["ok"], true, "{json:#}");
}

#[test]
fn an_untouched_exercise_fails() {
    let workspace = Workspace::new();
    let (entry, _) = workspace.grade();
    assert_eq!(entry["ok"], false, "{entry:#}");
    assert_ne!(entry["status"], "tampered", "{entry:#}");
}

#[test]
fn exiting_before_any_test_runs_does_not_pass() {
    let workspace = Workspace::new();
    let exercise = workspace.exercise();
    let (learner, tests) = split(&exercise);
    // Runs before the test harness's main, in the test binary and the listing alike.
    let cheat = format!(
        "{learner}\nextern \"C\" fn leave() {{\n    std::process::exit(0);\n}}\n\n#[used]\n#[unsafe(link_section = \".init_array\")]\nstatic LEAVE: extern \"C\" fn() = leave;\n\n{tests}"
    );
    workspace.write_exercise(&cheat);
    let (entry, _) = workspace.grade();
    assert_eq!(entry["ok"], false, "{entry:#}");
    assert!(
        ["no_tests", "tests_unreported"].contains(&entry["status"].as_str().unwrap()),
        "{entry:#}"
    );
}

#[test]
fn shadowed_assertions_do_not_pass() {
    let workspace = Workspace::new();
    let exercise = workspace.exercise();
    let (learner, tests) = split(&exercise);
    let mut shadows = String::new();
    for name in ["assert", "assert_eq", "assert_ne", "panic"] {
        shadows.push_str(&format!(
            "macro_rules! {name} {{\n    ($($t:tt)*) => {{}};\n}}\n"
        ));
    }
    workspace.write_exercise(&format!("{learner}{shadows}\n{tests}"));
    let (entry, _) = workspace.grade();
    assert_eq!(entry["status"], "tampered", "{entry:#}");
    let message = entry["message"].as_str().unwrap();
    assert!(
        message.contains("defines `assert_eq!`") && !message.ends_with(": passed"),
        "{message}"
    );
}

#[test]
fn ignored_tests_are_graded_anyway() {
    let workspace = Workspace::new();
    let exercise = workspace.exercise();
    let (learner, tests) = split(&exercise);
    let ignored = tests
        .replace("#[tokio::test]", "#[tokio::test]\n    #[ignore]")
        .replace("#[test]", "#[test]\n    #[ignore]");
    workspace.write_exercise(&format!("{learner}{ignored}"));
    let (entry, _) = workspace.grade();
    assert_eq!(entry["status"], "tampered", "{entry:#}");
    assert!(
        entry["message"]
            .as_str()
            .unwrap()
            .contains("the tests below the marker were edited"),
        "{entry:#}"
    );
}

#[test]
fn switching_tests_off_in_info_toml_is_reported() {
    let workspace = Workspace::new();
    workspace.write_exercise(&honest(&workspace));
    let info_path = workspace.root.join("info.toml");
    let info = std::fs::read_to_string(&info_path).unwrap();
    let at = info.find(&format!("name = \"{NAME}\"\n")).unwrap();
    let edited = format!(
        "{}{}",
        &info[..at],
        info[at..].replacen("test = true", "test = false", 1)
    );
    assert_ne!(edited, info);
    std::fs::write(&info_path, edited).unwrap();
    let (entry, _) = workspace.grade();
    assert_eq!(entry["status"], "tampered", "{entry:#}");
    assert!(
        entry["message"]
            .as_str()
            .unwrap()
            .ends_with("against the reference's tests: passed"),
        "the honest verdict is kept: {entry:#}"
    );
}

#[test]
fn a_workspace_of_another_course_version_needs_a_reference() {
    let workspace = Workspace::new();
    std::fs::write(
        workspace.root.join(".backlings/bundled-course"),
        "course 0000000000000000\n",
    )
    .unwrap();
    backlings()
        .arg("-C")
        .arg(&workspace.root)
        .args(["grade", NAME])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--against DIR"));
}
