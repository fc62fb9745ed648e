//! The run pipeline: build (one cargo invocation per mode for any number of exercises),
//! run each built binary under the supervisor (in parallel, bounded), clippy where the
//! manifest asks for it, and a verdict per run.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::thread;
use std::time::{Duration, Instant};

use crate::capture::{self, Captured, HeadTail, TestProgress};
use crate::cargo::{self, BuildEvent, BuildMode, BuildOutput, BuildUnit, CargoError, Lines};
use crate::compile_cache::CompileCache;
use crate::exercise::{Exercise, ExerciseSet};
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
    /// The file is not a bin of the set's Cargo package (run `backlings sync`).
    NotABin,
    /// The file listed in info.toml does not exist.
    Missing,
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
            Verdict::NotABin => "not_a_bin",
            Verdict::Missing => "missing_file",
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
            Verdict::NotABin => f.write_str("not a bin of the set's Cargo package"),
            Verdict::Missing => f.write_str("the file does not exist"),
            Verdict::Cancelled => f.write_str("cancelled"),
        }
    }
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
}

/// Settings shared by every run of a batch.
#[derive(Debug, Clone)]
pub struct Options {
    pub color: bool,
    /// Parallel runs of built binaries.
    pub jobs: usize,
    /// Bytes of output kept at each end of a run's output.
    pub half_cap: usize,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            color: false,
            jobs: thread::available_parallelism().map_or(2, |n| n.get()),
            half_cap: capture::DEFAULT_HALF_CAP,
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
    /// The build is done; `runs` binaries are about to run.
    Built {
        runs: usize,
        build_time: Duration,
    },
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
                    let outcome = execute(set, planned, &build, options, cancel);
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
            None => to_build.push(unit.clone()),
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
) -> Outcome {
    let mut outcome = execute_untidy(set, planned, build, options, cancel);
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
) -> Outcome {
    let exercise = planned.exercise;
    let mut outcome = Outcome {
        name: exercise.name().to_string(),
        variant: planned.item.variant,
        verdict: Verdict::NotABin,
        output: String::new(),
        duration: Duration::ZERO,
    };
    let Some(unit) = &planned.unit else {
        let file = exercise.file(planned.item.variant);
        if !file.exists() {
            outcome.verdict = Verdict::Missing;
        }
        outcome.output = not_a_bin_message(set, file);
        return outcome;
    };
    let built = build.units.get(unit).cloned().unwrap_or_default();
    outcome.output = built.diagnostics.clone();
    let Some(executable) = built.executable.filter(|_| !built.has_errors) else {
        outcome.verdict = Verdict::CompileError;
        if outcome.output.trim().is_empty() {
            outcome.output = build.cargo_stderr.clone();
        }
        return outcome;
    };
    let package_dir = exercise
        .package_dir(planned.item.variant)
        .unwrap_or(&set.root);
    let (verdict, output, duration) =
        run_binary(&executable, exercise, package_dir, options, cancel);
    outcome.verdict = verdict;
    outcome.output.push_str(&output);
    outcome.duration = duration;
    outcome
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
}

impl Sink for RunSink {
    fn feed(&mut self, bytes: &[u8]) {
        self.output.push(bytes);
        self.tests.push(bytes);
    }
}

fn run_binary(
    executable: &Path,
    exercise: &Exercise,
    cwd: &Path,
    options: &Options,
    cancel: &Cancel,
) -> (Verdict, String, Duration) {
    let timeout = exercise.entry.timeout;
    // Backtraces bury the one line a learner needs (the failed assertion).
    let mut job = Job::new(executable)
        .cwd(cwd)
        .timeout(timeout)
        .env("RUST_BACKTRACE", "0");
    if exercise.entry.test {
        job = job.args(["--color", if options.color { "always" } else { "never" }]);
    }
    let sink = RunSink {
        output: HeadTail::new(options.half_cap),
        tests: TestProgress::default(),
    };
    let done = match supervisor::run_merged(&job, sink, cancel) {
        Ok(done) => done,
        Err(err) => {
            return (
                Verdict::ProgramFailed {
                    code: None,
                    signal: None,
                },
                format!("could not start {}: {err}\n", executable.display()),
                Duration::ZERO,
            );
        }
    };
    let finished_tests = done.stdout.tests.finished().clone();
    let captured: Captured = done.stdout.output.finish();
    let ran_no_test = exercise.entry.test && done.stdout.tests.ran_none();
    let verdict = match (done.ending, exercise.entry.test) {
        (Ending::Exited(0), _) if ran_no_test => Verdict::NoTests,
        (Ending::Exited(0), _) => Verdict::Passed,
        (Ending::Cancelled, _) => Verdict::Cancelled,
        (Ending::TimedOut, test) => Verdict::TimedOut {
            secs: timeout.as_secs(),
            unfinished: if test {
                unfinished_tests(executable, cwd, &finished_tests)
            } else {
                Vec::new()
            },
        },
        (_, true) => Verdict::TestsFailed,
        (Ending::Exited(code), false) => Verdict::ProgramFailed {
            code: Some(code),
            signal: None,
        },
        (Ending::Signaled(signal), false) => Verdict::ProgramFailed {
            code: None,
            signal: Some(signal),
        },
    };
    (verdict, captured.text(), done.duration)
}

/// Tests listed by the binary that never reported a result.
fn unfinished_tests(
    executable: &Path,
    cwd: &Path,
    finished: &std::collections::BTreeSet<String>,
) -> Vec<String> {
    let job = Job::new(executable)
        .args(["--list", "--format", "terse"])
        .cwd(cwd)
        .timeout(Duration::from_secs(5));
    let Ok(listing) = supervisor::run_split(&job, Lines::default(), (), &Cancel::new()) else {
        return Vec::new();
    };
    capture::parse_test_list(&listing.stdout.lines.join("\n"))
        .into_iter()
        .filter(|name| !finished.contains(name))
        .collect()
}

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
    fn paths_through_the_course_package_are_tidied() {
        let output = "panicked at course/../exercises/00_intro/intro2.rs:57:9:\n";
        assert_eq!(
            tidy_paths(output, Path::new("/repo"), Path::new("/repo/course")),
            "panicked at exercises/00_intro/intro2.rs:57:9:\n"
        );
        assert_eq!(tidy_paths(output, Path::new("/s"), Path::new("/s")), output);
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
