//! Watch mode: the file watcher against every way editors save, and the real binary
//! driven in a pseudo-terminal.

mod common;

use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use backlings::watch::files::{self, Notice};
use common::*;

const FINAL: &str = "fn main() { /* final */ }\n";

struct Watched {
    _dir: tempfile::TempDir,
    file: PathBuf,
    rx: Receiver<Notice>,
    _watcher: files::FileWatcher,
}

fn watched(poll: bool) -> Watched {
    let dir = tempfile::tempdir().unwrap();
    let chapter = dir.path().join("exercises/01");
    std::fs::create_dir_all(&chapter).unwrap();
    let file = chapter.join("ex1.rs");
    std::fs::write(&file, "fn main() {}\n").unwrap();
    let (tx, rx) = mpsc::channel();
    let watcher = files::start(&dir.path().join("exercises"), poll, tx, |n| n).unwrap();
    // Let the watcher settle (the poll watcher takes its first scan).
    std::thread::sleep(Duration::from_millis(if poll { 700 } else { 100 }));
    while rx.try_recv().is_ok() {}
    Watched {
        file: std::fs::canonicalize(&file).unwrap(),
        _dir: dir,
        rx,
        _watcher: watcher,
    }
}

/// Waits for the saves a change produces; returns how many there were and the content
/// the file had when the first arrived.
fn saves_of(w: &Watched, settle: Duration) -> (usize, Vec<String>) {
    let mut count = 0;
    let mut contents = Vec::new();
    // Bounds only a missing save; a seen save ends the wait after `settle`.
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        let wait = if count == 0 {
            deadline - Instant::now()
        } else {
            settle
        };
        match w.rx.recv_timeout(wait) {
            Ok(Notice::Saved(paths)) => {
                let paths: Vec<PathBuf> = paths
                    .iter()
                    .map(|p| std::fs::canonicalize(p).unwrap_or(p.clone()))
                    .collect();
                assert!(paths.contains(&w.file), "{paths:?}");
                count += 1;
                contents.push(std::fs::read_to_string(&w.file).unwrap());
            }
            Ok(Notice::Failed(why)) => panic!("watcher failed: {why}"),
            Err(_) => break,
        }
    }
    (count, contents)
}

/// Saves that one editor save may produce. One on an idle machine; on a loaded one the
/// watcher's thread can be descheduled between the save's steps (truncate, write,
/// rename), and a debounce cannot tell that from a pause in typing. What must hold at
/// any speed: a few notices at most, never one per event, and the last sees the saved
/// content.
const MAX_NOTICES_PER_SAVE: usize = 3;

fn assert_saved_once(name: &str, count: usize, contents: &[String]) {
    assert!(
        (1..=MAX_NOTICES_PER_SAVE).contains(&count),
        "{name}: {count} saves"
    );
    assert_eq!(contents.last().map(String::as_str), Some(FINAL), "{name}");
}

fn assert_one_save(name: &str, save: impl FnOnce(&Path)) {
    let w = watched(false);
    save(&w.file);
    let (count, contents) = saves_of(&w, Duration::from_millis(600));
    assert_saved_once(name, count, &contents);
}

fn sibling(file: &Path, name: &str) -> PathBuf {
    file.with_file_name(name)
}

#[test]
fn write_in_place() {
    assert_one_save("in place", |f| std::fs::write(f, FINAL).unwrap());
}

#[test]
fn write_temp_then_rename() {
    // VS Code and JetBrains "safe write".
    assert_one_save("temp + rename", |f| {
        let temp = sibling(f, "ex1.rs___jb_tmp___");
        std::fs::write(&temp, FINAL).unwrap();
        std::fs::rename(&temp, f).unwrap();
    });
}

#[test]
fn sed_in_place() {
    let w = watched(false);
    std::fs::write(&w.file, "fn main() { /* draft */ }\n").unwrap();
    let _ = saves_of(&w, Duration::from_millis(300));
    let status = std::process::Command::new("sed")
        .args(["-i", "s/draft/final/"])
        .arg(&w.file)
        .status()
        .unwrap();
    assert!(status.success());
    let (count, contents) = saves_of(&w, Duration::from_millis(600));
    assert_saved_once("sed -i", count, &contents);
}

#[test]
fn vim_backupcopy_no() {
    // Rename the original to a backup, write a new file, delete the backup.
    assert_one_save("vim backupcopy=no", |f| {
        let backup = sibling(f, "ex1.rs~");
        std::fs::rename(f, &backup).unwrap();
        std::fs::write(f, FINAL).unwrap();
        std::fs::remove_file(&backup).unwrap();
    });
}

