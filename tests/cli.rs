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
