//! Running one built test binary (or program) under the supervisor, and judging what it
//! reported: passed only when every test it defines ran and reported ok.

use std::path::Path;
use std::sync::mpsc::{self, Sender};
use std::thread;
use std::time::Duration;

use super::{Event, Options, Planned, Verdict};
use crate::capture::{self, Captured, HeadTail, TestProgress, TestResult};
use crate::cargo::Lines;
use crate::scope::{Rewriter, Scope};
use crate::supervisor::{self, Cancel, Ending, Job, Sink};

/// Bounded output plus libtest progress, fed by the supervisor.
#[derive(Debug)]
struct RunSink {
    output: HeadTail,
    tests: TestProgress,
    /// Where the test count goes once libtest announces it (the sink runs on the
    /// supervisor's thread, so it cannot call the caller's `on_event` itself).
    announce: Option<Sender<usize>>,
    /// For a module of a merged crate: its lines as its own binary would print them.
    rewriter: Option<Rewriter>,
}

impl Sink for RunSink {
    fn feed(&mut self, bytes: &[u8]) {
        match self.rewriter.as_mut().map(|r| r.push(bytes)) {
            Some(lines) => lines.iter().for_each(|line| self.take(line)),
            None => self.take(bytes),
        }
    }
}

impl RunSink {
    /// Ends the run's output: an unfinished last line is read too.
    fn finish(&mut self) {
        if let Some(rest) = self.rewriter.as_mut().map(Rewriter::finish) {
            self.take(&rest);
        }
        self.announce = None;
    }

    fn take(&mut self, bytes: &[u8]) {
        self.output.push(bytes);
        let before = self.tests.announced();
        self.tests.push(bytes);
        if let (None, Some(count), Some(announce)) =
            (before, self.tests.announced(), &self.announce)
        {
            let _ = announce.send(count);
        }
    }
}

/// What running one binary gave.
pub(super) struct Ran {
    pub verdict: Verdict,
    pub output: String,
    pub duration: Duration,
    pub failed_tests: Vec<String>,
}

pub(super) fn run_binary(
    executable: &Path,
    planned: &Planned,
    cwd: &Path,
    env: &[(String, String)],
    options: &Options,
    cancel: &Cancel,
    on_event: &(dyn Fn(Event) + Sync),
) -> Ran {
    let (exercise, timeout) = (planned.exercise, planned.exercise.entry.timeout);
    let failed_to = |what: String| Ran {
        verdict: Verdict::ProgramFailed {
            code: None,
            signal: None,
        },
        output: what,
        duration: Duration::ZERO,
        failed_tests: Vec::new(),
    };
    // Backtraces bury the one line a learner needs (the failed assertion).
    let mut job = Job::new(executable)
        .cwd(cwd)
        .timeout(timeout)
        .env("RUST_BACKTRACE", "0");
    for (key, value) in env {
        job = job.env(key, value);
    }
    if exercise.entry.test {
        job = job.args(["--color", if options.color { "always" } else { "never" }]);
    }
    let scope = exercise.scope_for(planned.item.variant).map(Scope::new);
    if let Some(scope) = &scope {
        job = job.arg(scope.filter());
    }
    let (announce, announced) = mpsc::channel();
    let sink = RunSink {
        output: HeadTail::new(options.half_cap),
        tests: TestProgress::default(),
        announce: Some(announce),
        rewriter: scope.as_ref().map(Scope::rewriter),
    };
    // The forwarder ends when the sink's sender is gone: dropped with the sink on an
    // error, or taken out of it right after the run.
    let done = thread::scope(|scope| {
        scope.spawn(move || {
            for count in announced {
                on_event(Event::TestsAnnounced(count));
            }
        });
        supervisor::run_merged(&job, sink, cancel).map(|mut done| {
            done.stdout.finish();
            done
        })
    });
    let done = match done {
        Ok(done) => done,
        Err(err) => return failed_to(format!("could not start {}: {err}\n", executable.display())),
    };
    let captured: Captured = done.stdout.output.finish();
    let progress = &done.stdout.tests;
    let failed_tests = progress
        .results()
        .iter()
        .filter(|(_, r)| **r == TestResult::Failed)
        .map(|(name, _)| name.clone())
        .collect();
    let test = exercise.entry.test;
    // Every test the binary defines must report. A run that closed with every announced
    // test ok needs nothing more; otherwise the binary's own list of tests (libtest's
    // `--list`) says which ones never reported.
    let listed = || list_tests(executable, cwd, scope.as_ref(), &Cancel::new());
    let verdict = match (done.ending, test) {
        (Ending::Cancelled, _) => Verdict::Cancelled,
        (Ending::TimedOut, test) => Verdict::TimedOut {
            secs: timeout.as_secs(),
            unfinished: if test {
                let finished = progress.finished();
                listed()
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|name| !finished.contains(name))
                    .collect()
            } else {
                Vec::new()
            },
        },
        (ending, true) if closed_cleanly(ending, progress) => Verdict::Passed,
        (ending, true) => match listed() {
            Ok(listed) => judge_tests(ending, &listed, progress),
            Err(err) => return failed_to(err),
        },
        (Ending::Exited(0), false) => Verdict::Passed,
        (Ending::Exited(code), false) => Verdict::ProgramFailed {
            code: Some(code),
            signal: None,
        },
        (Ending::Signaled(signal), false) => Verdict::ProgramFailed {
            code: None,
            signal: Some(signal),
        },
    };
    Ran {
        verdict,
        output: captured.text(),
        duration: done.duration,
        failed_tests,
    }
}

