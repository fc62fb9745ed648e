//! The run pipeline: build (one cargo invocation per mode for any number of exercises),
//! run each built binary under the supervisor (in parallel, bounded), clippy where the
//! manifest asks for it, and a verdict per run.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Sender};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use crate::capture::{self, Captured, HeadTail, TestProgress, TestResult};
use crate::cargo::{self, BuildEvent, BuildMode, BuildOutput, BuildUnit, CargoError, Lines};
use crate::compile_cache::CompileCache;
use crate::exercise::{Exercise, ExerciseSet};
use crate::manifest::Mode;
use crate::mutants;
use crate::scope::{Rewriter, Scope};
use crate::services::{Provision, Services};
use crate::supervisor::{self, Cancel, Ending, Job, Sink};

pub use crate::exercise::Variant;

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

/// What one run produced.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub name: String,
    pub variant: Variant,
    pub verdict: Verdict,
    /// Compiler diagnostics, then the run's output (bounded), then clippy's.
    pub output: String,
    /// Time spent running the binary (the build is shared by a batch and not included).
    pub duration: Duration,
    /// The tests that reported a failure (for a test exercise).
    pub failed_tests: Vec<String>,
    /// Compiler warnings about the exercise's own code.
    pub warnings: usize,
}

/// Settings shared by every run of a batch.
#[derive(Debug, Clone)]
pub struct Options {
    pub color: bool,
    /// Parallel runs of built binaries.
    pub jobs: usize,
    /// Bytes of output kept at each end of a run's output.
    pub half_cap: usize,
    /// The servers exercises may need; `None` where the command provides none, so such
    /// exercises get an `environment` verdict.
    pub services: Option<Arc<Services>>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            color: false,
            jobs: thread::available_parallelism().map_or(2, |n| n.get()),
            half_cap: capture::DEFAULT_HALF_CAP,
            services: None,
        }
    }
}

/// One item of a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Item {
    pub exercise: usize,
    pub variant: Variant,
}

/// Progress of a batch, for reporters.
#[derive(Debug, Clone)]
pub enum Event {
    Build(BuildEvent),
    /// The build is done; `runs` runs are about to start (a binary each, or a module of
    /// a merged binary each).
    Built {
        runs: usize,
        build_time: Duration,
    },
    /// A test binary announced how many tests it runs (libtest's "running 4 tests").
    TestsAnnounced(usize),
    Finished(Outcome),
}

struct Planned<'a> {
    item: Item,
    exercise: &'a Exercise,
    unit: Option<BuildUnit>,
    source: Option<&'a Path>,
}

