//! `backlings run` on real exercise sets: verdicts, supervision, output bounds.

mod common;

use std::time::{Duration, Instant};

use common::*;
use predicates::prelude::*;

#[test]
fn passing_exercise_exits_0_and_is_marked_done() {
    let set = Fixture::new(&[Ex::new("good1", PASSING), Ex::new("next1", &failing())]);
    set.cmd()
        .args(["run", "good1"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("✓ good1: passed"));
    let state = set.read(".backlings/state.toml");
    assert!(state.contains("\"good1\""), "{state}");
}

#[test]
fn failing_tests_exit_1_with_the_assertion() {
    let set = Fixture::new(&[Ex::new("bad1", &failing())]);
    set.cmd()
        .args(["run", "bad1"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("left: 41"))
        .stdout(predicate::str::contains("✗ bad1: tests failed"));
}

#[test]
fn compile_error_shows_the_diagnostic() {
    let set = Fixture::new(&[Ex::new(
        "broken1",
        "fn main() {\n    let x: u32 = \"text\";\n}\n",
    )]);
    set.cmd()
        .arg("run")
        .assert()
        .code(1)
        .stdout(predicate::str::contains("mismatched types"))
        .stdout(predicate::str::contains("✗ broken1: compile error"));
}

#[test]
fn programs_are_judged_by_exit_status() {
    let set = Fixture::new(&[
        Ex::new("prog_ok", "fn main() {\n    println!(\"hello\");\n}\n").info("test = false"),
        Ex::new("prog_bad", "fn main() {\n    std::process::exit(3);\n}\n").info("test = false"),
    ]);
    set.cmd()
        .args(["run", "prog_ok"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("hello"));
    set.cmd()
        .args(["run", "prog_bad"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("program failed (exit 3)"));
}

/// A test that starts a helper process (like a server) and then hangs.
const HANGS_WITH_CHILD: &str = r#"fn main() {}

#[cfg(test)]
mod tests {
    #[test]
    fn hangs() {
        let child = std::process::Command::new("sh")
            .args(["-c", "CHILD_SCRIPT"])
            .spawn()
            .unwrap();
        std::fs::write(env!("CARGO_MANIFEST_DIR").to_string() + "/child.pid", child.id().to_string()).unwrap();
        loop {
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }

    #[test]
    fn finishes() {}
}
"#;

fn hung_set(child_script: &str) -> Fixture {
    Fixture::new(&[Ex::new(
        "hang1",
        &HANGS_WITH_CHILD.replace("CHILD_SCRIPT", child_script),
    )
    .info("timeout_secs = 2")])
}

fn assert_hung_run_is_cleaned_up(set: &Fixture) {
    // The 2 s limit is what is tested; the work before the hang (an empty test, a
    // spawn) takes milliseconds. No assertion on how long the run took: that would
    // measure the machine.
    let output = set.cmd().args(["run", "hang1"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let out = stdout(&output);
    assert!(out.contains("timed out after 2s"), "{out}");
    assert!(out.contains("still running: tests::hangs"), "{out}");
    assert!(!out.contains("still running: tests::finishes"), "{out}");
    let pid: u32 = set.read("child.pid").trim().parse().unwrap();
    // The group was killed before the runner exited; the deadline only bounds a failure.
    let deadline = Instant::now() + Duration::from_secs(30);
    while !process_gone(pid) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(process_gone(pid), "child {pid} outlived the run");
}

#[test]
fn endless_test_is_killed_with_its_process_group() {
    assert_hung_run_is_cleaned_up(&hung_set("sleep 1000"));
}

#[test]
fn child_ignoring_sigterm_is_killed_too() {
    assert_hung_run_is_cleaned_up(&hung_set("trap '' TERM; while true; do sleep 1; done"));
}

#[test]
fn endless_output_keeps_runner_memory_small() {
    // 100 MB of output, then a pause so the sampler sees the runner after the flood.
    let program = r#"use std::io::Write;
fn main() {
    let line = [b'x'; 1023];
    let mut out = std::io::stdout().lock();
    for _ in 0..100 * 1024 {
        out.write_all(&line).unwrap();
        out.write_all(b"\n").unwrap();
    }
    out.flush().unwrap();
    drop(out);
    std::thread::sleep(std::time::Duration::from_millis(800));
}
"#;
    // Writing 100 MB takes under a second on an idle machine and 20 s on a loaded one;
    // the limit is far beyond both, since the test is about memory, not speed.
    let set = Fixture::new(&[Ex::new("flood1", program)
        .info("test = false")
        .info("timeout_secs = 900")]);
    let _ = set.cmd().args(["run", "flood1"]).output();

    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_backlings"))
        .arg("-C")
        .arg(set.root())
        .args(["run", "flood1"])
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id();
    let mut peak_kib = 0u64;
    let stdout_reader = {
        let mut out = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            let mut text = String::new();
            std::io::Read::read_to_string(&mut out, &mut text).unwrap();
            text
        })
    };
    while child.try_wait().unwrap().is_none() {
        if let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status"))
            && let Some(line) = status.lines().find(|l| l.starts_with("VmHWM:"))
        {
            let kib: u64 = line
                .split_whitespace()
                .nth(1)
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            peak_kib = peak_kib.max(kib);
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let out = stdout_reader.join().unwrap();
    assert!(
        out.contains("bytes of output omitted"),
        "{}",
        &out[out.len().saturating_sub(500)..]
    );
    assert!(out.contains("✓ flood1: passed"));
    assert!(out.len() < 1024 * 1024, "printed {} bytes", out.len());
    assert!(peak_kib > 0, "never sampled the runner");
    assert!(peak_kib < 60 * 1024, "runner peak RSS {peak_kib} KiB");
}

#[test]
fn no_name_runs_the_current_exercise_and_advances() {
    let set = Fixture::new(&[Ex::new("first1", PASSING), Ex::new("second1", &failing())]);
    set.cmd()
        .arg("run")
        .assert()
        .code(0)
        .stdout(predicate::str::contains("first1: passed"))
        .stdout(predicate::str::contains("Next up: second1"));
    set.cmd()
        .arg("run")
        .assert()
        .code(1)
        .stdout(predicate::str::contains("second1: tests failed"));
}

#[test]
fn unknown_name_suggests_the_closest() {
    let set = Fixture::new(&[Ex::new("routing1", PASSING)]);
    set.cmd()
        .args(["run", "rooting1"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("did you mean `routing1`"));
}

#[test]
fn hint_prints_the_hint() {
    let set = Fixture::new(&[Ex::new("a1", PASSING).info("hint = \"\"\"\nCount the legs.\"\"\"")]);
    set.cmd()
        .args(["hint", "a1"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("Count the legs."));
}

#[test]
fn list_shows_state_as_table_and_json() {
    let set = Fixture::new(&[Ex::new("a1", PASSING), Ex::new("b1", &failing())]);
    set.cmd().args(["run", "a1"]).assert().code(0);
    set.cmd()
        .arg("list")
        .assert()
        .code(0)
        .stdout(predicate::str::contains("1 of 2 done"));
    let output = set
        .cmd()
        .args(["list", "--format", "json"])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["done"], 1);
    assert_eq!(json["exercises"][0]["done"], true);
    assert_eq!(json["exercises"][1]["current"], true);
    assert_eq!(json["exercises"][1]["path"], "exercises/01_basics/b1.rs");
}

#[test]
fn watch_mode_without_a_terminal_says_so() {
    let set = Fixture::new(&[Ex::new("a1", PASSING)]);
    set.cmd()
        .assert()
        .code(2)
        .stderr(predicate::str::contains("watch mode needs a terminal"))
        .stderr(predicate::str::contains("backlings run"));
}

#[test]
fn outside_any_set_is_a_clear_error() {
    let empty = Fixture::empty();
    backlings()
        .current_dir(empty.root())
        .arg("list")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no exercise set found"));
}

#[test]
fn found_from_a_subdirectory() {
    let set = Fixture::new(&[Ex::new("a1", PASSING)]);
    backlings()
        .current_dir(set.path("exercises/01_basics"))
        .args(["hint", "a1"])
        .assert()
        .code(0);
}

#[test]
fn removing_the_tests_does_not_pass() {
    let set = Fixture::new(&[Ex::new("gutted1", "fn main() {}\n")]);
    set.cmd()
        .args(["run", "gutted1"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("no tests ran"));
}

#[test]
fn five_parallel_runs_keep_five_completions() {
    let names = ["p1", "p2", "p3", "p4", "p5"];
    let exercises: Vec<Ex> = names.iter().map(|n| Ex::new(n, PASSING)).collect();
    let set = Fixture::new(&exercises);
    // Build once, so the five runs below overlap in what they write, not in cargo.
    set.cmd().args(["run", "p1"]).assert().code(0);
    std::fs::remove_file(set.path(".backlings/state.toml")).unwrap();
    let children: Vec<_> = names
        .iter()
        .map(|name| {
            let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_backlings"));
            cmd.arg("-C")
                .arg(set.root())
                .args(["run", name])
                .env("NO_COLOR", "1")
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped());
            cmd.spawn().unwrap()
        })
        .collect();
    for child in children {
        let output = child.wait_with_output().unwrap();
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    }
    let state = set.read(".backlings/state.toml");
    for name in names {
        assert!(
            state.contains(&format!("\"{name}\"")),
            "{name} lost: {state}"
        );
    }
    set.cmd()
        .arg("list")
        .assert()
        .stdout(predicate::str::contains("5 of 5 done"));
}
