//! Edit -> verdict latency of the bundled course's axum exercise, against a bare
//! `cargo test --bin` of the same file measured in the same run, plus watch mode's
//! save -> run-started latency and its idle CPU and memory.
//!
//! Run: `cargo bench --bench watch` (options after `--`: `--rounds N`, `--exercise NAME`).
//! The first run compiles the course's dependencies twice into target/bench-course*;
//! later runs are warm. Rounds interleave the three measurements so that machine noise
//! hits all of them alike; medians are reported.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

struct Args {
    rounds: usize,
    exercise: String,
}

fn args() -> Args {
    let mut args = Args {
        rounds: 10,
        exercise: "intro2".into(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--rounds" => args.rounds = it.next().and_then(|v| v.parse().ok()).unwrap_or(10),
            "--exercise" => args.exercise = it.next().unwrap_or(args.exercise),
            _ => {} // cargo bench passes --bench
        }
    }
    args
}

fn main() {
    let args = args();
    let backlings = PathBuf::from(env!("CARGO_BIN_EXE_backlings"));
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let work = tempfile::tempdir().expect("temp dir");
    // Two copies of the course: edits for the bare and `run` measurements must not wake
    // the watch session. Each has its own target dir, so neither disturbs the other's
    // incremental compilation state (a shared one would slow whichever builds second).
    let workspace = work.path().join("course");
    let watched = work.path().join("watched");
    let target = repo.join("target/bench-course");
    let watched_target = repo.join("target/bench-course-watched");
    for dir in ["course", "watched"] {
        run(Command::new(&backlings)
            .current_dir(work.path())
            .args(["init", dir]));
    }
    let exercise_rel = find_exercise(&workspace, &args.exercise);
    let exercise = workspace.join(&exercise_rel);
    let watched_exercise = watched.join(&exercise_rel);
    let original = std::fs::read_to_string(&exercise).expect("exercise file");

    eprintln!("warming up (the first run compiles the course's dependencies)...");
    let warm = Instant::now();
    cargo_test(&workspace, &target, &args.exercise);
    cargo_test(&watched, &watched_target, &args.exercise);
    eprintln!("warm-up took {:.1}s", warm.elapsed().as_secs_f64());

    // Make the measured exercise the current one in the watched copy.
    let mut progress = String::from("version = 1\n");
    progress.push_str(&format!("current = \"{}\"\n", args.exercise));
    std::fs::create_dir_all(watched.join(".backlings")).expect("state dir");
    std::fs::write(watched.join(".backlings/state.toml"), progress).expect("state");
    let mut watch = WatchSession::start(&backlings, &watched, &watched_target);
    let mut bare = Vec::new();
    let mut run_once = Vec::new();
    let mut started = Vec::new();
    let mut verdict = Vec::new();
    for round in 0..args.rounds {
        // Each measurement edits the file, so cargo really recompiles the exercise.
        edit(&exercise, &original, round * 3);
        let t = Instant::now();
        cargo_test(&workspace, &target, &args.exercise);
        bare.push(t.elapsed());

        edit(&exercise, &original, round * 3 + 1);
        let t = Instant::now();
        run(Command::new(&backlings)
            .current_dir(&workspace)
            .env("CARGO_TARGET_DIR", &target)
            .args(["run", &args.exercise]));
        run_once.push(t.elapsed());

        let (to_start, to_verdict) =
            watch.save_and_time(&watched_exercise, &original, round * 3 + 2);
        started.push(to_start);
        verdict.push(to_verdict);
        eprintln!(
            "round {round}: bare {:.0} ms, run {:.0} ms, watch start {:.1} ms, watch verdict {:.0} ms",
            ms(bare[round]),
            ms(run_once[round]),
            ms(started[round]),
            ms(verdict[round])
        );
    }
    let (cpu, rss_kib, hwm_kib) = watch.idle_usage(Duration::from_secs(5));
    watch.quit();

    let base = median(&bare);
    println!(
        "\nedit -> verdict, {} ({}), median of {} rounds",
        args.exercise, exercise_rel, args.rounds
    );
    println!("  bare `cargo test --bin`   {:7.0} ms   1.00x", ms(base));
    println!(
        "  `backlings run`           {:7.0} ms   {:.2}x",
        ms(median(&run_once)),
        ratio(median(&run_once), base)
    );
    println!(
        "  watch mode (save->verdict){:7.0} ms   {:.2}x   (target: within 1.10x)",
        ms(median(&verdict)),
        ratio(median(&verdict), base)
    );
    println!(
        "save -> run started (watch)  median {:.1} ms, max {:.1} ms   (target: median <= 100 ms)",
        ms(median(&started)),
        ms(started.iter().copied().max().unwrap_or_default())
    );
    println!(
        "idle watch mode over 5 s: {cpu:.2}% CPU, RSS {:.1} MB (peak {:.1} MB)   (target: ~0%, <= 20 MB)",
        rss_kib as f64 / 1024.0,
        hwm_kib as f64 / 1024.0
    );
}

fn find_exercise(workspace: &Path, name: &str) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_backlings"))
        .current_dir(workspace)
        .args(["list", "--format", "json"])
        .output()
        .expect("backlings list");
    let listing: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    listing["exercises"]
        .as_array()
        .and_then(|list| list.iter().find(|e| e["name"] == name))
        .and_then(|e| e["path"].as_str())
        .unwrap_or_else(|| panic!("no exercise {name}"))
        .to_string()
}

fn edit(path: &Path, original: &str, n: usize) {
    std::fs::write(path, format!("{original}// bench edit {n}\n")).expect("write");
}