/// A test binary that exited 0 after announcing N tests, reporting N of them ok and none
/// otherwise, and closing with "N passed": every test it has ran and passed.
fn closed_cleanly(ending: Ending, progress: &TestProgress) -> bool {
    let results = progress.results();
    let announced = progress.announced().unwrap_or(0);
    ending == Ending::Exited(0)
        && announced > 0
        && results.len() == announced
        && results.values().all(|r| *r == TestResult::Ok)
        && progress
            .summary()
            .is_some_and(|s| s.ok && s.passed == announced && s.failed == 0 && s.ignored == 0)
}

/// The verdict on a test binary that ended by itself: passed only when every listed test
/// reported ok and the harness closed with the same count.
fn judge_tests(ending: Ending, listed: &[String], progress: &TestProgress) -> Verdict {
    let results = progress.results();
    if listed.is_empty() {
        return Verdict::NoTests;
    }
    if results.values().any(|r| *r == TestResult::Failed) {
        return Verdict::TestsFailed;
    }
    let ignored: Vec<String> = listed
        .iter()
        .filter(|name| results.get(*name) == Some(&TestResult::Ignored))
        .cloned()
        .collect();
    if !ignored.is_empty() {
        return Verdict::Ignored { tests: ignored };
    }
    let unreported: Vec<String> = listed
        .iter()
        .filter(|name| results.get(*name) != Some(&TestResult::Ok))
        .cloned()
        .collect();
    let closed_normally = progress
        .summary()
        .is_some_and(|s| s.ok && s.passed == listed.len() && s.failed == 0 && s.ignored == 0);
    match ending {
        Ending::Exited(0) if unreported.is_empty() && closed_normally => Verdict::Passed,
        Ending::Exited(code) if code != 0 && unreported.is_empty() => Verdict::TestsFailed,
        ending => Verdict::Unreported {
            tests: unreported,
            ending: describe_ending(ending),
        },
    }
}

fn describe_ending(ending: Ending) -> String {
    match ending {
        Ending::Exited(code) => format!("exited with status {code}"),
        Ending::Signaled(signal) => format!("was killed by signal {signal}"),
        Ending::TimedOut => "ran out of time".into(),
        Ending::Cancelled => "was cancelled".into(),
    }
}

/// The tests a test binary defines (libtest's `--list`), or those of `scope` in it.
fn list_tests(
    executable: &Path,
    cwd: &Path,
    scope: Option<&Scope>,
    cancel: &Cancel,
) -> Result<Vec<String>, String> {
    let mut job = Job::new(executable)
        .args(["--list", "--format", "terse"])
        .cwd(cwd)
        .timeout(LIST_TIMEOUT);
    if let Some(scope) = scope {
        job = job.arg(scope.filter());
    }
    let listing = supervisor::run_split(&job, Lines::default(), Lines::default(), cancel)
        .map_err(|err| format!("could not start {}: {err}\n", executable.display()))?;
    if !listing.ending.success() {
        return Err(format!(
            "the test binary could not list its tests ({}):\n{}\n",
            describe_ending(listing.ending),
            listing.stderr.lines.join("\n")
        ));
    }
    let names = capture::parse_test_list(&listing.stdout.lines.join("\n"));
    Ok(match scope {
        Some(scope) => names.iter().map(|name| scope.test_name(name)).collect(),
        None => names,
    })
}