#[test]
fn vim_backupcopy_yes() {
    // Copy to a backup, then truncate and rewrite the original in place.
    assert_one_save("vim backupcopy=yes", |f| {
        let backup = sibling(f, "ex1.rs~");
        std::fs::copy(f, &backup).unwrap();
        let probe = sibling(f, "4913");
        std::fs::write(&probe, "").unwrap();
        std::fs::remove_file(&probe).unwrap();
        std::fs::write(f, FINAL).unwrap();
        std::fs::remove_file(&backup).unwrap();
    });
}

#[test]
fn delete_then_create() {
    assert_one_save("delete + create", |f| {
        std::fs::remove_file(f).unwrap();
        std::thread::sleep(Duration::from_millis(20));
        std::fs::write(f, FINAL).unwrap();
    });
}

#[test]
fn truncate_then_write() {
    assert_one_save("truncate + write", |f| {
        use std::io::Write;
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .truncate(true)
            .open(f)
            .unwrap();
        std::thread::sleep(Duration::from_millis(20));
        file.write_all(FINAL.as_bytes()).unwrap();
    });
}

#[test]
fn touch() {
    let w = watched(false);
    std::fs::write(&w.file, FINAL).unwrap();
    let _ = saves_of(&w, Duration::from_millis(300));
    std::thread::sleep(Duration::from_millis(50));
    let status = std::process::Command::new("touch")
        .arg(&w.file)
        .status()
        .unwrap();
    assert!(status.success());
    let (count, contents) = saves_of(&w, Duration::from_millis(600));
    assert_saved_once("touch", count, &contents);
}

#[test]
fn editor_droppings_alone_are_not_saves() {
    let w = watched(false);
    std::fs::write(sibling(&w.file, ".ex1.rs.swp"), "x").unwrap();
    std::fs::write(sibling(&w.file, "ex1.rs~"), "x").unwrap();
    std::fs::write(sibling(&w.file, "notes.md"), "x").unwrap();
    assert!(w.rx.recv_timeout(Duration::from_millis(500)).is_err());
}

#[test]
fn a_burst_of_100_saves_is_coalesced_and_ends_with_the_last_content() {
    let w = watched(false);
    let started = Instant::now();
    for i in 0..100 {
        std::fs::write(&w.file, format!("fn main() {{ /* {i} */ }}\n")).unwrap();
    }
    std::fs::write(&w.file, FINAL).unwrap();
    let burst = started.elapsed();
    let (count, contents) = saves_of(&w, Duration::from_millis(600));
    // Each notice but the last needs a quiet gap of DEBOUNCE (or a long burst) within
    // the burst, so the bound follows from how long the burst took here: one or two
    // runs on an idle machine, a few more when the writer was descheduled. Never one
    // run per save.
    let gaps = (burst.as_millis() / files::DEBOUNCE.as_millis()) as usize;
    assert!(
        (1..=2 + gaps).contains(&count) && count < 101,
        "{count} runs for a burst of {burst:?}"
    );
    assert_eq!(contents.last().unwrap(), FINAL);
}

#[test]
fn polling_sees_saves_too() {
    let w = watched(true);
    // Under load the poll watcher's first scan can come after a quick first write, so
    // the save is repeated until it is seen.
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut seen = None;
    while seen.is_none() && Instant::now() < deadline {
        std::fs::write(&w.file, FINAL).unwrap();
        if let Ok(Notice::Saved(_)) = w.rx.recv_timeout(Duration::from_millis(1500)) {
            seen = Some(std::fs::read_to_string(&w.file).unwrap());
        }
    }
    assert_eq!(seen.as_deref(), Some(FINAL));
}

// ---- the real binary in a pseudo-terminal ----

/// Watch mode in a pty; the timeout of each expectation only bounds a failure.
fn spawn_watch(set: &Fixture) -> rexpect::session::PtySession {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_backlings"));
    cmd.arg("-C").arg(set.root());
    cmd.env("TERM", "xterm-256color")
        .env("NO_COLOR", "1")
        .env_remove("RUST_BACKTRACE");
    rexpect::session::spawn_command(cmd, Some(180_000)).expect("spawn in a pty")
}

fn send(p: &mut rexpect::session::PtySession, keys: &str) {
    p.send(keys).unwrap();
    p.flush().unwrap();
}

