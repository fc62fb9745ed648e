//! The verdict on one run, with the words learners and reports see.

use std::fmt;

/// The verdict on one run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Passed,
    CompileError,
    TestsFailed,
    ProgramFailed {
        code: Option<i32>,
        signal: Option<i32>,
    },
    TimedOut {
        secs: u64,
        unfinished: Vec<String>,
    },
    ClippyFailed,
    /// A `test = true` exercise whose binary ran no test (its tests were removed).
    NoTests,
    /// Listed tests that never reported a result, or a harness that never finished: the
    /// process ended early (`process::exit(0)` in the code under test, a crash).
    Unreported {
        tests: Vec<String>,
        ending: String,
    },
    /// Tests that were skipped (`#[ignore]`): every test of the exercise must run.
    Ignored {
        tests: Vec<String>,
    },
    /// A tests-mode exercise whose tests pass against mutants of the implementation (each
    /// named by what it does wrong).
    MutantsSurvived {
        survivors: Vec<String>,
    },
    /// A tests-mode exercise whose mutants could not be tried.
    MutantsNotRun {
        why: String,
    },
    /// The file is not a bin of the set's Cargo package (run `backlings sync`).
    NotABin,
    /// The file listed in info.toml does not exist.
    Missing,
    /// A service the tests need (`services` in info.toml) is not available here: the
    /// tests did not run, so nothing is known about the code.
    Environment {
        why: String,
    },
    Cancelled,
}

impl Verdict {
    pub fn passed(&self) -> bool {
        *self == Verdict::Passed
    }

    /// A short machine-friendly status, used by the JSON and JUnit reports.
    pub fn status(&self) -> &'static str {
        match self {
            Verdict::Passed => "passed",
            Verdict::CompileError => "compile_error",
            Verdict::TestsFailed => "tests_failed",
            Verdict::ProgramFailed { .. } => "program_failed",
            Verdict::TimedOut { .. } => "timed_out",
            Verdict::ClippyFailed => "clippy_failed",
            Verdict::NoTests => "no_tests",
            Verdict::Unreported { .. } => "tests_unreported",
            Verdict::Ignored { .. } => "tests_ignored",
            Verdict::MutantsSurvived { .. } => "mutants_survived",
            Verdict::MutantsNotRun { .. } => "mutants_not_run",
            Verdict::NotABin => "not_a_bin",
            Verdict::Missing => "missing_file",
            Verdict::Environment { .. } => "environment",
            Verdict::Cancelled => "cancelled",
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verdict::Passed => f.write_str("passed"),
            Verdict::CompileError => f.write_str("compile error"),
            Verdict::TestsFailed => f.write_str("tests failed"),
            Verdict::ProgramFailed {
                code: Some(code), ..
            } => write!(f, "program failed (exit {code})"),
            Verdict::ProgramFailed {
                signal: Some(signal),
                ..
            } => write!(f, "program failed (killed by signal {signal})"),
            Verdict::ProgramFailed { .. } => f.write_str("program failed"),
            Verdict::TimedOut { secs, unfinished } if unfinished.is_empty() => {
                write!(f, "timed out after {secs}s")
            }
            Verdict::TimedOut { secs, unfinished } => write!(
                f,
                "timed out after {secs}s (still running: {})",
                unfinished.join(", ")
            ),
            Verdict::ClippyFailed => f.write_str("clippy failed"),
            Verdict::NoTests => f.write_str("no tests ran (the exercise's tests are missing)"),
            Verdict::Unreported { tests, ending } => match tests.as_slice() {
                [] => write!(
                    f,
                    "the tests never finished: the process {ending} before the test harness reported its results"
                ),
                [one] => write!(
                    f,
                    "test `{one}` never finished: the process {ending} before it reported"
                ),
                many => write!(
                    f,
                    "tests {} never finished: the process {ending} before they reported",
                    quoted_list(many)
                ),
            },
            Verdict::MutantsSurvived { survivors } => match survivors.as_slice() {
                [] => f.write_str("mutants survived"),
                [one] => write!(f, "your tests accept an implementation that {one}"),
                [first, second] => write!(
                    f,
                    "your tests accept an implementation that {first}, and one that {second}"
                ),
                [first, second, rest @ ..] => write!(
                    f,
                    "your tests accept an implementation that {first}, one that {second}, and {} more",
                    rest.len()
                ),
            },
            Verdict::MutantsNotRun { why } => write!(f, "the mutants could not be tried: {why}"),
            Verdict::Ignored { tests } => write!(
                f,
                "{} skipped (#[ignore]): every test of the exercise must run",
                match tests.as_slice() {
                    [one] => format!("test `{one}` was"),
                    many => format!("tests {} were", quoted_list(many)),
                }
            ),
            Verdict::NotABin => f.write_str("not a bin of the set's Cargo package"),
            Verdict::Missing => f.write_str("the file does not exist"),
            Verdict::Environment { why } => write!(f, "not run: {why}"),
            Verdict::Cancelled => f.write_str("cancelled"),
        }
    }
}

fn quoted_list(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts_read_well() {
        assert_eq!(Verdict::CompileError.to_string(), "compile error");
        assert_eq!(
            Verdict::ProgramFailed {
                code: Some(3),
                signal: None
            }
            .to_string(),
            "program failed (exit 3)"
        );
        let timed_out = Verdict::TimedOut {
            secs: 2,
            unfinished: vec!["tests::hangs".into()],
        };
        assert_eq!(
            timed_out.to_string(),
            "timed out after 2s (still running: tests::hangs)"
        );
        assert_eq!(timed_out.status(), "timed_out");
    }
}
