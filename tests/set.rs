//! Bad manifests, damaged state, reset, init, new, sync, and the two set layouts.

mod common;

use common::*;
use predicates::prelude::*;

fn with_manifest(info: &str) -> Fixture {
    let set = Fixture::new(&[Ex::new("a1", PASSING)]);
    set.write("info.toml", info);
    set
}

fn assert_bad_manifest(info: &str, expected: &[&str]) {
    let set = with_manifest(info);
    let output = set.cmd().arg("list").output().unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let err = stderr(&output);
    assert!(err.contains("info.toml:"), "names the file: {err}");
    for needle in expected {
        assert!(err.contains(needle), "expected `{needle}` in: {err}");
    }
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn syntax_error_names_line_and_column() {
    assert_bad_manifest(
        "format_version = 1\n[[exercises]]\nname = \"a1\nhint = \"h\"\n",
        &["info.toml:3:"],
    );
}

#[test]
fn missing_hint_names_the_key() {
    assert_bad_manifest(
        "format_version = 1\n\n[[exercises]]\nname = \"a1\"\n",
        &["`exercises[0].hint`", "missing"],
    );
}

#[test]
fn duplicate_name_points_at_the_first() {
    assert_bad_manifest(
        "format_version = 1\n[[exercises]]\nname = \"a1\"\nhint = \"h\"\n[[exercises]]\nname = \"a1\"\nhint = \"h\"\n",
        &["info.toml:6:", "already used on line 3"],
    );
}

#[test]
fn escaping_name_is_rejected() {
    assert_bad_manifest(
        "format_version = 1\n[[exercises]]\nname = \"../x\"\nhint = \"h\"\n",
        &["info.toml:3:", "`exercises[0].name`"],
    );
}

#[test]
fn escaping_dir_is_rejected() {
    assert_bad_manifest(
        "format_version = 1\n[[exercises]]\nname = \"a1\"\ndir = \"../../etc\"\nhint = \"h\"\n",
        &["info.toml:4:", "`exercises[0].dir`"],
    );
}

#[test]
fn wrong_format_version_is_rejected() {
    assert_bad_manifest(
        "format_version = 2\n[[exercises]]\nname = \"a1\"\nhint = \"h\"\n",
        &["info.toml:1:", "`format_version`"],
    );
}

#[test]
fn unknown_key_is_a_warning_not_an_error() {
    let set = with_manifest(
        "format_version = 1\n[[exercises]]\nname = \"a1\"\ndir = \"01_basics\"\nhint = \"h\"\ntets = false\n",
    );
    set.cmd()
        .arg("list")
        .assert()
        .code(0)
        .stderr(predicate::str::contains("warning:"))
        .stderr(predicate::str::contains("info.toml:6:"))
        .stderr(predicate::str::contains("`exercises[0].tets`"));
}

#[test]
fn damaged_state_is_moved_aside_and_rebuilt() {
    let set = Fixture::new(&[Ex::new("a1", PASSING), Ex::new("b1", PASSING)]);
    set.write(".backlings/state.toml", "\u{0}\u{1}garbage = = =");
    set.cmd()
        .arg("list")
        .assert()
        .code(0)
        .stderr(predicate::str::contains("damaged"))
        .stdout(predicate::str::contains("0/2 done"));
    let kept: Vec<_> = std::fs::read_dir(set.path(".backlings"))
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains("damaged"))
        .collect();
    assert_eq!(kept.len(), 1, "the damaged file is kept");
    // Progress works again afterwards.
    set.cmd().args(["run", "a1"]).assert().code(0);
    set.cmd()
        .arg("list")
        .assert()
        .stdout(predicate::str::contains("1/2 done"));
}

#[test]
fn names_no_longer_listed_are_dropped_with_a_note() {
    let set = Fixture::new(&[Ex::new("a1", PASSING)]);
    set.write(
        ".backlings/state.toml",
        "version = 1\ncurrent = \"gone1\"\ndone = [\"a1\", \"gone2\"]\n",
    );
    set.cmd()
        .arg("list")
        .assert()
        .code(0)
        .stderr(predicate::str::contains("`gone2` is no longer in the set"))
        .stdout(predicate::str::contains("1/1 done"));
}

#[test]
fn reset_restores_the_original_and_keeps_the_learners_text() {
    let set = Fixture::new(&[Ex::new("a1", &failing())]);
    // First contact keeps the pristine copy.
    set.cmd().arg("list").assert().code(0);
    let mine = "// my attempt, hours of work\nfn main() {}\n";
    set.write("exercises/01_basics/a1.rs", mine);
    let output = set.cmd().args(["reset", "a1"]).output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(set.read("exercises/01_basics/a1.rs"), failing());
    let out = stdout(&output);
    let backup_line = out
        .lines()
        .find(|l| l.contains("kept at"))
        .expect("says where the copy is");
    let backup = backup_line.rsplit(' ').next().unwrap();
    assert_eq!(set.read(backup), mine);
}

#[test]
fn reset_uses_git_when_edited_before_first_contact() {
    let set = Fixture::new(&[Ex::new("a1", &failing())]);
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .args(args)
            .current_dir(set.root())
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@example.com")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@example.com")
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false)
    };
    if !git(&["init", "-q"]) || !git(&["add", "-A"]) || !git(&["commit", "-qm", "course"]) {
        eprintln!("git not available; skipping");
        return;
    }
    set.write(
        "exercises/01_basics/a1.rs",
        "fn main() { /* edited early */ }\n",
    );
    set.cmd().args(["reset", "a1"]).assert().code(0);
    assert_eq!(set.read("exercises/01_basics/a1.rs"), failing());
}

