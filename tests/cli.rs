//! The command line itself: help for every argument, shell completions, the man page, and
//! the files `init` writes as cargo would keep them.

mod common;

use common::*;
use predicates::prelude::*;

#[test]
fn every_argument_is_described_in_help() {
    for (command, argument) in [
        ("hint", "Exercise name"),
        ("run", "Exercise name"),
        ("reset", "The exercise to restore"),
        ("init", "Where to write the workspace"),
        ("new", "Where to write the set"),
        ("grade", "--class <DIR>"),
        ("check", "--allow-warnings"),
    ] {
        backlings()
            .args([command, "--help"])
            .assert()
            .success()
            .stdout(predicate::str::contains(argument));
    }
}

#[test]
fn completions_and_the_man_page_are_generated() {
    for shell in ["bash", "zsh", "fish"] {
        backlings()
            .args(["completions", shell])
            .assert()
            .success()
            .stdout(predicate::str::contains("grade").and(predicate::str::contains("reset")));
    }
    backlings()
        .arg("man")
        .assert()
        .success()
        .stdout(predicate::str::contains(".TH backlings 1"));
    backlings().args(["completions", "tcsh"]).assert().code(2);
}

#[test]
fn an_init_workspace_keeps_its_lockfile_through_cargo() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("course");
    backlings().arg("init").arg(&ws).assert().success();
    let before = std::fs::read_to_string(ws.join("Cargo.lock")).unwrap();
    let metadata = std::process::Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1", "--manifest-path"])
        .arg(ws.join("Cargo.toml"))
        .current_dir(&ws)
        .output()
        .unwrap();
    assert!(metadata.status.success(), "{}", stderr(&metadata));
    let after = std::fs::read_to_string(ws.join("Cargo.lock")).unwrap();
    assert!(
        before == after,
        "cargo rewrote the Cargo.lock that init wrote"
    );
    let manifest = std::fs::read_to_string(ws.join("Cargo.toml")).unwrap();
    assert!(
        manifest.starts_with("# The course's exercises") && !manifest.contains("../info.toml"),
        "{manifest}"
    );
}

#[test]
fn in_the_course_repository_the_learner_works_where_solutions_are_out_of_sight() {
    let repo = tempfile::tempdir().unwrap();
    let root = repo.path();
    std::fs::write(root.join("Cargo.toml"), "[package]\nname = \"backlings\"\nversion = \"0.1.0\"\n\n[workspace]\nmembers = [\"course\"]\n").unwrap();
    std::fs::create_dir_all(root.join("course")).unwrap();
    std::fs::write(
        root.join("course/Cargo.toml"),
        "[package]\nname = \"exercises\"\n",
    )
    .unwrap();
    std::fs::write(root.join("info.toml"), "format_version = 1\n").unwrap();
    // Without a terminal, watch mode itself cannot start; the workspace is made first.
    backlings()
        .current_dir(root)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("open that folder in your editor"));
    let learn = root.join("learn");
    assert!(learn.join("info.toml").is_file());
    assert!(learn.join("exercises/00_intro/intro1.rs").is_file());
    let solutions: Vec<_> = std::fs::read_dir(learn.join("solutions"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(
        solutions,
        ["README.md"],
        "no solution before its exercise passes"
    );
    backlings()
        .current_dir(root)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("Reopening your workspace"));
    // Passing an exercise reveals its solution, and only its.
    backlings()
        .current_dir(&learn)
        .args(["run", "intro1"])
        .assert()
        .success();
    assert!(learn.join("solutions/00_intro/intro1.rs").is_file());
    assert!(!learn.join("solutions/00_intro/intro2.rs").exists());
}
