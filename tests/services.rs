//! Exercises that need PostgreSQL (`services = ["postgres"]`): the real binary starts a
//! real cluster, gives each run a fresh database, and stops everything when it ends. The
//! fixture's tests talk to the database with `psql`, so they need no client crate.
//!
//! These tests need PostgreSQL's server programs. Where they are missing the tests say so
//! and return, unless `BACKLINGS_REQUIRE_POSTGRES=1` (CI sets it) makes that a failure.

mod common;

use std::path::{Path, PathBuf};

use common::{Ex, Fixture, stdout};

/// The directory with `postgres`, `initdb` and `psql`, or `None` (and a note) when this
/// machine has none and does not require it.
fn postgres_bin() -> Option<PathBuf> {
    let mut candidates: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    if let Ok(entries) = std::fs::read_dir("/usr/lib/postgresql") {
        candidates.extend(entries.flatten().map(|e| e.path().join("bin")));
    }
    let found = candidates.into_iter().find(|dir| {
        ["postgres", "initdb", "psql"]
            .iter()
            .all(|p| dir.join(p).is_file())
    });
    if found.is_none() {
        assert!(
            std::env::var_os("BACKLINGS_REQUIRE_POSTGRES").is_none(),
            "BACKLINGS_REQUIRE_POSTGRES is set, but PostgreSQL's server programs are not installed"
        );
        eprintln!("skipped: PostgreSQL is not installed here (apt-get install postgresql)");
    }
    found
}

/// An exercise whose tests need a fresh, empty database: they create a table (which
/// fails if an earlier run left one) and store the learner's answer in it.
fn db_exercise(name: &str, answer: u32) -> String {
    format!(
        r#"fn answer() -> u32 {{
    {answer}
}}

