//! Exercises where the learner writes the tests (`mode = "tests"`): the tests must pass
//! against the given implementation and kill every mutant of it.

mod common;

use common::*;
use predicates::prelude::*;

const IMPLEMENTATION: &str = "/// An age as stored: clamped to 0..=150.
fn clamp_age(age: i32) -> i32 {
    age.clamp(0, 150)
}

fn main() {
    println!(\"{}\", clamp_age(200));
}

";
const MARKER: &str = "// Your tests: write them below this line.\n";
const NO_TESTS: &str = "#[cfg(test)]\nmod tests {\n    // Test clamp_age here.\n}\n";
const GOOD_TESTS: &str = "#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_ages_in_range() {
        assert_eq!(clamp_age(30), 30, \"an ordinary age is kept\");
        assert_eq!(clamp_age(150), 150, \"150 is the oldest age kept\");
    }

    #[test]
    fn clamps_ages_out_of_range() {
        assert_eq!(clamp_age(-1), 0, \"a negative age becomes 0\");
        assert_eq!(clamp_age(151), 150, \"above 150 becomes 150\");
    }
}
";
const HAPPY_PATH_ONLY: &str = "#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_an_age() {
        assert_eq!(clamp_age(30), 30, \"an ordinary age is kept\");
    }
}
";

fn file(tests: &str) -> String {
    format!("{IMPLEMENTATION}{MARKER}{tests}")
}

fn tests_set() -> Fixture {
    let set = Fixture::new(&[Ex::new("ages1", &file(NO_TESTS))
        .solution(&file(GOOD_TESTS))
        .info("mode = \"tests\"")]);
    set.write(
        "mutants/ages1/no_lower_bound.rs",
        &format!(
            "// mutant: lets negative ages through\n{}",
            IMPLEMENTATION.replace("age.clamp(0, 150)", "age.min(150)")
        ),
    );
    set.write(
        "mutants/ages1/caps_at_100.rs",
        &format!(
            "// mutant: caps ages at 100\n{}",
            IMPLEMENTATION.replace("age.clamp(0, 150)", "age.clamp(0, 100)")
        ),
    );
    set
}

fn check_json(set: &Fixture) -> serde_json::Value {
    let output = set
        .cmd()
        .args(["check", "--format", "json"])
        .output()
        .unwrap();
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", stdout(&output), stderr(&output)))
}

#[test]
fn check_proves_the_reference_tests_kill_every_mutant() {
    let set = tests_set();
    set.write("wrong/ages1/happy_path_only.rs", HAPPY_PATH_ONLY);
    let json = check_json(&set);
    assert_eq!(json["ok"], true, "{json:#}");
    let wrong = json["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "wrong_fix")
        .unwrap();
    assert_eq!(
        wrong["message"],
        "rejected: your tests accept an implementation that caps ages at 100, and one that lets negative ages through"
    );

    // A mutant the reference tests let through is the set's problem.
    set.write(
        "mutants/ages1/same_behaviour.rs",
        &format!(
            "// mutant: is written differently\n{}",
            IMPLEMENTATION.replace("age.clamp(0, 150)", "age.max(0).min(150)")
        ),
    );
    let json = check_json(&set);
    let solution = json["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "solution")
        .unwrap();
    assert_eq!(solution["ok"], false, "{json:#}");
    assert_eq!(solution["status"], "mutants_survived");
}

#[test]
fn the_learner_is_told_which_mutant_survived() {
    let set = tests_set();
    set.write("exercises/01_basics/ages1.rs", &file(HAPPY_PATH_ONLY));
    set.cmd()
        .args(["run", "ages1"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "your tests accept an implementation that caps ages at 100, and one that lets negative ages through",
        ));
    set.write("exercises/01_basics/ages1.rs", &file(GOOD_TESTS));
    set.cmd()
        .args(["run", "ages1"])
        .assert()
        .success()
        .stdout(predicate::str::contains("mutants: 2 of 2 killed"));
}

#[test]
fn grading_keeps_the_reference_implementation_and_mutants() {
    let reference = tests_set();
    let learner = tests_set();
    // Good tests, but the implementation "simplified" so that weak tests would do.
    learner.write(
        "exercises/01_basics/ages1.rs",
        &file(GOOD_TESTS).replace("age.clamp(0, 150)", "30"),
    );
    std::fs::remove_dir_all(learner.path("mutants")).unwrap();
    let output = learner
        .cmd()
        .args(["grade", "--format", "json", "--against"])
        .arg(reference.root())
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let entry = &json["entries"][0];
    assert_eq!(entry["status"], "tampered", "{json:#}");
    let message = entry["message"].as_str().unwrap();
    assert!(
        message.contains("the implementation above the marker was edited")
            && message.ends_with("against the reference's tests: passed"),
        "graded with the reference's implementation and mutants: {message}"
    );

    // Tests that tell mutants by their text are no tests.
    let textual = HAPPY_PATH_ONLY.replace(
        "assert_eq!(clamp_age(30), 30, \"an ordinary age is kept\");",
        "assert!(include_str!(file!()).contains(\"clamp(0, 150)\"), \"the real one\");",
    );
    learner.write("exercises/01_basics/ages1.rs", &file(&textual));
    let output = learner
        .cmd()
        .args(["grade", "--format", "json", "--against"])
        .arg(reference.root())
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["entries"][0]["status"], "tampered", "{json:#}");
    assert!(
        json["entries"][0]["message"]
            .as_str()
            .unwrap()
            .contains("reads source code"),
        "{json:#}"
    );
}
