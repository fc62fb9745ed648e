//! `backlings ci`: the workflows parse as YAML, every step has the fields its action
//! needs, and the grading command they contain works on a learner's repository.

mod common;

use std::path::Path;

use common::*;
use predicates::prelude::*;
use yaml_rust2::{Yaml, YamlLoader};

/// A learner's repository with a1 solved and b1 not, and the teacher's reference.
fn repositories() -> (Fixture, Fixture) {
    let reference = Fixture::new(&[
        Ex::new("a1", MARKED).info("points = 3"),
        Ex::new("b1", MARKED),
    ]);
    let learner = Fixture::new(&[Ex::new("a1", &marked_solved()), Ex::new("b1", MARKED)]);
    (learner, reference)
}

fn load(path: &Path) -> Yaml {
    let text = std::fs::read_to_string(path).unwrap();
    YamlLoader::load_from_str(&text)
        .unwrap_or_else(|e| panic!("{} is not YAML: {e}\n{text}", path.display()))
        .remove(0)
}

fn step<'a>(steps: &'a Yaml, name: &str) -> &'a Yaml {
    steps
        .as_vec()
        .unwrap()
        .iter()
        .find(|s| s["name"].as_str() == Some(name))
        .unwrap_or_else(|| panic!("no step {name}: {steps:?}"))
}

/// Runs the `backlings grade` line of a CI script in `dir`, with the reference where CI
/// checks it out and the built backlings first on PATH.
fn run_grade_line(script: &str, dir: &Path, reference: &Fixture) -> std::process::Output {
    let line = script
        .lines()
        .map(str::trim)
        .map(|l| l.trim_start_matches("- "))
        .find(|l| l.starts_with("backlings grade"))
        .unwrap_or_else(|| panic!("no grading command in {script}"));
    let command = line.split(" || ").next().unwrap();
    copy_dir(reference.root(), &dir.join(".backlings-reference"));
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_backlings")).parent().unwrap();
    let path = format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap());
    std::process::Command::new("sh")
        .arg("-c")
        .arg(command)
        .current_dir(dir)
        .env("PATH", path)
        .env("NO_COLOR", "1")
        .env("BACKLINGS_CACHE_DIR", cache_dir())
        .env_remove("GITHUB_STEP_SUMMARY")
        .output()
        .unwrap()
}

#[test]
fn the_classroom_workflow_feeds_the_reporter() {
    let (learner, reference) = repositories();
    learner
        .cmd()
        .args([
            "ci",
            "github",
            "--classroom",
            "--reference-repo",
            "school/course",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains(".github/workflows/classroom.yml"));
    let workflow = load(&learner.path(".github/workflows/classroom.yml"));
    assert_eq!(workflow["permissions"]["checks"].as_str(), Some("write"));
    let job = &workflow["jobs"]["grade"];
    assert_eq!(job["name"].as_str(), Some("Autograding Tests"));
    let steps = &job["steps"];
    let reference_step = step(steps, "Check out the reference");
    assert_eq!(reference_step["uses"].as_str(), Some("actions/checkout@v4"));
    assert_eq!(
        reference_step["with"]["repository"].as_str(),
        Some("school/course")
    );
    assert_eq!(
        reference_step["with"]["path"].as_str(),
        Some(".backlings-reference")
    );
    let grade = step(steps, "Grade");
    assert_eq!(grade["id"].as_str(), Some("backlings"));
    let script = grade["run"].as_str().unwrap();
    assert!(
        script.contains("result=$(base64 -w0 backlings-classroom.json)"),
        "{script}"
    );
    let junit = step(steps, "Test report");
    assert_eq!(junit["if"].as_str(), Some("always()"));
    assert_eq!(
        junit["with"]["report_paths"].as_str(),
        Some("backlings-junit.xml")
    );
    let reporter = step(steps, "Autograding Reporter");
    assert_eq!(
        reporter["uses"].as_str(),
        Some("education/autograding-grading-reporter@v1")
    );
    assert_eq!(reporter["with"]["runners"].as_str(), Some("backlings"));
    assert_eq!(
        reporter["env"]["BACKLINGS_RESULTS"].as_str(),
        Some("${{ steps.backlings.outputs.result }}")
    );

    let output = run_grade_line(script, learner.root(), &reference);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let result: serde_json::Value =
        serde_json::from_str(&learner.read("backlings-classroom.json")).unwrap();
    assert_eq!(result["version"], 1);
    assert_eq!(result["status"], "fail");
    assert_eq!(result["max_score"], 4);
    let scores: Vec<(String, u64)> = result["tests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["name"].as_str().unwrap().into(),
                t["score"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(scores, [("a1".to_string(), 3), ("b1".to_string(), 0)]);
    let junit = learner.read("backlings-junit.xml");
    quick_junit::Report::deserialize_from_str(&junit).expect("the JUnit report parses");
    assert!(
        learner
            .read("backlings-summary.md")
            .contains("3 / 4 points")
    );
}

#[test]
fn the_gitlab_pipeline_publishes_junit() {
    let (learner, reference) = repositories();
    learner
        .cmd()
        .args([
            "ci",
            "gitlab",
            "--reference-repo",
            "https://example.org/course.git",
        ])
        .assert()
        .success();
    let pipeline = load(&learner.path(".gitlab-ci.yml"));
    let job = &pipeline["grade"];
    assert_eq!(
        job["artifacts"]["reports"]["junit"].as_str(),
        Some("backlings-junit.xml")
    );
    assert_eq!(job["artifacts"]["when"].as_str(), Some("always"));
    let script: Vec<&str> = job["script"]
        .as_vec()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    assert!(
        script
            .iter()
            .any(|l| l.starts_with("git clone --depth 1 https://example.org/course.git")),
        "{script:?}"
    );
    let output = run_grade_line(&script.join("\n"), learner.root(), &reference);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(learner.path("backlings-junit.xml").is_file());
}

#[test]
fn a_workflow_is_never_overwritten_silently() {
    let (learner, _) = repositories();
    let args = ["ci", "github", "--reference-repo", "school/course"];
    learner.cmd().args(args).assert().success();
    learner.write(".github/workflows/backlings.yml", "# mine\n");
    learner
        .cmd()
        .args(args)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--force"));
    assert_eq!(learner.read(".github/workflows/backlings.yml"), "# mine\n");
    learner.cmd().args(args).arg("--force").assert().success();
    let backups: Vec<_> = std::fs::read_dir(learner.path(".backlings/backups"))
        .unwrap()
        .flatten()
        .collect();
    assert_eq!(backups.len(), 1);
    assert_eq!(
        std::fs::read_to_string(backups[0].path()).unwrap(),
        "# mine\n"
    );
}

#[test]
fn a_set_not_made_by_init_needs_a_reference_repository() {
    let (learner, _) = repositories();
    learner
        .cmd()
        .args(["ci", "github"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--reference-repo"));
}