/// Listing tests runs no test code; this only bounds a broken binary.
const LIST_TIMEOUT: Duration = Duration::from_secs(30);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sink_announces_the_test_count_once() {
        let (tx, rx) = mpsc::channel();
        let mut sink = RunSink {
            output: HeadTail::new(1024),
            tests: TestProgress::default(),
            announce: Some(tx),
            rewriter: None,
        };
        sink.feed(b"\nrunning 4 te");
        assert!(rx.try_recv().is_err(), "not a whole line yet");
        sink.feed(b"sts\ntest a ... ok\nrunning 4 tests\n");
        drop(sink);
        assert_eq!(rx.iter().collect::<Vec<_>>(), [4]);
    }

    fn progress(output: &str) -> TestProgress {
        let mut progress = TestProgress::default();
        progress.push(output.as_bytes());
        progress
    }

    fn listed(names: &[&str]) -> Vec<String> {
        names.iter().map(|n| n.to_string()).collect()
    }

    const TWO_OK: &str = "running 2 tests\ntest tests::a ... ok\ntest tests::b ... ok\n\ntest result: ok. 2 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out\n";

    #[test]
    fn a_clean_close_needs_no_listing() {
        assert!(closed_cleanly(Ending::Exited(0), &progress(TWO_OK)));
        assert!(!closed_cleanly(Ending::Exited(1), &progress(TWO_OK)));
        let short = TWO_OK.replace("2 passed", "1 passed");
        assert!(!closed_cleanly(Ending::Exited(0), &progress(&short)));
        let early = "running 2 tests\ntest tests::a ... ok\n";
        assert!(!closed_cleanly(Ending::Exited(0), &progress(early)));
        let none = "running 0 tests\n\ntest result: ok. 0 passed; 0 failed; 0 ignored\n";
        assert!(!closed_cleanly(Ending::Exited(0), &progress(none)));
    }

    #[test]
    fn every_listed_test_must_report_ok() {
        let both = listed(&["tests::a", "tests::b"]);
        assert_eq!(
            judge_tests(Ending::Exited(0), &both, &progress(TWO_OK)),
            Verdict::Passed
        );
        let early_exit = progress("running 2 tests\ntest tests::a ... ok\n");
        let verdict = judge_tests(Ending::Exited(0), &both, &early_exit);
        assert_eq!(
            verdict.to_string(),
            "test `tests::b` never finished: the process exited with status 0 before it reported"
        );
        assert!(!verdict.passed());
    }

    #[test]
    fn a_test_the_listing_has_and_the_run_lacks_is_unreported() {
        let three = listed(&["tests::a", "tests::b", "tests::c"]);
        let verdict = judge_tests(Ending::Exited(0), &three, &progress(TWO_OK));
        assert_eq!(
            verdict,
            Verdict::Unreported {
                tests: listed(&["tests::c"]),
                ending: "exited with status 0".into()
            }
        );
    }

    #[test]
    fn ignored_tests_and_missing_summaries_do_not_pass() {
        let both = listed(&["tests::a", "tests::b"]);
        let ignored = progress(
            "running 2 tests\ntest tests::a ... ok\ntest tests::b ... ignored\n\ntest result: ok. 1 passed; 0 failed; 1 ignored;\n",
        );
        assert_eq!(
            judge_tests(Ending::Exited(0), &both, &ignored),
            Verdict::Ignored {
                tests: listed(&["tests::b"])
            }
        );
        let no_summary = progress("running 2 tests\ntest tests::a ... ok\ntest tests::b ... ok\n");
        assert!(matches!(
            judge_tests(Ending::Exited(0), &both, &no_summary),
            Verdict::Unreported { ref tests, .. } if tests.is_empty()
        ));
        assert_eq!(
            judge_tests(Ending::Exited(0), &[], &progress("running 0 tests\n")),
            Verdict::NoTests
        );
    }

    #[test]
    fn failures_and_crashes_are_told_apart() {
        let both = listed(&["tests::a", "tests::b"]);
        let failed = progress("running 2 tests\ntest tests::a ... FAILED\ntest tests::b ... ok\n");
        assert_eq!(
            judge_tests(Ending::Exited(101), &both, &failed),
            Verdict::TestsFailed
        );
        let crashed = progress("running 2 tests\ntest tests::a ... ok\n");
        assert_eq!(
            judge_tests(Ending::Signaled(11), &both, &crashed).to_string(),
            "test `tests::b` never finished: the process was killed by signal 11 before it reported"
        );
    }
}
