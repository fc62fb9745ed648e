//! Every way out cleans up: Ctrl-C, SIGTERM and SIGHUP to `run`, `check` and `grade`
//! leave no process of the exercise behind and exit 128 + the signal; a process that
//! leaves its group (`setsid`, `process_group(0)`) does not outlive the run either.
//!
//! Processes write their pids to files; afterwards /proc must not have them. Deadlines
//! are generous and only bound a failure: nothing here depends on the machine's speed.

mod common;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use common::*;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

/// Long enough for a build and a start on a loaded machine; only a failure waits it out.
const PATIENCE: Duration = Duration::from_secs(180);

/// A test that starts a helper which ignores SIGTERM, records its own pid and the
/// helper's in `<file>.pids` beside the set, then hangs.
const HANGS: &str = r#"fn main() {}

#[cfg(test)]
mod tests {
    #[test]
    fn hangs() {
        let helper = std::process::Command::new("sh")
            .args(["-c", "trap '' TERM; while :; do sleep 1; done"])
            .spawn()
            .unwrap();
        // Where the test wants the pids: a graded exercise is built away from the set.
        let dir = std::env::var("PIDS_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").into());
        let base = format!("{dir}/{}", file!().replace('/', "_"));
        std::fs::write(format!("{base}.tmp"), format!("{} {}", std::process::id(), helper.id())).unwrap();
        std::fs::rename(format!("{base}.tmp"), format!("{base}.pids")).unwrap();
        loop {
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }
}
"#;

fn hanging_set(with_solution: bool) -> Fixture {
    let mut ex = Ex::new("hang1", HANGS).info("timeout_secs = 3600");
    if with_solution {
        ex = ex.solution(HANGS);
    }
    Fixture::new(&[ex])
}

/// Pid files written so far by the set's processes.
fn pid_files(set: &Fixture) -> Vec<PathBuf> {
    std::fs::read_dir(set.root())
        .unwrap()
        .filter_map(|e| Some(e.ok()?.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "pids"))
        .collect()
}

fn wait_for_pids(set: &Fixture) {
    let deadline = Instant::now() + PATIENCE;
    while pid_files(set).is_empty() {
        assert!(Instant::now() < deadline, "the exercise never started");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn recorded_pids(files: &[PathBuf]) -> Vec<u32> {
    files
        .iter()
        .flat_map(|f| {
            std::fs::read_to_string(f)
                .unwrap()
                .split_whitespace()
                .map(|p| p.parse::<u32>().unwrap())
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Every recorded process is gone (the deadline only bounds a failure: they were killed
/// before the runner exited).
fn assert_all_gone(pids: &[u32], what: &str) {
    assert!(!pids.is_empty(), "{what}: no pid recorded");
    let deadline = Instant::now() + Duration::from_secs(30);
    while pids.iter().any(|&p| !process_gone(p)) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let left: Vec<u32> = pids.iter().copied().filter(|&p| !process_gone(p)).collect();
    for &pid in &left {
        let _ = kill(Pid::from_raw(pid as i32), Signal::SIGKILL);
    }
    assert!(left.is_empty(), "{what}: still running: {left:?}");
}

fn in_pty(set: &Fixture, args: &[&str]) -> rexpect::session::PtySession {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_backlings"));
    cmd.arg("-C").arg(set.root()).args(args);
    cmd.env("NO_COLOR", "1").env_remove("RUST_BACKTRACE");
    rexpect::session::spawn_command(cmd, Some(PATIENCE.as_millis() as u64)).expect("spawn in a pty")
}

fn exit_code(p: &mut rexpect::session::PtySession) -> Option<i32> {
    match p.process_mut().wait().unwrap() {
        rexpect::process::WaitStatus::Exited(_, code) => Some(code),
        other => panic!("did not exit normally: {other:?}"),
    }
}

fn ctrl_c(args: &[&str], with_solution: bool) {
    let set = hanging_set(with_solution);
    let mut p = in_pty(&set, args);
    wait_for_pids(&set);
    p.send_control('c').unwrap();
    p.exp_eof().unwrap();
    assert_eq!(exit_code(&mut p), Some(130), "{args:?}: exit status");
    // Whatever started before the runner exited recorded its pids by now.
    assert_all_gone(&recorded_pids(&pid_files(&set)), &format!("{args:?}"));
}

#[test]
fn ctrl_c_during_run_leaves_nothing_running() {
    ctrl_c(&["run", "hang1"], false);
}

#[test]
fn ctrl_c_during_check_leaves_nothing_running() {
    ctrl_c(&["check"], true);
}

fn signal_grade(signal: Signal, expected: i32) {
    let set = hanging_set(false);
    let reference = hanging_set(false);
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_backlings"))
        .arg("-C")
        .arg(set.root())
        .arg("grade")
        .arg("--against")
        .arg(reference.root())
        .env("NO_COLOR", "1")
        .env("BACKLINGS_CACHE_DIR", cache_dir())
        .env("PIDS_DIR", set.root())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    wait_for_pids(&set);
    kill(Pid::from_raw(child.id() as i32), signal).unwrap();
    let deadline = Instant::now() + PATIENCE;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("grade did not exit after {signal}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(expected), "{signal}");
    assert_all_gone(&recorded_pids(&pid_files(&set)), signal.as_ref());
}

#[test]
fn sigterm_to_grade_leaves_nothing_running() {
    signal_grade(Signal::SIGTERM, 143);
}

#[test]
fn sighup_to_grade_leaves_nothing_running() {
    signal_grade(Signal::SIGHUP, 129);
}

/// A passing test that starts two sleepers outside its process group, one with
/// `setsid`, one with `process_group(0)`, and records their pids.
const ESCAPES: &str = r#"fn main() {}

#[cfg(test)]
mod tests {
    use std::os::unix::process::CommandExt;

    #[test]
    fn escapes() {
        let grouped = std::process::Command::new("sleep")
            .arg("1000")
            .process_group(0)
            .spawn()
            .unwrap();
        let session = std::process::Command::new("setsid")
            .args(["sleep", "1000"])
            .spawn()
            .unwrap();
        let base = format!("{}/escaped", env!("CARGO_MANIFEST_DIR"));
        std::fs::write(format!("{base}.tmp"), format!("{} {}", grouped.id(), session.id())).unwrap();
        std::fs::rename(format!("{base}.tmp"), format!("{base}.pids")).unwrap();
    }
}
"#;

#[test]
fn processes_that_leave_the_group_do_not_outlive_the_run() {
    let set = Fixture::new(&[Ex::new("esc1", ESCAPES)]);
    let output = set.cmd().args(["run", "esc1"]).output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    let pids = recorded_pids(&[set.path("escaped.pids")]);
    assert_eq!(pids.len(), 2);
    assert_all_gone(&pids, "setsid / process_group(0)");
}