#[test]
fn learner_loop_in_a_terminal() {
    let set = Fixture::new(&[
        Ex::new("first1", &failing()),
        Ex::new("second1", &failing()),
    ]);
    let mut p = spawn_watch(&set);
    p.exp_string("tests failed").unwrap();
    // Not passed yet: `n` refuses.
    send(&mut p, "n");
    p.exp_string("does not pass yet").unwrap();

    set.write("exercises/01_basics/first1.rs", PASSING);
    p.exp_string("passed").unwrap();
    send(&mut p, "n");
    p.exp_string("second1").unwrap();
    p.exp_string("tests failed").unwrap();

    send(&mut p, "h");
    p.exp_string("look closer").unwrap();
    send(&mut p, "l");
    p.exp_string("Exercises 1 of 2 done").unwrap();
    send(&mut p, "\x1b");
    p.exp_string("c check all").unwrap();
    send(&mut p, "q");
    let rest = p.exp_eof().unwrap();
    assert!(rest.contains("\x1b[?1049l"), "left the alternate screen");
    assert!(rest.contains("\x1b[?25h"), "showed the cursor again");
    let state = set.read(".backlings/state.toml");
    assert!(state.contains("current = \"second1\""), "{state}");
    let root = set.root().to_string_lossy().into_owned();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !processes_mentioning(&root).is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(processes_mentioning(&root), Vec::<u32>::new());
}

#[test]
fn a_save_during_a_long_test_cancels_it() {
    let slow = r#"fn answer() -> u32 { 41 }

fn main() {}

#[cfg(test)]
mod tests {
    #[test]
    fn slow() {
        std::fs::write(concat!(env!("CARGO_MANIFEST_DIR"), "/slow.pid"), std::process::id().to_string()).unwrap();
        std::thread::sleep(std::time::Duration::from_secs(60));
        assert_eq!(super::answer(), 42);
    }
}
"#;
    let set = Fixture::new(&[Ex::new("slow1", slow).info("timeout_secs = 120")]);
    let mut p = spawn_watch(&set);
    let pid_file = set.path("slow.pid");
    let deadline = Instant::now() + Duration::from_secs(60);
    while !pid_file.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let pid: u32 = set.read("slow.pid").trim().parse().unwrap();
    set.write("exercises/01_basics/slow1.rs", PASSING);
    p.exp_string("passed").unwrap();
    // Not timed: that the superseded test is gone shows it was cancelled.
    assert!(
        process_gone(pid),
        "the superseded test process {pid} is still running"
    );
    send(&mut p, "q");
    p.exp_eof().unwrap();
}

#[test]
fn sigterm_and_ctrl_c_restore_the_terminal_and_kill_the_run() {
    let hang = r#"fn main() {}

#[cfg(test)]
mod tests {
    #[test]
    fn hangs() {
        std::fs::write(concat!(env!("CARGO_MANIFEST_DIR"), "/hang.pid"), std::process::id().to_string()).unwrap();
        loop {
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }
}
"#;
    for quit in ["sigterm", "ctrl-c"] {
        let set = Fixture::new(&[Ex::new("hang1", hang).info("timeout_secs = 120")]);
        let mut p = spawn_watch(&set);
        let pid_file = set.path("hang.pid");
        let deadline = Instant::now() + Duration::from_secs(60);
        while !pid_file.exists() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        let test_pid: u32 = set.read("hang.pid").trim().parse().unwrap();
        if quit == "sigterm" {
            p.process_mut()
                .signal(rexpect::process::Signal::SIGTERM)
                .unwrap();
        } else {
            p.send_control('c').unwrap();
        }
        let rest = p.exp_eof().unwrap();
        assert!(
            rest.contains("\x1b[?1049l"),
            "{quit}: left the alternate screen"
        );
        assert!(process_gone(test_pid), "{quit}: the running test survived");
        let status = p.process_mut().wait().unwrap();
        let expected = if quit == "sigterm" { 143 } else { 0 };
        assert!(
            matches!(status, rexpect::process::WaitStatus::Exited(_, code) if code == expected),
            "{quit}: {status:?}"
        );
    }
}

/// Watch mode with a patient pty: a first build on a loaded machine can take a while;
/// the timeout only bounds a failure.
fn spawn_watch_with(set: &Fixture, args: &[&str]) -> rexpect::session::PtySession {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_backlings"));
    cmd.arg("-C").arg(set.root()).args(args);
    cmd.env("TERM", "xterm-256color")
        .env("NO_COLOR", "1")
        .env_remove("RUST_BACKTRACE");
    rexpect::session::spawn_command(cmd, Some(180_000)).expect("spawn in a pty")
}

#[test]
fn hostile_output_leaves_the_screen_and_the_terminal_intact() {
    let program = r#"fn main() {
    print!("\x1b[?1049l\x1b[?1000h\x1b]0;pwned\x07\x1b[2J");
    println!("visible-marker");
}
"#;
    let set = Fixture::new(&[Ex::new("ansi1", program).info("test = false")]);
    let mut p = spawn_watch_with(&set, &[]);
    let mut seen = p.exp_string("visible-marker").unwrap();
    seen.push_str(&p.exp_string("q quit").unwrap());
    for bad in ["\x1b[?1049l", "\x1b[?1000h", "pwned", "\x1b[2J"] {
        assert!(
            !seen.contains(bad),
            "{bad:?} reached the terminal: {seen:?}"
        );
    }
    send(&mut p, "q");
    let rest = p.exp_eof().unwrap();
    for restored in [
        "\x1b[?1000l", // mouse reporting off
        "\x1b[?25h",   // cursor shown
        "\x1b[?1049l", // main screen
        "\x1b[23;0t",  // the learner's window title back
    ] {
        assert!(rest.contains(restored), "{restored:?} missing: {rest:?}");
    }
}