fn cargo_test(workspace: &Path, target: &Path, bin: &str) {
    let status = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .current_dir(workspace)
        .env("CARGO_TARGET_DIR", target)
        .args(["test", "--quiet", "--bin", bin])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .expect("cargo test");
    // The exercise fails as shipped: any exit is fine, only the time counts.
    let _ = status;
}

fn run(command: &mut Command) {
    let _ = command
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .expect("command");
}

/// Watch mode in a pseudo-terminal, with every chunk of its output timestamped as it
/// arrives (a polling expect library would round latencies to its poll interval).
struct WatchSession {
    process: rexpect::process::PtyProcess,
    input: std::fs::File,
    chunks: std::sync::mpsc::Receiver<(Instant, Vec<u8>)>,
    seen: String,
    pid: u32,
}

const VERDICTS: [&str; 5] = [
    "tests failed",
    "compile error",
    "timed out",
    "program failed",
    "press n for the next",
];

impl WatchSession {
    fn start(backlings: &Path, workspace: &Path, target: &Path) -> Self {
        // `exec` keeps the pid the shell wrote down.
        let pid_file = workspace.join("watch.pid");
        let mut cmd = Command::new("sh");
        cmd.arg("-c")
            .arg(r#"echo $$ > "$0"; exec "$1""#)
            .arg(&pid_file)
            .arg(backlings)
            .current_dir(workspace)
            .env("CARGO_TARGET_DIR", target)
            .env("NO_COLOR", "1")
            .env("TERM", "xterm-256color");
        let process = rexpect::process::PtyProcess::new(cmd).expect("pty");
        let mut output = process.get_file_handle().expect("pty master");
        let input = process.get_file_handle().expect("pty master");
        let (tx, chunks) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut buf = vec![0u8; 64 * 1024];
            while let Ok(n) = std::io::Read::read(&mut output, &mut buf) {
                if n == 0 || tx.send((Instant::now(), buf[..n].to_vec())).is_err() {
                    break;
                }
            }
        });
        let deadline = Instant::now() + Duration::from_secs(10);
        let pid = loop {
            if let Some(pid) = std::fs::read_to_string(&pid_file)
                .ok()
                .and_then(|p| p.trim().parse().ok())
            {
                break pid;
            }
            assert!(Instant::now() < deadline, "watch mode did not start");
            std::thread::sleep(Duration::from_millis(20));
        };
        let mut watch = Self {
            process,
            input,
            chunks,
            seen: String::new(),
            pid,
        };
        watch.wait_idle();
        watch
    }

    /// Time at which one of `needles` appears in the output not yet consumed.
    fn wait_for(&mut self, needles: &[&str]) -> Instant {
        loop {
            if let Some(end) = needles
                .iter()
                .filter_map(|n| self.seen.find(n).map(|i| i + n.len()))
                .min()
            {
                self.seen.drain(..end);
                return Instant::now();
            }
            let (at, chunk) = self
                .chunks
                .recv_timeout(Duration::from_secs(120))
                .expect("watch mode stopped answering");
            self.seen.push_str(&String::from_utf8_lossy(&chunk));
            if let Some(end) = needles
                .iter()
                .filter_map(|n| self.seen.find(n).map(|i| i + n.len()))
                .min()
            {
                self.seen.drain(..end);
                return at;
            }
        }
    }

    /// Waits until the current run's verdict is on screen.
    fn wait_idle(&mut self) -> Instant {
        self.wait_for(&VERDICTS)
    }

    fn save_and_time(&mut self, path: &Path, original: &str, n: usize) -> (Duration, Duration) {
        // Drop output that arrived before the save.
        while let Ok((_, chunk)) = self.chunks.try_recv() {
            self.seen.push_str(&String::from_utf8_lossy(&chunk));
        }
        self.seen.clear();
        edit(path, original, n);
        let saved = Instant::now();
        let started = self.wait_for(&["building and testing"]);
        let verdict = self.wait_idle();
        (started - saved, verdict - saved)
    }

    fn idle_usage(&mut self, window: Duration) -> (f64, u64, u64) {
        let ticks = |pid: u32| -> u64 {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            let fields: Vec<&str> = stat
                .rsplit(')')
                .next()
                .unwrap_or("")
                .split_whitespace()
                .collect();
            // utime and stime are fields 14 and 15 of stat, 12 and 13 after the name.
            fields
                .get(11)
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0)
                + fields
                    .get(12)
                    .and_then(|v| v.parse::<u64>().ok())
                    .unwrap_or(0)
        };
        std::thread::sleep(Duration::from_millis(500));
        let before = ticks(self.pid);
        std::thread::sleep(window);
        let used = ticks(self.pid) - before;
        let clock_ticks = 100.0; // Linux USER_HZ
        let cpu = used as f64 / clock_ticks / window.as_secs_f64() * 100.0;
        let status =
            std::fs::read_to_string(format!("/proc/{}/status", self.pid)).unwrap_or_default();
        let field = |name: &str| -> u64 {
            status
                .lines()
                .find(|l| l.starts_with(name))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
                .unwrap_or(0)
        };
        (cpu, field("VmRSS:"), field("VmHWM:"))
    }

    fn quit(mut self) {
        let _ = std::io::Write::write_all(&mut self.input, b"q");
        let _ = self.process.wait();
    }
}

fn median(samples: &[Duration]) -> Duration {
    let mut sorted = samples.to_vec();
    sorted.sort();
    sorted.get(sorted.len() / 2).copied().unwrap_or_default()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn ratio(a: Duration, b: Duration) -> f64 {
    a.as_secs_f64() / b.as_secs_f64().max(1e-9)
}
