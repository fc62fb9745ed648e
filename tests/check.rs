//! `backlings check` and `backlings grade` on sound and broken sets, with every report
//! format.

mod common;

use common::*;
use predicates::prelude::*;

fn sound_set() -> Fixture {
    Fixture::new(&[
        Ex::new("a1", &failing()).solution(PASSING),
        Ex::new("b1", "fn main() {\n    std::process::exit(1);\n}\n")
            .solution("fn main() {}\n")
            .info("test = false"),
        Ex::new("intro1", PASSING)
            .solution(PASSING)
            .info("skip_check_unsolved = true"),
    ])
}

fn check_json(set: &Fixture, extra: &[&str]) -> (Option<i32>, serde_json::Value) {
    let output = set
        .cmd()
        .args(["check", "--format", "json"])
        .args(extra)
        .output()
        .unwrap();
    let json = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", stdout(&output), stderr(&output)));
    (output.status.code(), json)
}

fn problems(json: &serde_json::Value) -> Vec<(String, String)> {
    json["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["ok"] == false)
        .map(|e| {
            (
                e["name"].as_str().unwrap().to_string(),
                e["status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn a_sound_set_passes() {
    let set = sound_set();
    let (code, json) = check_json(&set, &[]);
    assert_eq!(code, Some(0), "{json:#}");
    assert_eq!(json["ok"], true);
    // a1 and b1 as exercises and solutions; intro1's solution only.
    assert_eq!(json["totals"]["total"], 5);
    let a1 = &json["entries"][0];
    assert_eq!(a1["kind"], "exercise");
    assert_eq!(a1["message"], "fails as shipped: tests failed");
}

#[test]
fn every_problem_is_reported_in_one_run() {
    let set = Fixture::new(&[
        // Passes as shipped.
        Ex::new("solved1", PASSING).solution(PASSING),
        // Its solution fails.
        Ex::new("badsol1", &failing()).solution(&failing()),
        // Loops forever as an exercise, and its solution hangs too: costs its timeout only.
        Ex::new("hang1", &tests_asserting("loop {}"))
            .solution(&tests_asserting("loop {}"))
            .info("timeout_secs = 1"),
        // Fine.
        Ex::new("fine1", &failing()).solution(PASSING),
    ]);
    // A listed exercise whose file is missing.
    let info = set.read("info.toml") + "\n[[exercises]]\nname = \"ghost1\"\nhint = \"h\"\n";
    set.write("info.toml", &info);
    // A file nobody listed, and an unformatted solution.
    set.write("exercises/01_basics/stray.rs", "fn main() {}\n");
    set.write(
        "solutions/01_basics/fine1.rs",
        &PASSING.replace("    42\n", "42\n"),
    );
    let (code, json) = check_json(&set, &["--jobs", "2"]);
    assert_eq!(code, Some(1), "{json:#}");
    let found = problems(&json);
    for expected in [
        ("solved1", "passed"),
        ("badsol1", "tests_failed"),
        ("hang1", "timed_out"),
        ("ghost1", "missing_file"),
        ("ghost1", "missing_solution"),
        ("stray", "unlisted_file"),
        ("fine1", "unformatted"),
        ("cargo_bins", "bins_out_of_date"),
    ] {
        assert!(
            found.contains(&(expected.0.to_string(), expected.1.to_string())),
            "{expected:?} not in {found:?}"
        );
    }
    // The hung exercise is fine as an exercise (it fails), the hung solution is not.
    let hang_exercise = json["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "hang1" && e["kind"] == "exercise")
        .unwrap();
    assert_eq!(hang_exercise["ok"], true);
    assert!(
        hang_exercise["message"]
            .as_str()
            .unwrap()
            .contains("timed out after 1s")
    );
}

#[test]
fn allow_missing_solutions_relaxes_only_that() {
    let set = Fixture::new(&[Ex::new("a1", &failing())]);
    let (code, json) = check_json(&set, &[]);
    assert_eq!(code, Some(1));
    assert_eq!(problems(&json), [("a1".into(), "missing_solution".into())]);
    let (code, _) = check_json(&set, &["--allow-missing-solutions"]);
    assert_eq!(code, Some(0));
}

#[test]
fn junit_report_is_written_atomically_and_parses() {
    let set = Fixture::new(&[
        Ex::new("a1", &failing()).solution(PASSING),
        Ex::new("solved1", PASSING).solution(PASSING),
    ]);
    let report = set.path("out/report.xml");
    set.cmd()
        .args(["check", "--format", "junit", "--output"])
        .arg(&report)
        .assert()
        .code(1)
        .stdout(predicate::str::is_empty())
        .stderr(predicate::str::contains("Report written to"));
    let xml = std::fs::read_to_string(&report).unwrap();
    let parsed = quick_junit::Report::deserialize_from_str(&xml).expect("valid JUnit");
    assert_eq!(parsed.tests, 4);
    assert_eq!(parsed.failures, 1);
    let suites: Vec<&str> = parsed.test_suites.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(suites, ["exercises", "solutions"]);
    assert!(xml.contains("passes as shipped"));
}

#[test]
fn human_report_lists_problems_and_totals() {
    let set = Fixture::new(&[Ex::new("solved1", PASSING).solution(PASSING)]);
    set.cmd()
        .arg("check")
        .assert()
        .code(1)
        .stdout(predicate::str::contains("solved1"))
        .stdout(predicate::str::contains("passes as shipped"))
        .stdout(predicate::str::contains("1 ok, 1 problem(s), 2 checked"));
}

#[test]
fn a_directory_that_is_not_a_set_is_exit_2() {
    let dir = Fixture::empty();
    dir.write("Cargo.toml", "[package]\nname = \"x\"\n");
    backlings()
        .current_dir(dir.root())
        .arg("check")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no exercise set found"));
}

#[test]
fn grade_reports_what_passes_without_touching_progress() {
    let original = Fixture::new(&[Ex::new("a1", &failing()), Ex::new("b1", &failing())]);
    let set = Fixture::new(&[Ex::new("a1", PASSING), Ex::new("b1", &failing())]);
    let output = set
        .cmd()
        .args(["grade", "--format", "json", "--against"])
        .arg(original.root())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["totals"]["ok"], 1);
    assert_eq!(json["entries"][1]["status"], "tests_failed");
    set.cmd()
        .arg("list")
        .assert()
        .stdout(predicate::str::contains("0 of 2 done"));
    set.cmd()
        .args(["grade", "--update-progress", "--against"])
        .arg(original.root())
        .assert()
        .code(1);
    set.cmd()
        .arg("list")
        .assert()
        .stdout(predicate::str::contains("1 of 2 done"));
}

#[test]
fn grade_against_the_original_flags_edited_tests() {
    let original = Fixture::new(&[Ex::new("a1", &failing()), Ex::new("b1", &failing())]);
    let learner = Fixture::new(&[
        // Fixed honestly.
        Ex::new("a1", PASSING),
        // "Fixed" by weakening the test.
        Ex::new(
            "b1",
            &failing().replace("assert_eq!(answer(), 42);", "assert_eq!(answer(), 41);"),
        ),
    ]);
    let output = learner
        .cmd()
        .args(["grade", "--format", "json", "--against"])
        .arg(original.root())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["entries"][0]["status"], "passed");
    assert_eq!(json["entries"][1]["status"], "tampered");
    assert_eq!(json["entries"][1]["ok"], false);
}

fn broken() -> String {
    PASSING.replace("    42\n}", "    let x: u32 = \"no\";\n    x\n}")
}

#[test]
fn every_compile_error_is_reached_in_check_and_grade() {
    // Several broken bins: cargo must not stop at the first one.
    let exercises = [
        Ex::new("broken1", &broken()).solution(PASSING),
        Ex::new("broken2", &broken()).solution(PASSING),
        Ex::new("broken3", &broken()).solution(PASSING),
        Ex::new("fine1", &failing()).solution(PASSING),
        Ex::new("good1", PASSING).solution(PASSING),
    ];
    let set = Fixture::new(&exercises);
    let reference = Fixture::new(&exercises);
    let (code, json) = check_json(&set, &[]);
    assert_eq!(
        problems(&json),
        [("good1".into(), "passed".into())],
        "{json:#}"
    );
    assert_eq!(code, Some(1));
    // grade builds only the exercises: the keep-going path in its own workspace.
    let output = set
        .cmd()
        .args(["grade", "--format", "json", "--against"])
        .arg(reference.root())
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let statuses: Vec<&str> = json["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        [
            "compile_error",
            "compile_error",
            "compile_error",
            "tests_failed",
            "passed"
        ]
    );
}

#[test]
fn strict_clippy_exercises_fail_on_lints_and_are_reported_once() {
    // Passes its test, but clippy -D warnings rejects `x == true`.
    let linted = PASSING.replace(
        "fn main() {\n    println!(\"{}\", answer());\n}",
        "fn main() {\n    let x = answer() == 42;\n    if x == true {\n        println!(\"{}\", answer());\n    }\n}",
    );
    let set = Fixture::new(&[Ex::new("lint1", &linted)
        .solution(PASSING)
        .info("strict_clippy = true")]);
    let output = set
        .cmd()
        .args(["check", "--format", "json"])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["ok"], true, "{json:#}");
    assert_eq!(
        json["entries"][0]["message"],
        "fails as shipped: clippy failed"
    );
    // The live progress (plain lines off a terminal) has one line per entry, the final one.
    let progress = stderr(&output);
    let lines: Vec<&str> = progress
        .lines()
        .filter(|l| l.starts_with("ok ") || l.starts_with("FAIL"))
        .collect();
    assert_eq!(lines.len(), 2, "{progress}");
    assert!(!progress.contains("FAIL"), "{progress}");
}
