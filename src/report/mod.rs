//! Reports of `check` and `grade`: what was verified, per exercise and solution, and the
//! set-level problems. Building a report is pure; rendering gives human text, JSON, or
//! JUnit XML from the same [`Report`].

mod classroom;
mod markdown;

pub use classroom::to_classroom;
pub use markdown::to_markdown;

use std::fmt::Write as _;
use std::time::Duration;

use serde::Serialize;

use crate::pipeline::{Outcome, Variant, Verdict};

/// Bytes of captured output kept per entry in JSON and JUnit reports.
pub const REPORT_OUTPUT_CAP: usize = 16 * 1024;

/// What an entry is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Exercise,
    Solution,
    /// The set itself: manifest, files, Cargo bins, formatting.
    Set,
    /// A known wrong fix of an exercise, which the exercise's tests must reject.
    #[serde(rename = "wrong_fix")]
    WrongFix,
}

impl Kind {
    /// Every kind, in report order.
    pub const ALL: [Kind; 4] = [Kind::Set, Kind::Exercise, Kind::Solution, Kind::WrongFix];

    pub fn suite_name(self) -> &'static str {
        match self {
            Kind::Exercise => "exercises",
            Kind::Solution => "solutions",
            Kind::Set => "set",
            Kind::WrongFix => "wrong fixes",
        }
    }

    /// One entry of the kind, in words.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Exercise => "exercise",
            Kind::Solution => "solution",
            Kind::Set => "set",
            Kind::WrongFix => "wrong fix",
        }
    }
}

impl From<Variant> for Kind {
    fn from(variant: Variant) -> Self {
        match variant {
            Variant::Exercise => Kind::Exercise,
            Variant::Solution => Kind::Solution,
        }
    }
}

/// One line of a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    pub name: String,
    pub path: String,
    pub kind: Kind,
    /// Whether this entry is as it should be (for `check`, an exercise that fails is ok).
    pub ok: bool,
    /// Machine-readable status: a verdict (`passed`, `tests_failed`, ...) or a problem
    /// (`missing_file`, `unlisted_file`, `bins_out_of_date`, `unformatted`, `tampered`, ...).
    pub status: String,
    /// One human sentence: the verdict, or what is wrong and what to do.
    pub message: String,
    #[serde(serialize_with = "as_secs")]
    pub duration: Duration,
    pub output: String,
    /// What was changed that should not have been (grading): below the marker, in the
    /// manifest, or code above the marker that would change what the tests check.
    pub notes: Vec<String>,
    /// Points earned (grading): the exercise's points when it passed, else 0.
    pub score: u32,
    /// Points the entry is worth (grading); 0 for entries that carry no points.
    pub max_score: u32,
}

fn as_secs<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64((d.as_secs_f64() * 1000.0).round() / 1000.0)
}

/// A whole report.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    /// `check` or `grade`.
    pub command: String,
    pub entries: Vec<Entry>,
    #[serde(serialize_with = "as_secs")]
    pub duration: Duration,
}

/// Totals for the summary.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    pub total: usize,
    pub ok: usize,
    pub problems: usize,
    pub score: u32,
    pub max_score: u32,
}

impl Report {
    pub fn new(command: &str) -> Self {
        Self {
            command: command.into(),
            ..Self::default()
        }
    }

    pub fn totals(&self) -> Totals {
        let ok = self.entries.iter().filter(|e| e.ok).count();
        Totals {
            total: self.entries.len(),
            ok,
            problems: self.entries.len() - ok,
            score: self.entries.iter().map(|e| e.score).sum(),
            max_score: self.entries.iter().map(|e| e.max_score).sum(),
        }
    }

    pub fn is_ok(&self) -> bool {
        self.entries.iter().all(|e| e.ok)
    }

    /// Entries in a stable order: set problems, then exercises and solutions by name order
    /// of arrival.
    pub fn sort(&mut self) {
        self.entries
            .sort_by_key(|e| Kind::ALL.iter().position(|k| *k == e.kind));
    }
}

/// A set-level problem entry.
pub fn problem(name: &str, path: &str, status: &str, message: String) -> Entry {
    Entry {
        name: name.into(),
        path: path.into(),
        kind: Kind::Set,
        ok: false,
        status: status.into(),
        message,
        duration: Duration::ZERO,
        output: String::new(),
        notes: Vec::new(),
        score: 0,
        max_score: 0,
    }
}