#[test]
fn two_same_second_saves_under_poll_give_two_runs() {
    let set = Fixture::new(&[Ex::new("poll1", &failing())]);
    let mut p = spawn_watch_with(&set, &["--poll"]);
    p.exp_string("left: 41").unwrap();
    let file = set.path("exercises/01_basics/poll1.rs");
    // Both saves get the same size and the same modification time, as two saves within
    // one second do on a filesystem with one-second times. The time is in the future so
    // it stays "recent" however slow the machine is.
    let stamp = std::time::SystemTime::now() + Duration::from_secs(600);
    let save = |text: &str| {
        std::fs::write(&file, text).unwrap();
        let f = std::fs::File::options().write(true).open(&file).unwrap();
        f.set_modified(stamp).unwrap();
    };
    let first = PASSING.replace("    42\n}\n\nfn main", "    40\n}\n\nfn main");
    assert_eq!(first.len(), PASSING.len());
    save(&first);
    p.exp_string("left: 40").unwrap();
    save(PASSING);
    p.exp_string("passed").unwrap();
    send(&mut p, "q");
    p.exp_eof().unwrap();
}

#[test]
fn watch_beside_run_keeps_every_completion_and_notices_it() {
    let set = Fixture::new(&[
        Ex::new("a1", PASSING),
        Ex::new("b1", PASSING),
        Ex::new("c1", &failing()),
    ]);
    let mut p = spawn_watch_with(&set, &[]);
    p.exp_string("passed").unwrap();
    // Another terminal finishes b1 while watch mode is open.
    set.cmd().args(["run", "b1"]).assert().code(0);
    // One repaint: the header's count, then the note below the output.
    p.exp_string("2 of 3 done").unwrap();
    p.exp_string("updated by another backlings").unwrap();
    // Moving on saves watch mode's progress: b1 must survive it.
    send(&mut p, "n");
    p.exp_string("tests failed").unwrap();
    send(&mut p, "q");
    p.exp_eof().unwrap();
    let state = set.read(".backlings/state.toml");
    assert!(state.contains("\"a1\""), "{state}");
    assert!(state.contains("\"b1\""), "{state}");
    assert!(state.contains("current = \"c1\""), "{state}");
}

#[test]
fn a_damaged_state_file_is_explained_on_the_watch_screen() {
    let set = Fixture::new(&[Ex::new("a1", &failing())]);
    set.write(".backlings/state.toml", "garbage = = =");
    let mut p = spawn_watch_with(&set, &[]);
    p.exp_string("is damaged").unwrap();
    send(&mut p, "q");
    p.exp_eof().unwrap();
}

#[test]
fn check_all_counts_up_and_its_panel_stays_after_the_rerun() {
    let set = Fixture::new(&[
        Ex::new("a1", &failing()),
        Ex::new("b1", PASSING).solution(PASSING),
        Ex::new("c1", PASSING),
    ]);
    let mut p = spawn_watch_with(&set, &[]);
    p.exp_string("tests failed").unwrap();
    p.exp_string("q quit").unwrap();
    send(&mut p, "c");
    // The counter moves with every verdict, whatever the order they come in.
    p.exp_string("check all: 0 of 3").unwrap();
    p.exp_string("check all: 1 of 3").unwrap();
    p.exp_string("check all: 2 of 3").unwrap();
    p.exp_string("check all: 2 of 3 pass, 1 fail").unwrap();
    // The current exercise re-runs after the check; the panel outlives that run: the
    // idle status line comes before the panel in the same screen.
    p.exp_string("saves re-run the exercise").unwrap();
    p.exp_string("check all: 2 of 3 pass, 1 fail").unwrap();
    p.exp_string("q quit").unwrap();
    // Passing through `c` reveals the solution, as a single pass would.
    let state = set.read(".backlings/state.toml");
    assert!(
        state.contains("\"b1\"") && state.contains("\"c1\""),
        "{state}"
    );
    // A key closes the panel: the frame that shows the hint has no panel. Frames that
    // were painted before the key arrived may still have it, however slow the machine.
    send(&mut p, "h");
    let before = p.exp_string("Hint:").unwrap();
    let frame_start = before.rfind("\x1b[?2026h").unwrap_or(0);
    let rest_of_frame = p.exp_string("\x1b[?2026l").unwrap();
    let frame = format!("{}Hint:{rest_of_frame}", &before[frame_start..]);
    assert!(!frame.contains("check all:"), "{frame}");
    send(&mut p, "q");
    p.exp_eof().unwrap();
}