/// Builds and runs `items` of `set`, reporting each outcome as it finishes. Outcomes are
/// returned in `items` order.
pub fn run_batch(
    set: &ExerciseSet,
    items: &[Item],
    options: &Options,
    cancel: &Cancel,
    on_event: &(dyn Fn(Event) + Sync),
) -> Result<Vec<Outcome>, CargoError> {
    let planned: Vec<Planned> = items.iter().map(|&item| plan(set, item)).collect();
    let started = Instant::now();
    let build = build_with_cache(set, &planned, options, cancel, on_event)?;
    on_event(Event::Built {
        runs: planned.len(),
        build_time: started.elapsed(),
    });

    let results: Mutex<BTreeMap<usize, Outcome>> = Mutex::new(BTreeMap::new());
    let next = Mutex::new(0usize);
    thread::scope(|scope| {
        for _ in 0..options.jobs.clamp(1, planned.len().max(1)) {
            scope.spawn(|| {
                loop {
                    let index = {
                        let Ok(mut next) = next.lock() else { return };
                        let index = *next;
                        *next += 1;
                        index
                    };
                    let Some(planned) = planned.get(index) else {
                        return;
                    };
                    let outcome = execute(set, planned, &build, options, cancel, on_event);
                    // A pass that clippy still has to confirm is reported after clippy.
                    if !(outcome.verdict.passed() && planned.exercise.entry.strict_clippy) {
                        on_event(Event::Finished(outcome.clone()));
                    }
                    if let Ok(mut results) = results.lock() {
                        results.insert(index, outcome);
                    }
                }
            });
        }
    });
    let results = results.into_inner().unwrap_or_else(|e| e.into_inner());
    let mut outcomes: Vec<Outcome> = results.into_values().collect();
    let clippy_wanted: Vec<usize> = outcomes
        .iter()
        .enumerate()
        .filter(|(i, o)| o.verdict.passed() && planned[*i].exercise.entry.strict_clippy)
        .map(|(i, _)| i)
        .collect();
    if !clippy_wanted.is_empty() {
        let bins: Vec<BuildUnit> = clippy_wanted
            .iter()
            .filter_map(|&i| planned[i].unit.clone())
            .collect();
        let verdicts = cargo::clippy(&set.cargo_manifest, &bins, options.color, cancel)?;
        for i in clippy_wanted {
            if let Some(unit) = &planned[i].unit
                && let Some(diagnostics) = verdicts.get(&unit.bin)
            {
                outcomes[i].verdict = Verdict::ClippyFailed;
                outcomes[i].output.push_str(diagnostics);
            }
            on_event(Event::Finished(outcomes[i].clone()));
        }
    }
    Ok(outcomes)
}

/// Builds what is not a remembered compile error, and remembers the new ones.
fn build_with_cache(
    set: &ExerciseSet,
    planned: &[Planned],
    options: &Options,
    cancel: &Cancel,
    on_event: &(dyn Fn(Event) + Sync),
) -> Result<BuildOutput, CargoError> {
    let cache = CompileCache::new(&set.target_dir, &cache_inputs(set), options.color);
    let mut remembered = BTreeMap::new();
    let mut to_build = Vec::new();
    for (unit, source) in planned
        .iter()
        .filter_map(|p| Some((p.unit.as_ref()?, p.source?)))
    {
        match cache.lookup(source, &unit.bin, unit.mode) {
            Some(failure) => {
                remembered.insert(unit.clone(), failure);
            }
            // Exercises merged into one crate share its unit: built once.
            None if !to_build.contains(unit) => to_build.push(unit.clone()),
            None => {}
        }
    }
    let mut build = cargo::build(
        &set.cargo_manifest,
        &to_build,
        set.bin_count,
        options.color,
        cancel,
        &mut |e| on_event(Event::Build(e)),
    )?;
    for (unit, source) in planned
        .iter()
        .filter_map(|p| Some((p.unit.as_ref()?, p.source?)))
    {
        if let Some(result) = build.units.get(unit) {
            cache.store(source, &unit.bin, unit.mode, result);
        }
    }
    build.units.extend(remembered);
    Ok(build)
}

/// Files whose content affects every build of the set.
fn cache_inputs(set: &ExerciseSet) -> Vec<PathBuf> {
    let mut inputs = vec![set.cargo_manifest.clone(), set.root.join("Cargo.lock")];
    for bin in set
        .exercises
        .iter()
        .flat_map(|e| [e.bin.as_ref(), e.solution_bin.as_ref()])
        .flatten()
    {
        let manifest = bin.package_dir.join("Cargo.toml");
        if !inputs.contains(&manifest) {
            inputs.push(manifest);
        }
    }
    inputs
}

fn plan(set: &ExerciseSet, item: Item) -> Planned<'_> {
    let exercise = &set.exercises[item.exercise];
    let bin = exercise.bin_for(item.variant);
    let unit = bin.map(|bin| BuildUnit {
        package: bin.package.clone(),
        bin: bin.name.clone(),
        mode: if exercise.entry.test {
            BuildMode::Test
        } else {
            BuildMode::Program
        },
    });
    Planned {
        item,
        exercise,
        unit,
        source: bin.map(|b| b.src_path.as_path()),
    }
}