fn main() {{}}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {{
    use super::*;

    fn psql(sql: &str) -> String {{
        let url = std::env::var("DATABASE_URL").expect("DATABASE_URL is not set");
        let psql = std::env::var("FIXTURE_PSQL").expect("FIXTURE_PSQL is not set");
        let out = std::process::Command::new(psql)
            .args(["-X", "-qAt", "-v", "ON_ERROR_STOP=1", "-d", &url, "-c", sql])
            .output()
            .expect("psql runs");
        assert!(
            out.status.success(),
            "psql: {{}}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }}

    #[test]
    fn stores_the_answer_in_a_fresh_database() {{
        let url = std::env::var("DATABASE_URL").unwrap();
        assert!(url.contains("{name}"), "{{url}}");
        psql("CREATE TABLE answers (value int)");
        psql(&format!("INSERT INTO answers VALUES ({{}})", answer()));
        assert_eq!(psql("SELECT sum(value) FROM answers"), "42");
    }}
}}
"#
    )
}

fn db_set(names: &[&str]) -> Fixture {
    let exercises: Vec<Ex> = names
        .iter()
        .map(|name| {
            Ex::new(name, &db_exercise(name, 41))
                .solution(&db_exercise(name, 42))
                .info("services = [\"postgres\"]")
        })
        .collect();
    Fixture::new(&exercises)
}

fn cmd(fixture: &Fixture, bin: &Path) -> assert_cmd::Command {
    let mut cmd = fixture.cmd();
    cmd.env("FIXTURE_PSQL", bin.join("psql"))
        .env("BACKLINGS_POSTGRES_BIN", bin);
    cmd
}

/// The clusters under the set's `.backlings/services` that still have a server running
/// (PostgreSQL removes `postmaster.pid` when it stops cleanly).
fn running_clusters(root: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let services = root.join(".backlings/services");
    for version in std::fs::read_dir(services).into_iter().flatten().flatten() {
        for slot in std::fs::read_dir(version.path())
            .into_iter()
            .flatten()
            .flatten()
        {
            if slot.path().join("data/postmaster.pid").exists() {
                found.push(slot.path());
            }
        }
    }
    found
}

#[test]
fn each_run_gets_a_fresh_database_and_nothing_outlives_the_command() {
    let Some(bin) = postgres_bin() else { return };
    let fixture = db_set(&["pg_one"]);
    for _ in 0..2 {
        // A second run would fail on CREATE TABLE if it got the first run's database.
        let out = cmd(&fixture, &bin).args(["check"]).output().unwrap();
        assert!(out.status.success(), "{}", stdout(&out));
        assert!(stdout(&out).contains("0 problem"), "{}", stdout(&out));
        assert_eq!(running_clusters(fixture.root()), Vec::<PathBuf>::new());
    }
    let out = cmd(&fixture, &bin)
        .args(["run", "pg_one"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert_eq!(running_clusters(fixture.root()), Vec::<PathBuf>::new());
}

#[test]
fn without_postgres_the_exercise_is_an_environment_problem_not_a_pass() {
    let fixture = Fixture::new(&[
        Ex::new("pg_two", &db_exercise("pg_two", 41))
            .solution(&db_exercise("pg_two", 42))
            .info("services = [\"postgres\"]"),
        Ex::new("plain", &common::failing()).solution(common::PASSING),
    ]);
    let out = fixture
        .cmd()
        .env(
            "BACKLINGS_POSTGRES_BIN",
            fixture.root().join("no-postgres-here"),
        )
        .args(["check", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let entries = report["entries"].as_array().unwrap();
    let of = |name: &str, kind: &str| {
        entries
            .iter()
            .find(|e| e["name"] == name && e["kind"] == kind)
            .unwrap_or_else(|| panic!("no {kind} entry for {name}: {report}"))
    };
    for kind in ["exercise", "solution"] {
        let entry = of("pg_two", kind);
        assert_eq!(entry["ok"], false, "{entry}");
        assert_eq!(entry["status"], "environment", "{entry}");
        let message = entry["message"].as_str().unwrap();
        assert!(message.contains("needs PostgreSQL"), "{message}");
        assert!(message.contains("install it with"), "{message}");
    }
    assert_eq!(
        of("plain", "solution")["ok"],
        true,
        "the rest of the set is unaffected"
    );
    assert_eq!(of("plain", "exercise")["ok"], true);

    let out = fixture
        .cmd()
        .env(
            "BACKLINGS_POSTGRES_BIN",
            fixture.root().join("no-postgres-here"),
        )
        .args(["run", "pg_two"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let said = format!("{}{}", stdout(&out), common::stderr(&out));
    assert!(said.contains("needs PostgreSQL"), "{said}");
}

#[test]
fn parallel_runs_share_one_cluster_with_a_database_each() {
    let Some(bin) = postgres_bin() else { return };
    let names = ["pg_a", "pg_b", "pg_c"];
    let fixture = db_set(&names);
    let out = cmd(&fixture, &bin)
        .args(["check", "--jobs", "3"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stdout(&out));
    let versions: Vec<_> = std::fs::read_dir(fixture.path(".backlings/services"))
        .unwrap()
        .flatten()
        .collect();
    assert_eq!(versions.len(), 1);
    let slots: Vec<_> = std::fs::read_dir(versions[0].path())
        .unwrap()
        .flatten()
        .collect();
    assert_eq!(slots.len(), 1, "one cluster for the whole command");
}

#[test]
fn a_server_left_behind_by_a_killed_runner_is_stopped_and_replaced() {
    let Some(bin) = postgres_bin() else { return };
    let fixture = db_set(&["pg_stale"]);
    let first = cmd(&fixture, &bin).arg("check").output().unwrap();
    assert!(first.status.success(), "{}", stdout(&first));
    let slot = fixture
        .path(".backlings/services")
        .read_dir()
        .unwrap()
        .flatten()
        .next()
        .unwrap()
        .path()
        .join("0");
    // What a runner killed with SIGKILL leaves: its server, still running, owned by no one.
    let mut leftover = std::process::Command::new(bin.join("postgres"));
    leftover
        .arg("-D")
        .arg(slot.join("data"))
        .arg("-k")
        .arg(slot.join("socket"))
        .args(["-c", "listen_addresses="]);
    if nix::unistd::Uid::effective().is_root() {
        use std::os::unix::process::CommandExt;
        let user = nix::unistd::User::from_name("postgres")
            .unwrap()
            .or_else(|| nix::unistd::User::from_name("nobody").unwrap())
            .unwrap();
        leftover.uid(user.uid.as_raw()).gid(user.gid.as_raw());
    }
    let mut leftover = leftover
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let pid_file = slot.join("data/postmaster.pid");
    let waited = std::time::Instant::now();
    while !std::fs::read_to_string(&pid_file).is_ok_and(|t| t.contains("ready")) {
        assert!(
            waited.elapsed().as_secs() < 60,
            "the leftover server never started"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }

    let second = cmd(&fixture, &bin).arg("check").output().unwrap();
    assert!(second.status.success(), "{}", stdout(&second));
    let waited = std::time::Instant::now();
    while leftover.try_wait().unwrap().is_none() {
        assert!(
            waited.elapsed().as_secs() < 30,
            "the leftover server still runs: the runner should have stopped it"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert_eq!(running_clusters(fixture.root()), Vec::<PathBuf>::new());
}

#[test]
fn a_damaged_cluster_is_set_aside_and_rebuilt() {
    let Some(bin) = postgres_bin() else { return };
    let fixture = db_set(&["pg_damaged"]);
    let first = cmd(&fixture, &bin).arg("check").output().unwrap();
    assert!(first.status.success(), "{}", stdout(&first));
    let version_dir = fixture
        .path(".backlings/services")
        .read_dir()
        .unwrap()
        .flatten()
        .next()
        .unwrap()
        .path();
    let data = version_dir.join("0/data");
    // The control file is what the server reads first; without it, it cannot start.
    std::fs::remove_file(data.join("global/pg_control")).unwrap();

    let second = cmd(&fixture, &bin).arg("check").output().unwrap();
    assert!(second.status.success(), "{}", stdout(&second));
    assert!(
        version_dir.join("0/data.set-aside").is_dir(),
        "the damaged cluster is kept aside"
    );
    let note = std::fs::read_to_string(version_dir.join("0/set-aside.txt")).unwrap();
    assert!(!note.trim().is_empty());
}

#[test]
fn doctor_starts_postgres_and_times_it() {
    let Some(bin) = postgres_bin() else { return };
    let fixture = db_set(&["pg_doc"]);
    let out = cmd(&fixture, &bin).arg("doctor").output().unwrap();
    let said = stdout(&out);
    assert!(out.status.success(), "{said}");
    assert!(said.contains("PostgreSQL"), "{said}");
    assert!(said.contains("1 exercise needs it"), "{said}");
    assert!(said.contains("ms for a fresh one"), "{said}");
    assert_eq!(running_clusters(fixture.root()), Vec::<PathBuf>::new());

    let out = fixture
        .cmd()
        .env("BACKLINGS_POSTGRES_BIN", fixture.root().join("none"))
        .arg("doctor")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "a set that needs it and lacks it is not healthy"
    );
    assert!(stdout(&out).contains("install it with"), "{}", stdout(&out));
}

#[test]
fn grading_runs_the_reference_tests_against_a_fresh_database() {
    let Some(bin) = postgres_bin() else { return };
    let reference = db_set(&["pg_graded"]);
    let learner = db_set(&["pg_graded"]);
    // The learner solved it: their exercise file is the solution.
    learner.write(
        "exercises/01_basics/pg_graded.rs",
        &db_exercise("pg_graded", 42),
    );
    let out = cmd(&learner, &bin)
        .env("BACKLINGS_CACHE_DIR", learner.path("cache"))
        .args(["grade", "--format", "json", "--against"])
        .arg(reference.root())
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "{report:#}");
    assert_eq!(report["entries"][0]["status"], "passed", "{report:#}");
}

#[test]
fn a_signal_to_the_runner_stops_the_server_too() {
    let Some(bin) = postgres_bin() else { return };
    let slow = db_exercise("pg_slow", 41).replace(
        "        psql(\"CREATE TABLE answers (value int)\");",
        "        psql(\"SELECT pg_sleep(60)\");",
    );
    let fixture = Fixture::new(&[Ex::new("pg_slow", &slow)
        .info("services = [\"postgres\"]")
        .info("timeout_secs = 120")]);
    let mut runner = std::process::Command::new(env!("CARGO_BIN_EXE_backlings"));
    runner
        .arg("-C")
        .arg(fixture.root())
        .args(["run", "pg_slow"])
        .env("NO_COLOR", "1")
        .env("FIXTURE_PSQL", bin.join("psql"))
        .env("BACKLINGS_POSTGRES_BIN", &bin)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    let mut runner = runner.spawn().unwrap();
    // Wait until the test sits in pg_sleep: the server is up and a session is open.
    let waited = std::time::Instant::now();
    let server_pid = loop {
        let pid = running_clusters(fixture.root()).first().and_then(|slot| {
            let text = std::fs::read_to_string(slot.join("data/postmaster.pid")).ok()?;
            text.lines().next()?.trim().parse::<u32>().ok()
        });
        if let Some(pid) = pid
            && sessions_of(pid) > 0
        {
            break pid;
        }
        assert!(
            waited.elapsed().as_secs() < 120,
            "the run never reached the database"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(runner.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    let status = runner.wait().unwrap();
    assert_eq!(status.code(), Some(143), "128 + SIGTERM");
    assert!(
        common::process_gone(server_pid),
        "the PostgreSQL server outlived the runner"
    );
}

/// How many backend processes the server `pid` has (its children).
fn sessions_of(pid: u32) -> usize {
    std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
        .map(|list| {
            list.split_whitespace()
                .filter(|child| {
                    std::fs::read_to_string(format!("/proc/{child}/cmdline"))
                        .is_ok_and(|cmd| cmd.contains("backlings") && !cmd.contains("psql"))
                })
                .count()
        })
        .unwrap_or(0)
}

#[test]
fn watch_mode_keeps_one_server_for_the_session_and_stops_it_on_quit() {
    let Some(bin) = postgres_bin() else { return };
    // Each run appends the server's start time: one server for the session means one
    // start time, however many runs.
    let record = |answer: u32| {
        db_exercise("pg_watch", answer).replace(
            "        psql(\"CREATE TABLE answers (value int)\");",
            "        let started = psql(\"SELECT pg_postmaster_start_time()\");\n        \
             let log = concat!(env!(\"CARGO_MANIFEST_DIR\"), \"/starts.log\");\n        \
             let old = std::fs::read_to_string(log).unwrap_or_default();\n        \
             std::fs::write(log, format!(\"{old}{started}\\n\")).unwrap();\n        \
             psql(\"CREATE TABLE answers (value int)\");",
        )
    };
    let fixture =
        Fixture::new(&[Ex::new("pg_watch", &record(41)).info("services = [\"postgres\"]")]);
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_backlings"));
    cmd.arg("-C")
        .arg(fixture.root())
        .env("TERM", "xterm-256color")
        .env("NO_COLOR", "1")
        .env("FIXTURE_PSQL", bin.join("psql"))
        .env("BACKLINGS_POSTGRES_BIN", &bin);
    let mut watch = rexpect::session::spawn_command(cmd, Some(180_000)).unwrap();
    watch.exp_string("tests failed").unwrap();
    fixture.write("exercises/01_basics/pg_watch.rs", &record(42));
    watch.exp_string("passed").unwrap();
    watch.send("q").unwrap();
    watch.flush().unwrap();
    watch.exp_eof().unwrap();

    let starts = fixture.read("starts.log");
    let starts: Vec<&str> = starts.lines().collect();
    assert_eq!(starts.len(), 2, "two runs: {starts:?}");
    assert_eq!(
        starts[0], starts[1],
        "the second run started a second server"
    );
    let root = fixture.root().to_string_lossy().into_owned();
    let waited = std::time::Instant::now();
    while !common::processes_mentioning(&root).is_empty() && waited.elapsed().as_secs() < 30 {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(
        common::processes_mentioning(&root),
        Vec::<u32>::new(),
        "the server outlived watch mode"
    );
}