#[test]
fn init_refuses_an_existing_directory() {
    let dir = Fixture::empty();
    std::fs::create_dir(dir.path("course")).unwrap();
    backlings()
        .current_dir(dir.root())
        .args(["init", "course"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("already exists"));
}

#[test]
fn init_writes_a_standalone_workspace() {
    let dir = Fixture::empty();
    backlings()
        .current_dir(dir.root())
        .args(["init", "learn"])
        .assert()
        .code(0);
    let ws = dir.path("learn");
    for file in [
        "info.toml",
        "Cargo.toml",
        "Cargo.lock",
        ".gitignore",
        "rust-analyzer.toml",
        "exercises/00_intro/intro1.rs",
    ] {
        assert!(ws.join(file).exists(), "{file} missing");
    }
    let cargo = std::fs::read_to_string(ws.join("Cargo.toml")).unwrap();
    assert!(cargo.contains("path = \"exercises/00_intro/intro1.rs\""));
    assert!(!cargo.contains("../exercises"));
    assert!(
        !cargo.contains("_sol\""),
        "solutions are revealed, not built"
    );
    // `sync --check` agrees the bins match the manifest (no cargo needed).
    backlings()
        .current_dir(&ws)
        .args(["sync", "--check"])
        .assert()
        .code(0);
    let lock = std::fs::read_to_string(ws.join("Cargo.lock")).unwrap();
    assert!(lock.contains("name = \"axum\""));
    assert!(
        !lock.contains("name = \"clap\""),
        "only the course's dependencies"
    );
}

#[test]
fn new_scaffolds_a_set_that_check_accepts() {
    let dir = Fixture::empty();
    backlings()
        .current_dir(dir.root())
        .args(["new", "myset"])
        .assert()
        .code(0);
    backlings()
        .current_dir(dir.path("myset"))
        .arg("check")
        .assert()
        .code(0)
        .stdout(predicate::str::contains("0 problem(s)"));
    backlings()
        .current_dir(dir.root())
        .args(["new", "myset"])
        .assert()
        .code(2);
}

#[test]
fn sync_rewrites_bins_from_the_manifest() {
    let set = Fixture::new(&[Ex::new("a1", PASSING).solution(PASSING)]);
    let cargo = set.read("Cargo.toml");
    set.write(
        "Cargo.toml",
        &cargo.replace("[[bin]]\nname = \"a1_sol\"", "[[bin]]\nname = \"stale\""),
    );
    set.cmd().args(["sync", "--check"]).assert().code(1);
    set.cmd()
        .arg("sync")
        .assert()
        .code(0)
        .stdout(predicate::str::contains("previous file is kept"));
    let kept: Vec<String> = std::fs::read_dir(set.path(".backlings/backups"))
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect();
    assert!(kept.iter().any(|k| k.contains("name = \"stale\"")));
    set.cmd().args(["sync", "--check"]).assert().code(0);
    assert!(set.read("Cargo.toml").contains("name = \"a1_sol\""));
    set.cmd().args(["run", "a1"]).assert().code(0);
}

/// rustlings' own layout: `bin = [...]` before `[package]`, no dirs for some exercises.
#[test]
fn rustlings_format_set_runs_unchanged() {
    let set = Fixture::empty();
    set.write(
        "Cargo.toml",
        "bin = [\n  { name = \"intro1\", path = \"exercises/00_intro/intro1.rs\" },\n  { name = \"intro1_sol\", path = \"solutions/00_intro/intro1.rs\" },\n  { name = \"quiz1\", path = \"exercises/quiz1.rs\" },\n]\n\n[package]\nname = \"exercises\"\nedition = \"2024\"\npublish = false\n\n[profile.release]\npanic = \"abort\"\n\n[profile.dev]\npanic = \"abort\"\n",
    );
    set.write(
        "info.toml",
        "format_version = 1\n\nwelcome_message = \"\"\"hi\"\"\"\n\n[[exercises]]\nname = \"intro1\"\ndir = \"00_intro\"\ntest = false\nskip_check_unsolved = true\nhint = \"\"\"\nnone\"\"\"\n\n[[exercises]]\nname = \"quiz1\"\nhint = \"sum\"\n",
    );
    set.write(
        "exercises/00_intro/intro1.rs",
        "fn main() {\n    println!(\"Hello and welcome\");\n}\n",
    );
    set.write(
        "solutions/00_intro/intro1.rs",
        "fn main() {\n    println!(\"Hello and welcome\");\n}\n",
    );
    set.write("exercises/quiz1.rs", &failing());
    set.cmd()
        .args(["run", "intro1"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("Hello and welcome"));
    set.cmd()
        .args(["run", "quiz1"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("tests failed"));
    set.cmd().args(["sync", "--check"]).assert().code(0);
}

/// This repository's layout: the exercises package is a workspace member in course/.
#[test]
fn workspace_member_layout_runs() {
    let set = Fixture::empty();
    let exercises = [Ex::new("a1", PASSING).solution(PASSING)];
    set.write(
        "Cargo.toml",
        "[package]\nname = \"runner\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n[workspace]\nmembers = [\"course\"]\n",
    );
    set.write("src/main.rs", "fn main() {}\n");
    set.write("course/Cargo.toml", &cargo_toml(&exercises, "../"));
    set.write("info.toml", &info_toml(&exercises));
    set.write("exercises/01_basics/a1.rs", PASSING);
    set.write("solutions/01_basics/a1.rs", PASSING);
    set.cmd().args(["run", "a1"]).assert().code(0);
    set.cmd().args(["sync", "--check"]).assert().code(0);
}