fn execute(
    set: &ExerciseSet,
    planned: &Planned,
    build: &BuildOutput,
    options: &Options,
    cancel: &Cancel,
    on_event: &(dyn Fn(Event) + Sync),
) -> Outcome {
    let mut outcome = execute_untidy(set, planned, build, options, cancel, on_event);
    let package_dir = planned
        .exercise
        .package_dir(planned.item.variant)
        .unwrap_or(&set.root);
    outcome.output = tidy_paths(&outcome.output, &set.root, package_dir);
    outcome
}

/// rustc names files as cargo passed them, relative to the workspace root: with the
/// exercises package in `course/`, that is `course/../exercises/...`. Learners should
/// see `exercises/...`, the path they edit.
fn tidy_paths(output: &str, root: &Path, package_dir: &Path) -> String {
    match package_dir.strip_prefix(root) {
        Ok(rel) if !rel.as_os_str().is_empty() => {
            output.replace(&format!("{}/../", rel.display()), "")
        }
        _ => output.to_string(),
    }
}

fn execute_untidy(
    set: &ExerciseSet,
    planned: &Planned,
    build: &BuildOutput,
    options: &Options,
    cancel: &Cancel,
    on_event: &(dyn Fn(Event) + Sync),
) -> Outcome {
    let exercise = planned.exercise;
    let mut outcome = Outcome {
        name: exercise.name().to_string(),
        variant: planned.item.variant,
        verdict: Verdict::NotABin,
        output: String::new(),
        duration: Duration::ZERO,
        failed_tests: Vec::new(),
        warnings: 0,
    };
    let Some(unit) = &planned.unit else {
        let file = exercise.file(planned.item.variant);
        if !file.exists() {
            outcome.verdict = Verdict::Missing;
        }
        outcome.output = not_a_bin_message(set, file);
        return outcome;
    };
    let mut built = build.units.get(unit).cloned().unwrap_or_default();
    if exercise.scope_for(planned.item.variant).is_some() {
        // A module of a merged crate: the diagnostics about its own file, as rustc names
        // it (relative to the workspace, like a bin's own path).
        built = built.for_file(&set.display_path(exercise.file(planned.item.variant)));
    }
    outcome.output = built.diagnostics.clone();
    outcome.warnings = built.warnings;
    let Some(executable) = built.executable.filter(|_| !built.has_errors) else {
        outcome.verdict = Verdict::CompileError;
        outcome.output = errors_first(&outcome.output);
        if outcome.output.trim().is_empty() {
            outcome.output = build.cargo_stderr.clone();
        }
        return outcome;
    };
    let package_dir = exercise
        .package_dir(planned.item.variant)
        .unwrap_or(&set.root);
    let provision = match provide(exercise, options) {
        Ok(provision) => provision,
        Err(why) => {
            outcome.verdict = Verdict::Environment { why };
            return outcome;
        }
    };
    let ran = run_binary(
        &executable,
        planned,
        package_dir,
        &provision.env,
        options,
        cancel,
        on_event,
    );
    // The run's databases go now, before anything else runs.
    drop(provision);
    outcome.verdict = ran.verdict;
    if outcome.verdict.passed() {
        outcome.output.push_str(&ran.output);
    } else {
        // The failure is what the learner came for; warnings would push it off screen.
        outcome.output = format!("{}{}", ran.output, outcome.output);
    }
    if outcome.verdict.passed() && exercise.entry.mode == Mode::Tests {
        let (verdict, summary) =
            mutants::verify(set, exercise, planned.item.variant, options, cancel);
        outcome.verdict = verdict;
        outcome.output.push_str(&summary);
    }
    outcome.duration = ran.duration;
    outcome.failed_tests = ran.failed_tests;
    outcome
}

