//! `backlings grade` against a reference: what a learner who wants the green tick without
//! doing the work would try, and the honest verdict each gets.

mod common;

use common::*;
use predicates::prelude::*;

/// An exercise with the marker: the learner must make `answer` return 42.
const EXERCISE: &str = "fn answer() -> u32 {
    // TODO: the right answer
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
        assert!(answer() + answer() == 84, \"twice the answer is 84\");
    }
}
";

fn solved() -> String {
    EXERCISE.replace("    // TODO: the right answer\n    41\n", "    42\n")
}

/// The learner's part replaced by `code` (the tests left as they are).
fn with_learner_part(code: &str) -> String {
    let tests = &EXERCISE[EXERCISE.find("// Tests:").unwrap()..];
    format!("{code}\n{tests}")
}

fn reference() -> Fixture {
    Fixture::new(&[
        Ex::new("a1", EXERCISE).solution(&solved()),
        Ex::new("b1", EXERCISE).solution(&solved()),
    ])
}

/// A learner's workspace: the reference's set with a1 as given and b1 solved honestly.
fn learner(a1: &str) -> Fixture {
    Fixture::new(&[Ex::new("a1", a1), Ex::new("b1", &solved())])
}

struct Graded {
    code: Option<i32>,
    json: serde_json::Value,
    stderr: String,
}

