//! GitHub Classroom's runner result: the JSON document a grading step publishes (base64
//! encoded) as its `result` output for the autograding reporter, which prints the table
//! and posts the points. One test per exercise; set-level problems (tampering with the
//! Cargo package, say) are tests worth no points, so the learner sees them.

use serde::Serialize;

use super::{Entry, Kind, Report};

#[derive(Serialize)]
struct RunnerResult<'a> {
    version: u32,
    status: &'static str,
    max_score: u32,
    tests: Vec<TestResult<'a>>,
}

#[derive(Serialize)]
struct TestResult<'a> {
    name: &'a str,
    status: &'static str,
    score: u32,
    max_score: u32,
    message: &'a str,
    test_code: String,
    filename: &'a str,
    line_no: u32,
    execution_time: String,
}

/// The report as a Classroom runner result.
pub fn to_classroom(report: &Report) -> String {
    let tests: Vec<TestResult> = report
        .entries
        .iter()
        .filter(|e| matches!(e.kind, Kind::Exercise | Kind::Set))
        .map(test_result)
        .collect();
    let errored = report.entries.is_empty();
    let result = RunnerResult {
        version: 1,
        status: if errored {
            "error"
        } else if report.is_ok() {
            "pass"
        } else {
            "fail"
        },
        max_score: report.totals().max_score,
        tests,
    };
    serde_json::to_string(&result).unwrap_or_else(|_| "{}".into())
}

fn test_result(entry: &Entry) -> TestResult<'_> {
    TestResult {
        name: &entry.name,
        status: if entry.ok { "pass" } else { "fail" },
        score: entry.score,
        max_score: entry.max_score,
        message: &entry.message,
        test_code: format!("backlings grade {}", entry.name),
        filename: &entry.path,
        line_no: 0,
        execution_time: format!("{:.2}s", entry.duration.as_secs_f64()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn one_test_per_exercise_with_points() {
        let mut report = Report::new("grade");
        for (name, ok) in [("intro1", true), ("intro2", false)] {
            report.entries.push(Entry {
                name: name.into(),
                path: format!("exercises/00_intro/{name}.rs"),
                kind: Kind::Exercise,
                ok,
                status: "passed".into(),
                message: "m".into(),
                duration: Duration::from_millis(1500),
                output: String::new(),
                notes: Vec::new(),
                score: u32::from(ok) * 5,
                max_score: 5,
            });
        }
        let json: serde_json::Value = serde_json::from_str(&to_classroom(&report)).unwrap();
        assert_eq!(json["version"], 1);
        assert_eq!(json["status"], "fail");
        assert_eq!(json["max_score"], 10);
        assert_eq!(json["tests"][0]["status"], "pass");
        assert_eq!(json["tests"][0]["score"], 5);
        assert_eq!(json["tests"][1]["score"], 0);
        assert_eq!(json["tests"][1]["max_score"], 5);
        assert_eq!(json["tests"][1]["execution_time"], "1.50s");
    }
}
