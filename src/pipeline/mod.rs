//! The run pipeline: build (one cargo invocation per mode for any number of exercises),
//! run each built binary under the supervisor (in parallel, bounded), clippy where the
//! manifest asks for it, and a verdict per run. [`run`] runs one built binary and judges
//! what it reported; [`verdict`] names the outcomes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use crate::capture;
use crate::cargo::{self, BuildEvent, BuildMode, BuildOutput, BuildUnit, CargoError};
use crate::compile_cache::CompileCache;
use crate::exercise::{Exercise, ExerciseSet};
use crate::manifest::Mode;
use crate::mutants;
use crate::services::{Provision, Services};
use crate::supervisor::Cancel;

pub use crate::exercise::Variant;

mod run;
mod verdict;

use run::run_binary;

pub use verdict::Verdict;

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
    fn paths_through_the_course_package_are_tidied() {
        let output = "panicked at course/../exercises/00_intro/intro2.rs:57:9:\n";
        assert_eq!(
            tidy_paths(output, Path::new("/repo"), Path::new("/repo/course")),
            "panicked at exercises/00_intro/intro2.rs:57:9:\n"
        );
        assert_eq!(tidy_paths(output, Path::new("/s"), Path::new("/s")), output);
    }
}