impl Graded {
    fn entry(&self, name: &str) -> &serde_json::Value {
        self.json["entries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["name"] == name)
            .unwrap_or_else(|| panic!("no entry {name}: {:#}", self.json))
    }

    fn status(&self, name: &str) -> &str {
        self.entry(name)["status"].as_str().unwrap()
    }
}

fn grade(learner: &Fixture, reference: &Fixture) -> Graded {
    let output = learner
        .cmd()
        .args(["grade", "--format", "json", "--against"])
        .arg(reference.root())
        .output()
        .unwrap();
    let json = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", stdout(&output), stderr(&output)));
    Graded {
        code: output.status.code(),
        json,
        stderr: stderr(&output),
    }
}

#[test]
fn honest_work_passes() {
    let graded = grade(&learner(&solved()), &reference());
    assert_eq!(graded.code, Some(0), "{:#}", graded.json);
    assert_eq!(graded.status("a1"), "passed");
    assert_eq!(graded.entry("a1")["notes"], serde_json::json!([]));
}

#[test]
fn exiting_before_the_tests_report_does_not_pass() {
    let cheat =
        with_learner_part("fn answer() -> u32 {\n    std::process::exit(0)\n}\n\nfn main() {}\n");
    let graded = grade(&learner(&cheat), &reference());
    assert_eq!(graded.code, Some(1));
    assert_eq!(graded.status("a1"), "tests_unreported", "{:#}", graded.json);
    let message = graded.entry("a1")["message"].as_str().unwrap();
    assert!(
        message.contains("never finished: the process exited with status 0 before"),
        "{message}"
    );
}

#[test]
fn shadowed_assertions_are_tampering_and_graded_with_the_real_ones() {
    for shadow in [
        "macro_rules! assert_eq {\n    ($($t:tt)*) => {};\n}\nmacro_rules! assert {\n    ($($t:tt)*) => {};\n}\n",
        "#[macro_use]\nmod quiet {\n    macro_rules! assert_eq { ($($t:tt)*) => {} }\n    macro_rules! assert { ($($t:tt)*) => {} }\n}\n",
    ] {
        let cheat = EXERCISE.replace("fn main() {", &format!("{shadow}\nfn main() {{"));
        let graded = grade(&learner(&cheat), &reference());
        assert_eq!(graded.code, Some(1));
        let a1 = graded.entry("a1");
        assert_eq!(a1["status"], "tampered", "{a1:#}");
        assert_eq!(a1["ok"], false);
        let message = a1["message"].as_str().unwrap();
        assert!(message.contains("defines `assert_eq!`"), "{message}");
        assert!(
            message.ends_with("against the reference's tests: tests failed"),
            "the real assertions ran: {message}"
        );
    }
}

#[test]
fn edited_or_switched_off_tests_are_graded_with_the_reference_tests() {
    for cheat in [
        EXERCISE.replace("    #[test]\n", "    #[test]\n    #[ignore]\n"),
        EXERCISE.replace(
            "#[cfg(test)]",
            "#[cfg(any(test, not(test)))]\n#[cfg(all())]",
        ),
        EXERCISE.replace("#[cfg(test)]", "#[cfg( test , )]\n#[cfg(any())]"),
        EXERCISE.replace("assert_eq!(answer(), 42", "assert_eq!(answer(), 41"),
        EXERCISE.replace(
            "#[cfg(test)]\nmod tests {",
            "#[cfg(test)]\nmod tests {\n    #![cfg(not(test))]",
        ),
    ] {
        let graded = grade(&learner(&cheat), &reference());
        let a1 = graded.entry("a1");
        assert_eq!(a1["status"], "tampered", "{cheat}\n{a1:#}");
        let message = a1["message"].as_str().unwrap();
        assert!(
            message.contains("the tests below the marker were edited")
                && message.ends_with("against the reference's tests: tests failed"),
            "{message}"
        );
    }
}

#[test]
fn code_that_knows_it_is_under_test_is_tampering() {
    for cheat in [
        "fn answer() -> u32 {\n    if cfg!(test) { 42 } else { 0 }\n}\n\nfn main() {}\n",
        "#[cfg(any(test))]\nfn answer() -> u32 {\n    42\n}\n#[cfg(not(test))]\nfn answer() -> u32 {\n    0\n}\n\nfn main() {}\n",
        "fn answer() -> u32 {\n    42\n}\n\nfn main() {}\n\n#[test]\nfn my_own() {}\n",
    ] {
        let graded = grade(&learner(&with_learner_part(cheat)), &reference());
        assert_eq!(
            graded.status("a1"),
            "tampered",
            "{cheat}\n{:#}",
            graded.json
        );
    }
}

#[test]
fn the_learners_manifest_changes_nothing_but_is_reported() {
    let learner = learner(&solved());
    let manifest = learner.read("info.toml");
    // `test = false` for a1, and b1 removed: both still graded by the reference's manifest.
    let edited = manifest.replacen("name = \"a1\"\n", "name = \"a1\"\ntest = false\n", 1);
    let edited = edited[..edited.find("\n[[exercises]]\nname = \"b1\"").unwrap()].to_string();
    learner.write("info.toml", &edited);
    learner.write(
        "exercises/01_basics/a1.rs",
        &with_learner_part("fn answer() -> u32 {\n    0\n}\n\nfn main() {}\n"),
    );
    let graded = grade(&learner, &reference());
    let a1 = graded.entry("a1");
    assert_eq!(a1["status"], "tampered", "{a1:#}");
    assert!(
        a1["message"]
            .as_str()
            .unwrap()
            .contains("info.toml changes `test`"),
        "{a1:#}"
    );
    assert!(
        graded.entry("b1")["message"]
            .as_str()
            .unwrap()
            .contains("info.toml no longer lists this exercise"),
        "b1 does not disappear: {:#}",
        graded.json
    );
}

#[test]
fn missing_and_extra_exercises_are_reported_and_counted() {
    let learner = learner(&solved());
    std::fs::remove_file(learner.path("exercises/01_basics/b1.rs")).unwrap();
    learner.write("exercises/01_basics/scratch.rs", "fn main() {}\n");
    let graded = grade(&learner, &reference());
    assert_eq!(graded.code, Some(1));
    assert_eq!(graded.status("b1"), "missing");
    assert_eq!(graded.status("scratch"), "extra");
    assert_eq!(graded.json["totals"]["total"], 3);
}

#[test]
fn the_learners_build_script_and_cargo_files_are_not_used() {
    let learner = learner(&solved());
    let proof = learner.path("build-script-ran");
    learner.write(
        "build.rs",
        &format!(
            "fn main() {{ std::fs::write({:?}, \"ran\").unwrap(); }}\n",
            proof.display().to_string()
        ),
    );
    let graded = grade(&learner, &reference());
    assert!(
        !proof.exists(),
        "the learner's build script ran during grading"
    );
    assert_eq!(graded.status("a1"), "passed");
    assert_eq!(
        graded.status("cargo_package"),
        "tampered",
        "{:#}",
        graded.json
    );
}

#[test]
fn progress_lines_and_the_summary_agree() {
    let cheat = EXERCISE.replace(
        "fn main() {",
        "macro_rules! assert_eq { ($($t:tt)*) => {}; }\nmacro_rules! assert { ($($t:tt)*) => {}; }\nfn main() {",
    );
    let graded = grade(&learner(&cheat), &reference());
    assert!(
        graded.stderr.contains("FAIL exercise  a1: tampered"),
        "{}",
        graded.stderr
    );
    assert!(
        !graded.stderr.contains("ok   exercise  a1"),
        "{}",
        graded.stderr
    );
    assert!(
        graded.stderr.contains("ok   exercise  b1: passed"),
        "{}",
        graded.stderr
    );
}

#[test]
fn a_tampered_workspace_reads_well() {
    let learner = learner(&EXERCISE.replace(
        "fn main() {",
        "macro_rules! assert_eq { ($($t:tt)*) => {}; }\nfn main() {",
    ));
    let b1 = solved().replace("assert!(answer() + answer() == 84", "assert!(true");
    learner.write("exercises/01_basics/b1.rs", &b1);
    let graded = grade(&learner, &reference());
    let lines: Vec<String> = graded.json["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{} {} ok={} {}: {}",
                e["kind"].as_str().unwrap(),
                e["name"].as_str().unwrap(),
                e["ok"],
                e["status"].as_str().unwrap(),
                e["message"].as_str().unwrap()
            )
        })
        .collect();
    insta::assert_snapshot!(lines.join("\n"));
    let human = learner
        .cmd()
        .args(["grade", "--against"])
        .arg(reference().root())
        .output()
        .unwrap();
    let summary = stdout(&human);
    let summary = &summary[..summary.rfind("checked in").unwrap()];
    insta::assert_snapshot!(summary);
}

#[test]
fn a_bad_reference_is_bad_input() {
    let learner = learner(&solved());
    learner
        .cmd()
        .args(["grade", "--against", "/no/such/reference"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("/no/such/reference"));
    let not_a_set = tempfile::tempdir().unwrap();
    learner
        .cmd()
        .args(["grade", "--against"])
        .arg(not_a_set.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not an exercise set"));
    learner
        .cmd()
        .args(["grade", "--against"])
        .arg(learner.path("exercises/.."))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("is the workspace being graded"));
    learner
        .cmd()
        .arg("grade")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--against DIR"));
}

#[test]
fn a_relative_reference_is_found_from_the_current_directory() {
    let parent = tempfile::tempdir().unwrap();
    let reference = reference();
    let learner = learner(&solved());
    let link = parent.path().join("ref");
    std::os::unix::fs::symlink(reference.root(), &link).unwrap();
    let output = backlings()
        .current_dir(parent.path())
        .arg("-C")
        .arg(learner.root())
        .args(["grade", "--format", "json", "--against", "ref"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
}
