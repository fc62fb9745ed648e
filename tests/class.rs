//! `backlings grade --class DIR`: a folder of student workspaces graded against one
//! reference; broken workspaces are roster lines, never a stopped batch.

mod common;

use std::path::Path;

use common::*;

fn write_student(class: &Path, name: &str, a1: &str, b1: &str) {
    let fixture = Fixture::new(&[Ex::new("a1", a1), Ex::new("b1", b1)]);
    copy_dir(fixture.root(), &class.join(name));
}

#[test]
fn a_class_is_graded_with_every_student_on_the_roster() {
    let reference = Fixture::new(&[
        Ex::new("a1", MARKED).info("points = 2"),
        Ex::new("b1", MARKED),
    ]);
    let class = tempfile::tempdir().unwrap();
    let dir = class.path();
    write_student(dir, "alice", &marked_solved(), &marked_solved());
    write_student(dir, "bob", MARKED, MARKED);
    write_student(
        dir,
        "carol",
        &marked_solved().replace(
            "fn main() {",
            "macro_rules! assert_eq { ($($t:tt)*) => {}; }\nfn main() {",
        ),
        MARKED,
    );
    std::fs::create_dir(dir.join("dave")).unwrap();
    std::fs::write(dir.join("dave/notes.txt"), "not a workspace").unwrap();
    let outside = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(outside.path(), dir.join("eve")).unwrap();
    write_student(dir, "frank", &marked_solved(), MARKED);
    let huge = format!("{}\n// {}\n", marked_solved(), "x".repeat(2 * 1024 * 1024));
    std::fs::write(dir.join("frank/exercises/01_basics/a1.rs"), huge).unwrap();

    let roster_csv = dir.join("roster.csv");
    let output = backlings()
        .args(["grade", "--format", "json", "--class"])
        .arg(dir)
        .arg("--against")
        .arg(reference.root())
        .arg("--report")
        .arg(format!("csv={}", roster_csv.display()))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", stderr(&output)));
    let students = json["students"].as_array().unwrap();
    let line = |name: &str| {
        students
            .iter()
            .find(|s| s["student"] == name)
            .unwrap_or_else(|| panic!("no {name}: {json:#}"))
    };
    let names: Vec<&str> = students
        .iter()
        .map(|s| s["student"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["alice", "bob", "carol", "dave", "eve", "frank"]);
    assert_eq!(line("alice")["score"], 3);
    assert_eq!(line("alice")["max_score"], 3);
    assert_eq!(line("bob")["score"], 0);
    assert_eq!(line("bob")["exercises"]["a1"]["status"], "tests_failed");
    assert_eq!(line("carol")["exercises"]["a1"]["status"], "tampered");
    assert_eq!(line("carol")["score"], 0);
    assert!(
        line("carol")["notes"][0]
            .as_str()
            .unwrap()
            .contains("defines `assert_eq!`"),
        "{json:#}"
    );
    assert!(
        line("dave")["error"]
            .as_str()
            .unwrap()
            .contains("not a workspace")
    );
    assert!(
        line("eve")["error"]
            .as_str()
            .unwrap()
            .contains("symbolic link")
    );
    assert_eq!(line("frank")["exercises"]["a1"]["status"], "unreadable");
    assert_eq!(line("frank")["error"], serde_json::Value::Null);

    let csv = std::fs::read_to_string(&roster_csv).unwrap();
    let mut rows = csv.lines();
    assert_eq!(
        rows.next(),
        Some("student,score,max_score,error,a1,b1,notes")
    );
    assert_eq!(rows.next(), Some("alice,3,3,,passed,passed,"));

    let markdown = backlings()
        .args(["grade", "--format", "markdown", "--class"])
        .arg(dir)
        .arg("--against")
        .arg(reference.root())
        .output()
        .unwrap();
    let summary = stdout(&markdown);
    assert!(summary.contains("| a1 | 1/4 | 25% |"), "{summary}");
    assert!(summary.contains("| b1 | 1/4 | 25% |"), "{summary}");
}

#[test]
fn a_missing_class_folder_or_reference_is_bad_input() {
    backlings()
        .args(["grade", "--class", "/no/such/class", "--against", "/tmp"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--class /no/such/class"));
    let class = tempfile::tempdir().unwrap();
    backlings()
        .args(["grade", "--class"])
        .arg(class.path())
        .args(["--against", "/no/such/reference"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("/no/such/reference"));
}
