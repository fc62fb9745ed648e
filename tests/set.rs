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
fn type_errors_and_duplicate_keys_name_the_key_once() {
    for (info, expected) in [
        (
            "format_version = 1\n[[exercises]]\nname = \"a1\"\nhint = \"h\"\ntest = \"yes\"\n",
            ["info.toml:5:", "`exercises[0].test`"],
        ),
        (
            "format_version = 1\n[[exercises]]\nname = \"a1\"\nname = \"b1\"\nhint = \"h\"\n",
            ["info.toml:4:", "`exercises[0].name`"],
        ),
    ] {
        assert_bad_manifest(info, &expected);
        let err = stderr(&with_manifest(info).cmd().arg("list").output().unwrap());
        assert!(!err.contains("problem(s)"), "said once: {err}");
    }
}

#[test]
fn non_utf8_manifest_gives_the_byte_offset_once() {
    let set = Fixture::new(&[Ex::new("a1", PASSING)]);
    std::fs::write(set.path("info.toml"), b"format_version = 1\n# caf\xe9\n").unwrap();
    let output = set.cmd().arg("list").output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(err.contains("info.toml:2:6:"), "{err}");
    assert!(err.contains("byte 24"), "{err}");
    assert_eq!(
        err.matches("not valid UTF-8").count(),
        1,
        "one message: {err}"
    );
}

#[test]
fn a_missing_exercise_file_is_not_called_a_missing_bin() {
    let set = Fixture::new(&[Ex::new("a1", PASSING), Ex::new("b1", PASSING)]);
    // Gone from disk and from the bins (cargo refuses to build a bin without its file).
    std::fs::remove_file(set.path("exercises/01_basics/b1.rs")).unwrap();
    set.write("Cargo.toml", &cargo_toml(&[Ex::new("a1", PASSING)], ""));
    let output = set.cmd().args(["run", "b1"]).output().unwrap();
    let all = format!("{}{}", stdout(&output), stderr(&output));
    assert!(all.contains("does not exist"), "{all}");
    assert!(!all.contains("not a bin"), "{all}");
    let reference = Fixture::new(&[Ex::new("a1", PASSING), Ex::new("b1", PASSING)]);
    let output = set
        .cmd()
        .args(["grade", "--against"])
        .arg(reference.root())
        .output()
        .unwrap();
    let all = format!("{}{}", stdout(&output), stderr(&output));
    assert!(all.contains("b1.rs is missing from the workspace"), "{all}");
    assert!(!all.contains("not a bin"), "{all}");
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
        .stdout(predicate::str::contains("0 of 2 done"));
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
        .stdout(predicate::str::contains("1 of 2 done"));
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
        .stdout(predicate::str::contains("1 of 1 done"));
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
    // A readable name: the exercise, the UTC time, the extension.
    let name = std::path::Path::new(backup)
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let stamp = name
        .strip_prefix("a1.")
        .and_then(|n| n.strip_suffix(".rs"))
        .unwrap_or_else(|| panic!("{name}"));
    let shape: String = stamp
        .chars()
        .map(|c| if c.is_ascii_digit() { '9' } else { c })
        .collect();
    assert_eq!(shape, "9999-99-99T99-99-99", "{name}");
}

/// Reset must refuse, changing nothing, when the current file cannot be read: the
/// learner's text there could not be kept.
fn assert_reset_refuses(set: &Fixture, why: &str) {
    let output = set.cmd().args(["reset", "a1"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2), "{why}: {}", stderr(&output));
    let err = stderr(&output);
    assert!(err.contains("exercises/01_basics/a1.rs"), "{why}: {err}");
    assert!(err.contains("cannot be read"), "{why}: {err}");
    assert!(err.contains("nothing was changed"), "{why}: {err}");
    assert!(
        !set.path(".backlings/backups").exists(),
        "{why}: no backup of nothing"
    );
}

#[test]
fn reset_refuses_a_file_it_cannot_read_symlink_loop() {
    // Root reads any file, so unreadable is made another way: a symlink loop fails to
    // open for everyone.
    let set = Fixture::new(&[Ex::new("a1", &failing())]);
    set.cmd().arg("list").assert().code(0);
    let path = set.path("exercises/01_basics/a1.rs");
    std::fs::remove_file(&path).unwrap();
    std::os::unix::fs::symlink("a1.rs", &path).unwrap();
    assert_reset_refuses(&set, "symlink loop");
    assert!(
        std::fs::symlink_metadata(&path)
            .unwrap()
            .file_type()
            .is_symlink(),
        "left as it was"
    );
}

#[test]
fn reset_refuses_a_file_without_read_permission() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    // /proc/self belongs to the process's effective user.
    let root = std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0);
    if root {
        eprintln!(
            "skipped: running as root, who can read a mode-000 file; \
             reset_refuses_a_file_it_cannot_read_symlink_loop covers the refusal"
        );
        return;
    }
    let set = Fixture::new(&[Ex::new("a1", &failing())]);
    set.cmd().arg("list").assert().code(0);
    let path = set.path("exercises/01_basics/a1.rs");
    std::fs::write(&path, "// mine\n").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o000)).unwrap();
    assert_reset_refuses(&set, "mode 000");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    assert_eq!(set.read("exercises/01_basics/a1.rs"), "// mine\n");
}

#[test]
fn lost_originals_are_an_error_never_a_new_snapshot() {
    let set = Fixture::new(&[Ex::new("a1", &failing())]);
    set.cmd().arg("list").assert().code(0);
    let mine = "// my work\nfn main() {}\n";
    set.write("exercises/01_basics/a1.rs", mine);
    std::fs::remove_dir_all(set.path(".backlings/originals")).unwrap();
    // Opening the set again must not take the learner's text as the original.
    set.cmd().arg("list").assert().code(0);
    let output = set.cmd().args(["reset", "a1"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let err = stderr(&output);
    assert!(
        err.contains("cannot reset: no original copy of exercises/01_basics/a1.rs"),
        "{err}"
    );
    assert_eq!(set.read("exercises/01_basics/a1.rs"), mine);
}

#[test]
fn files_written_for_the_learner_are_not_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let set = Fixture::new(&[Ex::new("a1", &failing())]);
    set.cmd().args(["run", "a1"]).assert().code(1);
    set.write("exercises/01_basics/a1.rs", "// mine\n");
    std::fs::set_permissions(
        set.path("exercises/01_basics/a1.rs"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    set.cmd().args(["reset", "a1"]).assert().code(0);
    let mode = |rel: &str| {
        std::fs::metadata(set.path(rel))
            .unwrap()
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(
        mode("exercises/01_basics/a1.rs"),
        0o644,
        "kept the file's mode"
    );
    // New files get what the umask allows (the test runner's umask is 022 or 002).
    let state = mode(".backlings/state.toml");
    assert!(state & 0o044 == 0o044, "state.toml is {state:o}");
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