/// `check`'s judgement of a run: exercises must fail as shipped, solutions must pass.
pub fn judge_check(outcome: &Outcome, path: &str) -> Entry {
    let verdict = &outcome.verdict;
    let (ok, message) = match (outcome.variant, verdict) {
        (_, Verdict::NotABin) => (
            false,
            format!("{path} is not a bin of the Cargo package; run `backlings sync`"),
        ),
        // Its tests never ran: neither "fails as shipped" nor "passes" is known.
        (_, Verdict::Environment { why }) => (false, format!("not checked: {why}")),
        (Variant::Exercise, Verdict::Passed) => (
            false,
            "passes as shipped: it must fail until the learner fixes it (or set skip_check_unsolved)"
                .to_string(),
        ),
        (Variant::Exercise, Verdict::NoTests) => (
            false,
            "has no tests: a test exercise needs at least one #[test] below the marker".to_string(),
        ),
        (Variant::Exercise, verdict) => (true, format!("fails as shipped: {verdict}")),
        (Variant::Solution, Verdict::Passed) => (true, "passes".to_string()),
        (Variant::Solution, verdict) => (false, format!("solution does not pass: {verdict}")),
    };
    entry_from(outcome, path, ok, message)
}

/// `check`'s judgement of a wrong fix: the exercise's tests must reject it, and it must
/// build (a wrong fix that does not compile proves nothing about the tests).
pub fn judge_wrong_fix(outcome: &Outcome, path: &str) -> Entry {
    let (ok, message) = match &outcome.verdict {
        Verdict::Passed => (
            false,
            "PASSES: the exercise's tests accept this wrong fix; strengthen them".to_string(),
        ),
        Verdict::CompileError => (
            false,
            "does not compile: a wrong fix must build, so that the tests are what reject it"
                .to_string(),
        ),
        Verdict::NotABin
        | Verdict::Cancelled
        | Verdict::MutantsNotRun { .. }
        | Verdict::Environment { .. } => {
            (false, format!("could not be tried: {}", outcome.verdict))
        }
        Verdict::TestsFailed if !outcome.failed_tests.is_empty() => (
            true,
            format!(
                "rejected by {}",
                outcome
                    .failed_tests
                    .iter()
                    .map(|t| format!("`{t}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ),
        verdict => (true, format!("rejected: {verdict}")),
    };
    let mut entry = entry_from(outcome, path, ok, message);
    entry.kind = Kind::WrongFix;
    entry
}

/// `grade`'s judgement: an exercise passes when the reference's tests all pass against
/// the learner's code and nothing was tampered with; it then earns its `points`. Notes
/// keep the honest verdict.
pub fn judge_grade(outcome: &Outcome, path: &str, notes: &[String], points: u32) -> Entry {
    let mut entry = judge_grade_unscored(outcome, path, notes);
    entry.max_score = points;
    entry.score = if entry.ok { points } else { 0 };
    entry
}

fn judge_grade_unscored(outcome: &Outcome, path: &str, notes: &[String]) -> Entry {
    if notes.is_empty() {
        return entry_from(
            outcome,
            path,
            outcome.verdict.passed(),
            outcome.verdict.to_string(),
        );
    }
    let mut entry = entry_from(
        outcome,
        path,
        false,
        format!(
            "tampered: {}; against the reference's tests: {}",
            notes.join("; "),
            outcome.verdict
        ),
    );
    entry.status = "tampered".into();
    entry.notes = notes.to_vec();
    entry
}

fn entry_from(outcome: &Outcome, path: &str, ok: bool, message: String) -> Entry {
    Entry {
        name: outcome.name.clone(),
        path: path.into(),
        kind: outcome.variant.into(),
        ok,
        status: outcome.verdict.status().into(),
        message,
        duration: outcome.duration,
        output: cap_output(&crate::style::plain(&outcome.output)),
        notes: Vec::new(),
        score: 0,
        max_score: 0,
    }
}

/// Keeps the head and tail of long output within [`REPORT_OUTPUT_CAP`].
pub fn cap_output(text: &str) -> String {
    if text.len() <= REPORT_OUTPUT_CAP {
        return text.to_string();
    }
    let half = REPORT_OUTPUT_CAP / 2;
    let head_end = floor_char_boundary(text, half);
    let tail_start = floor_char_boundary(text, text.len() - half);
    format!(
        "{}\n... [{} bytes omitted] ...\n{}",
        &text[..head_end],
        tail_start - head_end,
        &text[tail_start..]
    )
}

fn floor_char_boundary(text: &str, mut index: usize) -> usize {
    while !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

#[derive(Serialize)]
struct JsonReport<'a> {
    command: &'a str,
    ok: bool,
    totals: Totals,
    #[serde(serialize_with = "as_secs")]
    duration: Duration,
    entries: &'a [Entry],
}

/// The report as one JSON document.
pub fn to_json(report: &Report) -> String {
    let doc = JsonReport {
        command: &report.command,
        ok: report.is_ok(),
        totals: report.totals(),
        duration: report.duration,
        entries: &report.entries,
    };
    serde_json::to_string_pretty(&doc).unwrap_or_else(|_| "{}".into())
}

/// The report as JUnit XML: a test suite per kind, a test case per entry.
pub fn to_junit(report: &Report) -> Result<String, quick_junit::SerializeError> {
    use quick_junit::{NonSuccessKind, TestCase, TestCaseStatus, TestSuite};
    let mut junit = quick_junit::Report::new(format!("backlings {}", report.command));
    junit.set_time(report.duration);
    for kind in Kind::ALL {
        let entries: Vec<&Entry> = report.entries.iter().filter(|e| e.kind == kind).collect();
        if entries.is_empty() {
            continue;
        }
        let mut suite = TestSuite::new(kind.suite_name());
        suite.set_time(entries.iter().map(|e| e.duration).sum());
        for entry in entries {
            let status = if entry.ok {
                TestCaseStatus::success()
            } else {
                let mut failure = TestCaseStatus::non_success(NonSuccessKind::Failure);
                failure.set_message(entry.message.clone());
                failure.set_type(entry.status.clone());
                if !entry.output.is_empty() {
                    failure.set_description(entry.output.clone());
                }
                failure
            };
            let mut case = TestCase::new(entry.name.clone(), status);
            case.set_classname(entry.path.clone());
            case.set_time(entry.duration);
            if entry.ok && !entry.output.is_empty() {
                case.set_system_out(entry.output.clone());
            }
            suite.add_test_case(case);
        }
        junit.add_test_suite(suite);
    }
    junit.to_string()
}

/// The closing summary for people: every problem with its message, a table of counts
/// per kind, then the verdict line.
pub fn to_human_summary(report: &Report) -> String {
    let mut out = String::new();
    let problems: Vec<&Entry> = report.entries.iter().filter(|e| !e.ok).collect();
    if !problems.is_empty() {
        let name_width = problems.iter().map(|e| e.name.len()).max().unwrap_or(0);
        let _ = writeln!(out, "\nProblems:");
        for entry in &problems {
            let _ = writeln!(
                out,
                "  {:11} {:name_width$}  {}",
                entry.kind.suite_name(),
                entry.name,
                entry.message
            );
        }
    }
    let _ = writeln!(out, "\n  {:11} {:>5} {:>9}", "", "ok", "problems");
    for kind in Kind::ALL {
        let entries: Vec<&Entry> = report.entries.iter().filter(|e| e.kind == kind).collect();
        if entries.is_empty() {
            continue;
        }
        let ok = entries.iter().filter(|e| e.ok).count();
        let _ = writeln!(
            out,
            "  {:11} {ok:>5} {:>9}",
            kind.suite_name(),
            entries.len() - ok
        );
    }
    let totals = report.totals();
    let points = if totals.max_score > 0 {
        format!(" · {} of {} points", totals.score, totals.max_score)
    } else {
        String::new()
    };
    let _ = writeln!(
        out,
        "\n{} {}: {} ok, {} problem(s), {} checked in {:.1}s{points}",
        if report.is_ok() { "✓" } else { "✗" },
        report.command,
        totals.ok,
        totals.problems,
        totals.total,
        report.duration.as_secs_f64()
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(variant: Variant, verdict: Verdict) -> Outcome {
        Outcome {
            name: "sql1".into(),
            variant,
            verdict,
            output: "out".into(),
            duration: Duration::from_millis(1500),
            failed_tests: vec!["tests::a".into()],
            warnings: 0,
        }
    }

    #[test]
    fn check_wants_exercises_failing_and_solutions_passing() {
        let p = "exercises/sql1.rs";
        assert!(judge_check(&outcome(Variant::Exercise, Verdict::TestsFailed), p).ok);
        assert!(!judge_check(&outcome(Variant::Exercise, Verdict::Passed), p).ok);
        assert!(judge_check(&outcome(Variant::Solution, Verdict::Passed), p).ok);
        let bad = judge_check(&outcome(Variant::Solution, Verdict::CompileError), p);
        assert!(!bad.ok);
        assert_eq!(bad.status, "compile_error");
        assert_eq!(bad.message, "solution does not pass: compile error");
    }

    #[test]
    fn wrong_fixes_must_build_and_be_rejected() {
        let p = "wrong/sql1/concat.rs";
        let rejected = judge_wrong_fix(&outcome(Variant::Exercise, Verdict::TestsFailed), p);
        assert!(rejected.ok);
        assert_eq!(rejected.kind, Kind::WrongFix);
        assert_eq!(rejected.message, "rejected by `tests::a`");
        assert!(!judge_wrong_fix(&outcome(Variant::Exercise, Verdict::Passed), p).ok);
        assert!(!judge_wrong_fix(&outcome(Variant::Exercise, Verdict::CompileError), p).ok);
    }

    #[test]
    fn a_tampered_entry_keeps_its_honest_verdict() {
        let p = "exercises/sql1.rs";
        let passed = outcome(Variant::Exercise, Verdict::Passed);
        let honest = judge_grade(&passed, p, &[], 3);
        assert!(honest.ok);
        assert_eq!((honest.score, honest.max_score), (3, 3));
        let notes = vec!["defines `assert_eq!`".to_string()];
        let tampered = judge_grade(&passed, p, &notes, 3);
        assert!(!tampered.ok);
        assert_eq!((tampered.score, tampered.max_score), (0, 3));
        assert_eq!(tampered.status, "tampered");
        assert_eq!(
            tampered.message,
            "tampered: defines `assert_eq!`; against the reference's tests: passed"
        );
        assert_eq!(tampered.notes, notes);
    }

    #[test]
    fn output_is_capped_keeping_both_ends() {
        let long = format!("{}{}", "a".repeat(REPORT_OUTPUT_CAP), "z".repeat(100));
        let capped = cap_output(&long);
        assert!(capped.len() < REPORT_OUTPUT_CAP + 100);
        assert!(capped.starts_with('a') && capped.ends_with('z'));
    }

    fn sample() -> Report {
        let mut report = Report::new("check");
        report.entries.push(judge_check(
            &outcome(Variant::Exercise, Verdict::TestsFailed),
            "exercises/sql1.rs",
        ));
        report.entries.push(judge_check(
            &outcome(Variant::Solution, Verdict::TestsFailed),
            "solutions/sql1.rs",
        ));
        report.entries.push(problem(
            "stray",
            "exercises/stray.rs",
            "unlisted_file",
            "not listed in info.toml".into(),
        ));
        report.duration = Duration::from_secs(2);
        report
    }

    #[test]
    fn json_has_totals_and_entries() {
        let json: serde_json::Value = serde_json::from_str(&to_json(&sample())).unwrap();
        assert_eq!(json["ok"], false);
        assert_eq!(json["totals"]["problems"], 2);
        assert_eq!(json["entries"][0]["kind"], "exercise");
        assert_eq!(json["entries"][0]["duration"], 1.5);
    }

    #[test]
    fn human_summary_snapshot() {
        insta::assert_snapshot!(to_human_summary(&sample()));
    }

    #[test]
    fn junit_snapshot() {
        insta::assert_snapshot!(to_junit(&sample()).unwrap());
    }

    #[test]
    fn junit_round_trips_through_a_parser() {
        let xml = to_junit(&sample()).unwrap();
        let parsed = quick_junit::Report::deserialize_from_str(&xml).unwrap();
        assert_eq!(parsed.test_suites.len(), 3);
        assert_eq!(parsed.failures, 2);
        assert_eq!(parsed.tests, 3);
    }
}