/// The services `exercise` needs, fresh for this run.
fn provide(exercise: &Exercise, options: &Options) -> Result<Provision, String> {
    let needed = &exercise.entry.services;
    if needed.is_empty() {
        return Ok(Provision::default());
    }
    match &options.services {
        Some(services) => services
            .provision(needed, exercise.name())
            .map_err(|unavailable| unavailable.to_string()),
        None => Err("this command does not start services".into()),
    }
}

/// Compiler output with its error diagnostics before its warnings, each diagnostic
/// whole and in its order otherwise: the error is what stops the learner.
fn errors_first(diagnostics: &str) -> String {
    let mut preamble = String::new();
    let mut errors = Vec::new();
    let mut others = Vec::new();
    let mut current: Option<(bool, String)> = None;
    for line in diagnostics.split_inclusive('\n') {
        let plain = console::strip_ansi_codes(line);
        let starts = plain.starts_with("error") || plain.starts_with("warning");
        if starts {
            if let Some((is_error, block)) = current.take() {
                if is_error {
                    errors.push(block)
                } else {
                    others.push(block)
                }
            }
            current = Some((plain.starts_with("error"), String::new()));
        }
        match &mut current {
            Some((_, block)) => block.push_str(line),
            None => preamble.push_str(line),
        }
    }
    if let Some((is_error, block)) = current {
        if is_error {
            errors.push(block)
        } else {
            others.push(block)
        }
    }
    preamble + &errors.concat() + &others.concat()
}

fn not_a_bin_message(set: &ExerciseSet, path: &Path) -> String {
    let shown = set.display_path(path);
    if path.exists() {
        format!(
            "{shown} is not a bin target of the set's Cargo package.\nRun `backlings sync` to regenerate the bin list from info.toml.\n"
        )
    } else {
        format!("{shown} does not exist.\n")
    }
}

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
struct Ran {
    verdict: Verdict,
    output: String,
    duration: Duration,
    failed_tests: Vec<String>,
}

fn run_binary(
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

/// Runs a single exercise (or solution): the learner's `run` and watch mode.
pub fn run_one(
    set: &ExerciseSet,
    exercise: usize,
    variant: Variant,
    options: &Options,
    cancel: &Cancel,
    on_event: &(dyn Fn(Event) + Sync),
) -> Result<Outcome, CargoError> {
    let item = Item { exercise, variant };
    let mut outcomes = run_batch(set, &[item], options, cancel, on_event)?;
    outcomes.pop().ok_or(CargoError::Cancelled)
}

/// Every exercise of `set` (not the solutions), as a batch.
pub fn all_exercises(set: &ExerciseSet) -> Vec<Item> {
    (0..set.exercises.len())
        .map(|exercise| Item {
            exercise,
            variant: Variant::Exercise,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_come_before_warnings() {
        let output = "warning: unused variable: `x`\n --> a.rs:1:1\n\nerror[E0308]: mismatched types\n --> a.rs:2:1\n\nwarning: unused import\n";
        assert_eq!(
            errors_first(output),
            "error[E0308]: mismatched types\n --> a.rs:2:1\n\nwarning: unused variable: `x`\n --> a.rs:1:1\n\nwarning: unused import\n"
        );
        let colored = "\x1b[33mwarning\x1b[0m: w\n\x1b[31merror\x1b[0m: e\n";
        assert_eq!(
            errors_first(colored),
            "\x1b[31merror\x1b[0m: e\n\x1b[33mwarning\x1b[0m: w\n"
        );
    }

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

    #[test]
    fn paths_through_the_course_package_are_tidied() {
        let output = "panicked at course/../exercises/00_intro/intro2.rs:57:9:\n";
        assert_eq!(
            tidy_paths(output, Path::new("/repo"), Path::new("/repo/course")),
            "panicked at exercises/00_intro/intro2.rs:57:9:\n"
        );
        assert_eq!(tidy_paths(output, Path::new("/s"), Path::new("/s")), output);
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