#[test]
fn the_reset_message_stays_after_the_rerun() {
    let set = Fixture::new(&[Ex::new("a1", &failing())]);
    let mut p = spawn_watch_with(&set, &[]);
    p.exp_string("tests failed").unwrap();
    set.write(
        "exercises/01_basics/a1.rs",
        &format!("// my attempt\n{}", failing()),
    );
    p.exp_string("compiling a1").unwrap();
    p.exp_string("tests failed").unwrap();
    p.exp_string("q quit").unwrap();
    send(&mut p, "x");
    p.exp_string("(y/n)").unwrap();
    send(&mut p, "y");
    p.exp_string("your version is kept at").unwrap();
    // After the re-run of the restored file, the message is still there.
    p.exp_string("saves re-run the exercise").unwrap();
    p.exp_string("your version is kept at").unwrap();
    send(&mut p, "q");
    p.exp_eof().unwrap();
    assert_eq!(set.read("exercises/01_basics/a1.rs"), failing());
}

/// Watch mode in a pty of `cols`×`rows` (set with stty before the binary starts).
fn spawn_watch_sized(set: &Fixture, cols: u16, rows: u16) -> rexpect::session::PtySession {
    let mut cmd = std::process::Command::new("sh");
    cmd.arg("-c")
        .arg(format!(
            "stty cols {cols} rows {rows} && exec \"$0\" -C \"$1\""
        ))
        .arg(env!("CARGO_BIN_EXE_backlings"))
        .arg(set.root());
    cmd.env("TERM", "xterm-256color")
        .env("NO_COLOR", "1")
        .env_remove("RUST_BACKTRACE");
    rexpect::session::spawn_command(cmd, Some(180_000)).expect("spawn in a pty")
}

#[test]
fn a_60x20_terminal_keeps_header_legend_and_list_footer() {
    let set = Fixture::new(&[
        Ex::new("first1", &failing()),
        Ex::new("second1", &failing()),
    ]);
    let mut p = spawn_watch_sized(&set, 60, 20);
    // rexpect reads bytes as Latin-1: only ASCII is expected.
    p.exp_string("0 of 2 done").unwrap();
    p.exp_string("first1 (1/2)").unwrap();
    // The status line says what runs: the build of the exercise, then its tests.
    p.exp_string("compiling first1").unwrap();
    p.exp_string("running 1 test (").unwrap();
    p.exp_string("tests failed").unwrap();
    // The legend wraps between its entries instead of running off the screen.
    p.exp_string("c check all").unwrap();
    p.exp_string("q quit").unwrap();
    send(&mut p, "l");
    p.exp_string("Exercises 0 of 2 done").unwrap();
    p.exp_string("pending  first1").unwrap();
    // Without colour, the selection is marked by a character.
    send(&mut p, "j");
    p.exp_string(">  pending  second1").unwrap();
    p.exp_string("Esc back").unwrap();
    send(&mut p, "\x1b");
    p.exp_string("q quit").unwrap();
    send(&mut p, "q");
    p.exp_eof().unwrap();
}

#[test]
fn check_all_reaching_every_exercise_shows_the_final_message() {
    let exercises = [Ex::new("a1", PASSING), Ex::new("b1", PASSING)];
    let set = Fixture::new(&exercises);
    set.write(
        "info.toml",
        &format!(
            "final_message = \"final-marker: every exercise done\"\n{}",
            info_toml(&exercises)
        ),
    );
    let mut p = spawn_watch_with(&set, &[]);
    p.exp_string("passed").unwrap();
    p.exp_string("q quit").unwrap();
    send(&mut p, "c");
    p.exp_string("check all: all 2 exercises pass").unwrap();
    p.exp_string("final-marker: every exercise done").unwrap();
    send(&mut p, "q");
    p.exp_eof().unwrap();
}
