//! "passed" means every test ran and reported ok: `run` on exercises whose tests never
//! report, and `check` guarding a teacher's set (markers, solution tests, warnings, wrong
//! fixes).

mod common;

use common::*;
use predicates::prelude::*;

const EXERCISE: &str = "fn answer() -> u32 {
    // TODO
    41
}

fn main() {
    println!(\"{}\", answer());
}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers() {
        assert_eq!(answer(), 42, \"the answer is 42\");
    }

    #[test]
    fn answers_twice() {
        assert_eq!(answer() * 2, 84, \"twice the answer is 84\");
    }
}
";

fn solved() -> String {
    EXERCISE.replace("    // TODO\n    41\n", "    42\n")
}

fn learner_part(text: &str) -> &str {
    &text[..text.find("// Tests:").unwrap()]
}

#[test]
fn a_test_binary_that_exits_early_does_not_pass() {
    let early_exit = EXERCISE.replace("    // TODO\n    41\n", "    std::process::exit(0)\n");
    let set = Fixture::new(&[Ex::new("a1", &early_exit)]);
    set.cmd().args(["run", "a1"]).assert().code(1).stdout(
        predicate::str::contains("never finished: the process exited with status 0 before")
            .or(predicate::str::contains("never finished")),
    );
    set.cmd()
        .arg("list")
        .assert()
        .stdout(predicate::str::contains("0 of 1 done"));
}

#[test]
fn an_ignored_test_does_not_pass() {
    let ignored = solved().replace(
        "    #[test]\n    fn answers_twice",
        "    #[test]\n    #[ignore]\n    fn answers_twice",
    );
    let set = Fixture::new(&[Ex::new("a1", &ignored)]);
    let output = set.cmd().args(["run", "a1"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let text = format!("{}{}", stdout(&output), stderr(&output));
    assert!(
        text.contains("test `tests::answers_twice` was skipped (#[ignore])"),
        "{text}"
    );
}

#[test]
fn honest_work_still_passes_run() {
    let set = Fixture::new(&[Ex::new("a1", &solved())]);
    set.cmd().args(["run", "a1"]).assert().success();
}

fn check_problems(set: &Fixture, extra: &[&str]) -> Vec<(String, String, String)> {
    let output = set
        .cmd()
        .args(["check", "--format", "json"])
        .args(extra)
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", stderr(&output)));
    json["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["ok"] == false)
        .map(|e| {
            (
                e["name"].as_str().unwrap().to_string(),
                e["status"].as_str().unwrap().to_string(),
                e["message"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn check_guards_the_tests_of_a_set() {
    let weakened = solved().replace(
        "assert_eq!(answer() * 2, 84, \"twice the answer is 84\");",
        "",
    );
    let no_marker = "fn main() {}\n\nfn helper() -> u32 {\n    1\n}\n";
    let no_tests = EXERCISE[..EXERCISE.find("#[cfg(test)]").unwrap()].to_string()
        + "#[cfg(test)]\nmod tests {}\n";
    let set = Fixture::new(&[
        Ex::new("weak", EXERCISE).solution(&weakened),
        Ex::new("unmarked", no_marker).solution(no_marker),
        Ex::new("empty", &no_tests).solution(&no_tests.replace("41", "42")),
    ]);
    let statuses: Vec<(String, String)> = check_problems(&set, &[])
        .into_iter()
        .map(|(name, status, _)| (name, status))
        .collect();
    for expected in [
        ("weak", "solution_tests_differ"),
        ("unmarked", "no_marker"),
        ("empty", "no_tests"),
    ] {
        assert!(
            statuses.contains(&(expected.0.into(), expected.1.into())),
            "{expected:?} not in {statuses:?}"
        );
    }
}

#[test]
fn check_rejects_solutions_with_warnings_unless_allowed() {
    let warned = solved().replace("fn main() {", "fn unused_helper() {}\n\nfn main() {");
    let set = Fixture::new(&[Ex::new("a1", EXERCISE).solution(&warned)]);
    let problems = check_problems(&set, &[]);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].1, "warnings");
    assert!(problems[0].2.contains("1 compiler warning"), "{problems:?}");
    assert!(check_problems(&set, &["--allow-warnings"]).is_empty());
}

#[test]
fn check_proves_that_wrong_fixes_fail() {
    let set = Fixture::new(&[Ex::new("a1", EXERCISE).solution(&solved())]);
    // Rejected by one test: the right wrong fix.
    set.write(
        "wrong/a1/off_by_one.rs",
        &format!(
            "// wrong fix: returns 43\n{}",
            learner_part(EXERCISE).replace("    // TODO\n    41\n", "    43\n")
        ),
    );
    let problems = check_problems(&set, &[]);
    assert!(problems.is_empty(), "{problems:?}");
    let output = set
        .cmd()
        .args(["check", "--format", "json"])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let wrong = json["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "wrong_fix")
        .expect("a wrong fix entry");
    assert_eq!(wrong["name"], "a1/off_by_one");
    assert_eq!(wrong["path"], "wrong/a1/off_by_one.rs");
    assert_eq!(
        wrong["message"],
        "rejected by `tests::answers`, `tests::answers_twice`"
    );

    // A wrong fix the tests accept, one that does not build, and a stray folder.
    set.write(
        "wrong/a1/lucky.rs",
        &format!(
            "// wrong fix: hard-codes the answer\n{}",
            learner_part(&solved())
        ),
    );
    set.write(
        "wrong/a1/broken.rs",
        "// wrong fix: does not even build\nfn answer() -> u32 { \"no\" }\nfn main() {}\n",
    );
    set.write("wrong/nosuch/x.rs", "fn main() {}\n");
    let problems = check_problems(&set, &[]);
    let statuses: Vec<(&str, &str)> = problems
        .iter()
        .map(|(name, status, _)| (name.as_str(), status.as_str()))
        .collect();
    assert_eq!(
        statuses,
        [
            ("nosuch", "wrong_fix_unknown_exercise"),
            ("a1/broken", "compile_error"),
            ("a1/lucky", "passed"),
        ],
        "{problems:?}"
    );
    assert!(problems[2].2.starts_with("PASSES"), "{problems:?}");
}

#[test]
fn a_new_set_ships_a_wrong_fix_that_check_rejects() {
    let dir = Fixture::empty();
    std::fs::create_dir(dir.path("myset")).unwrap();
    backlings()
        .current_dir(dir.root())
        .args(["new", "myset"])
        .assert()
        .code(0);
    let output = backlings()
        .current_dir(dir.path("myset"))
        .args(["check", "--format", "json"])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["ok"], true, "{json:#}");
    let kinds: Vec<&str> = json["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["exercise", "solution", "wrong_fix"]);
}

#[test]
fn a_rustlings_set_without_markers_keeps_its_own_rules() {
    // rustlings lets the learner edit tests (some lessons are about writing them): a set
    // with no marker anywhere is not asked for one, nor for identical solution tests.
    let exercise = PASSING.replace("assert_eq!(answer(), 42);", "// TODO: assert the answer");
    let set = Fixture::new(&[Ex::new("tests1", &exercise).solution(PASSING)]);
    let problems = check_problems(&set, &[]);
    assert!(
        problems
            .iter()
            .all(|(_, status, _)| status != "no_marker" && status != "solution_tests_differ"),
        "{problems:?}"
    );
}
