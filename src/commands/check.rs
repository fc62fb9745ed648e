//! `backlings check`: is the set sound? Every exercise fails as shipped, every solution
//! passes, the files, bins and formatting agree with the manifest.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use clap::Args;

use super::reporting::{self, Group, ReportArgs, Retry};
use crate::commands::open_set;
use crate::exercise::{self, ExerciseSet};
use crate::manifest::Mode;
use crate::pipeline::{self, Item, Variant};
use crate::reference::PackageTemplate;
use crate::report::{self, Entry, Kind, Report};
use crate::supervisor::{self, Cancel, Job};
use crate::{cargo, parts, sync, wrong_fixes};

#[derive(Debug, Clone, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub report: ReportArgs,
    /// Do not report exercises that have no solution.
    #[arg(long)]
    pub allow_missing_solutions: bool,
    /// Accept solutions that build with compiler warnings.
    #[arg(long)]
    pub allow_warnings: bool,
    /// Merge nothing: each exercise, solution and wrong fix a test binary of its own (the
    /// exercises and solutions as the set's own bins): the same verdicts, slower (to
    /// compare and to measure).
    #[arg(long = "no-merge", alias = "separate-wrong-fixes", hide = true)]
    pub no_merge: bool,
}

pub fn check(start: &Path, args: &CheckArgs) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let set = open_set(start)?;
    let mut report = Report::new("check");
    report
        .entries
        .extend(file_problems(&set, args.allow_missing_solutions));
    let bins = bin_problems(&set)?;
    let bins_in_sync = bins.is_empty();
    report.entries.extend(bins);
    report.entries.extend(tests_problems(&set));

    let mut wrong = wrong_fixes::find(&set);
    report.entries.append(&mut wrong.problems);
    let own = match PackageTemplate::from_dir(&set.root) {
        Ok(package) if !args.no_merge => wrong_fixes::own::pieces(&set, &package, bins_in_sync),
        _ => Vec::new(),
    };
    let plan = wrong.plan(&own, !args.no_merge);
    let mut assembled = wrong_fixes::assemble(&set, &plan)?;
    if let Some(assembled) = &mut assembled {
        wrong_fixes::own::run_in_set_folders(&mut assembled.set, &set);
    }

    let mut items = Vec::new();
    for (index, exercise) in set.exercises.iter().enumerate() {
        if plan.is_own(exercise.name()) {
            continue;
        }
        if exercise.path.is_file() && !exercise.entry.skip_check_unsolved {
            items.push(Item {
                exercise: index,
                variant: Variant::Exercise,
            });
        }
        if exercise.solution.is_file() {
            items.push(Item {
                exercise: index,
                variant: Variant::Solution,
            });
        }
    }
    let separately = BuildSeparately {
        set: &set,
        wrong: &wrong,
        plan: &plan,
    };
    let judge_set = |outcome: &pipeline::Outcome| {
        let mut entry = report::judge_check(outcome, &reporting::outcome_path(&set, outcome));
        let tests_mode = set
            .find(&outcome.name)
            .is_some_and(|i| set.exercises[i].entry.mode == Mode::Tests);
        if tests_mode
            && outcome.variant == Variant::Exercise
            && outcome.verdict == pipeline::Verdict::NoTests
        {
            // A tests-mode exercise ships without the tests the learner is to write.
            entry.ok = true;
            entry.message = "fails as shipped: no tests yet (the learner writes them)".into();
        }
        with_warnings(entry, outcome, args.allow_warnings)
    };
    let judge_wrong = |outcome: &pipeline::Outcome| {
        let path = wrong.paths.get(&outcome.name).cloned().unwrap_or_default();
        let mut entry = report::judge_wrong_fix(outcome, &path);
        entry.name = wrong
            .labels
            .get(&outcome.name)
            .cloned()
            .unwrap_or(entry.name);
        entry
    };
    let judge_merged = |outcome: &pipeline::Outcome| {
        if plan.is_own(&outcome.name) {
            judge_set(outcome)
        } else {
            judge_wrong(outcome)
        }
    };
    let mut groups = vec![Group {
        set: &set,
        items,
        judge: &judge_set,
        retry: None,
    }];
    if let Some(assembled) = &assembled {
        groups.push(Group {
            set: &assembled.set,
            items: merged_items(&assembled.set),
            judge: &judge_merged,
            retry: Some(&separately),
        });
    }
    report
        .entries
        .extend(reporting::run_groups(&groups, &args.report)?);
    report.entries.extend(format_problems(&set)?);
    report.duration = started.elapsed();
    // Merged exercises and solutions ran with the wrong fixes: back in the set's order.
    report.entries.sort_by_key(|e| {
        let own = matches!(e.kind, Kind::Exercise | Kind::Solution);
        let kind = Kind::ALL.iter().position(|k| *k == e.kind);
        (kind, own.then(|| set.find(&e.name)).flatten())
    });
    reporting::finish(&report, &args.report)
}

/// Every exercise of an assembly, and the solutions merged with them.
fn merged_items(assembled: &ExerciseSet) -> Vec<Item> {
    let mut items = pipeline::all_exercises(assembled);
    for (exercise, e) in assembled.exercises.iter().enumerate() {
        if e.solution_scope.is_some() {
            items.push(Item {
                exercise,
                variant: Variant::Solution,
            });
        }
    }
    items
}

/// Members of a merged crate that did not compile (two wrong fixes clash, one is broken,
/// or the exercise does not compile as shipped), built one by one as if merging did not
/// exist: each gets its own verdict. Wrong fixes in a workspace of their own, exercises
/// and solutions as the set's own bins.
struct BuildSeparately<'a> {
    set: &'a ExerciseSet,
    wrong: &'a wrong_fixes::Found,
    plan: &'a wrong_fixes::merge::Plan,
}

impl Retry for BuildSeparately<'_> {
    fn wants(&self, outcome: &pipeline::Outcome) -> bool {
        outcome.verdict == pipeline::Verdict::CompileError && self.plan.is_hosted(&outcome.name)
    }

    fn run(
        &self,
        provisional: &[pipeline::Outcome],
        options: &pipeline::Options,
        on_event: &(dyn Fn(pipeline::Event) + Sync),
    ) -> anyhow::Result<Vec<pipeline::Outcome>> {
        let (own, wrong): (Vec<_>, Vec<_>) =
            provisional.iter().partition(|o| self.plan.is_own(&o.name));
        let own_items: Vec<Item> = own
            .iter()
            .filter_map(|o| {
                let exercise = self.set.find(&o.name)?;
                Some(Item {
                    exercise,
                    variant: o.variant,
                })
            })
            .collect();
        let mut outcomes = if own_items.is_empty() {
            Vec::new()
        } else {
            pipeline::run_batch(self.set, &own_items, options, &Cancel::new(), on_event)?
        };
        let names: BTreeSet<&str> = wrong.iter().map(|o| o.name.as_str()).collect();
        let pieces = self.wrong.separate_pieces(&names);
        if let Some(assembled) = wrong_fixes::assemble_separately(self.set, &pieces)? {
            let items = pipeline::all_exercises(&assembled.set);
            let cancel = Cancel::new();
            outcomes.extend(pipeline::run_batch(
                &assembled.set,
                &items,
                options,
                &cancel,
                on_event,
            )?);
        }
        Ok(outcomes)
    }
}

/// A passing solution that builds with warnings is a problem unless allowed.
fn with_warnings(mut entry: Entry, outcome: &pipeline::Outcome, allow: bool) -> Entry {
    if allow || outcome.variant != Variant::Solution || !entry.ok || outcome.warnings == 0 {
        return entry;
    }
    entry.ok = false;
    entry.status = "warnings".into();
    entry.message = format!(
        "passes, but builds with {} compiler warning(s): solutions must build cleanly (--allow-warnings to accept)",
        outcome.warnings
    );
    entry
}

/// Exercises whose tests grading could not protect: no marker (and no `#[cfg(test)]`
/// module), no test at all, or a solution whose fixed part differs from the exercise's;
/// for tests-mode exercises, no mutants.
fn tests_problems(set: &ExerciseSet) -> Vec<Entry> {
    let texts: Vec<Option<String>> = set
        .exercises
        .iter()
        .map(|e| std::fs::read_to_string(&e.path).ok())
        .collect();
    // rustlings' own sets have no marker: there the learner may edit the tests too
    // (some lessons are about writing them), so neither a missing marker nor tests that
    // differ in the solution is a problem. A set that uses the marker promises it.
    let has_marker =
        |text: &str| parts::split(text).is_some_and(|p| p.boundary != parts::Boundary::CfgTest);
    let set_uses_markers = texts.iter().flatten().any(|t| has_marker(t));
    let mut problems = Vec::new();
    for (exercise, text) in set.exercises.iter().zip(&texts) {
        let path = exercise.rel_path();
        let Some(text) = text else {
            continue;
        };
        let tests_mode = exercise.entry.mode == Mode::Tests;
        let split = parts::split(text)
            .filter(|p| (p.boundary == parts::Boundary::LearnerTests) == tests_mode);
        let Some(parts) = split else {
            if (exercise.entry.test && set_uses_markers) || tests_mode {
                let marker = if tests_mode {
                    parts::TESTS_MARKER
                } else {
                    parts::MARKER
                };
                problems.push(report::problem(
                    exercise.name(),
                    &path,
                    "no_marker",
                    format!(
                        "{path} has no line `{marker}`: grading cannot tell the learner's part from the set's; add it"
                    ),
                ));
            }
            continue;
        };
        if tests_mode && crate::mutants::find(&set.root, exercise.name()).is_empty() {
            problems.push(report::problem(
                exercise.name(),
                &path,
                "no_mutants",
                format!(
                    "{} writes tests (mode = \"tests\") but {}/{}/ holds no mutant for them to kill",
                    exercise.name(),
                    crate::mutants::MUTANTS_DIR,
                    exercise.name()
                ),
            ));
        }
        if !tests_mode && exercise.entry.test && parts::count_tests(parts.tests) == 0 {
            problems.push(report::problem(
                exercise.name(),
                &path,
                "no_tests",
                format!("{path} has no #[test] below its marker, but info.toml says `test = true`"),
            ));
        }
        let solution_path = exercise.entry.solution_path();
        let solution = std::fs::read_to_string(&exercise.solution)
            .ok()
            .filter(|_| parts.boundary != parts::Boundary::CfgTest);
        if let Some(solution) = solution {
            let solution = parts::split(&solution);
            let same = solution.is_some_and(|s| parts::same_tests(s.fixed(), parts.fixed()));
            if !same {
                let (status, what) = if tests_mode {
                    ("solution_implementation_differs", "implementation")
                } else {
                    ("solution_tests_differ", "tests")
                };
                problems.push(report::problem(
                    exercise.name(),
                    &solution_path,
                    status,
                    format!(
                        "the {what} of {solution_path} differ from those of {path}: a solution must keep what the learner is given"
                    ),
                ));
            }
            if tests_mode && solution.is_some_and(|s| parts::count_tests(s.editable()) == 0) {
                problems.push(report::problem(
                    exercise.name(),
                    &solution_path,
                    "no_tests",
                    format!("{solution_path} has no #[test] below its marker: the reference tests are the solution"),
                ));
            }
        }
    }
    problems
}

/// Listed files that are missing, `.rs` files nobody listed, exercises without solutions.
fn file_problems(set: &ExerciseSet, allow_missing_solutions: bool) -> Vec<Entry> {
    let mut problems = Vec::new();
    let mut listed: BTreeSet<PathBuf> = BTreeSet::new();
    for exercise in &set.exercises {
        listed.insert(exercise.path.clone());
        listed.insert(exercise.solution.clone());
        if !exercise.path.is_file() {
            problems.push(report::problem(
                exercise.name(),
                &exercise.rel_path(),
                "missing_file",
                format!(
                    "{} is listed in info.toml but does not exist",
                    exercise.rel_path()
                ),
            ));
        }
        if !allow_missing_solutions && !exercise.solution.is_file() {
            problems.push(report::problem(
                exercise.name(),
                &exercise.entry.solution_path(),
                "missing_solution",
                format!(
                    "{} has no solution at {} (--allow-missing-solutions to accept)",
                    exercise.name(),
                    exercise.entry.solution_path()
                ),
            ));
        }
    }
    for top in ["exercises", "solutions"] {
        for file in rust_files(&set.root.join(top)) {
            if !listed.contains(&file) {
                let shown = set.display_path(&file);
                problems.push(report::problem(
                    file.file_stem()
                        .map(|s| s.to_string_lossy().into_owned())
                        .unwrap_or_default()
                        .as_str(),
                    &shown,
                    "unlisted_file",
                    format!("{shown} is not listed in info.toml; list it or remove it"),
                ));
            }
        }
    }
    problems
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return files;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files.sort();
    files
}

/// Whether the exercises package's bins match what info.toml calls for.
fn bin_problems(set: &ExerciseSet) -> anyhow::Result<Vec<Entry>> {
    let cargo_toml = sync::exercises_manifest(&set.root)?;
    let text = std::fs::read_to_string(&cargo_toml)?;
    let prefix = if cargo_toml.parent() == Some(set.root.as_path()) {
        ""
    } else {
        "../"
    };
    let entries: Vec<_> = set.exercises.iter().map(|e| e.entry.clone()).collect();
    let wanted = sync::expected_bins(&entries, prefix, |entry| {
        set.root.join(entry.solution_path()).is_file()
    });
    let declared = sync::declared_bins(&text)?;
    if wanted == declared {
        return Ok(Vec::new());
    }
    let wanted_names: BTreeSet<&str> = wanted.iter().map(|b| b.name.as_str()).collect();
    let declared_names: BTreeSet<&str> = declared.iter().map(|b| b.name.as_str()).collect();
    let missing: Vec<&str> = wanted_names.difference(&declared_names).copied().collect();
    let extra: Vec<&str> = declared_names.difference(&wanted_names).copied().collect();
    let mut message = String::from("the Cargo bins do not match info.toml");
    if !missing.is_empty() {
        message.push_str(&format!("; missing: {}", missing.join(", ")));
    }
    if !extra.is_empty() {
        message.push_str(&format!("; not in info.toml: {}", extra.join(", ")));
    }
    if missing.is_empty() && extra.is_empty() {
        message.push_str("; paths or order differ");
    }
    message.push_str("; run `backlings sync`");
    Ok(vec![report::problem(
        "cargo_bins",
        &set.display_path(&cargo_toml),
        "bins_out_of_date",
        message,
    )])
}

/// Solutions that `rustfmt --check` would change, in one rustfmt invocation.
fn format_problems(set: &ExerciseSet) -> anyhow::Result<Vec<Entry>> {
    let solutions: Vec<&exercise::Exercise> = set
        .exercises
        .iter()
        .filter(|e| e.solution.is_file())
        .collect();
    if solutions.is_empty() {
        return Ok(Vec::new());
    }
    let edition = solutions
        .iter()
        .find_map(|e| e.solution_bin.as_ref().map(|b| b.edition.clone()))
        .unwrap_or_else(|| "2021".into());
    let job = Job::new("rustfmt")
        .args(["--check", "--edition", &edition])
        .args(solutions.iter().map(|e| e.solution.clone()));
    let done = supervisor::run_split(
        &job,
        cargo::Lines::default(),
        cargo::Lines::default(),
        &Cancel::new(),
    )
    .context("could not run rustfmt; install it with `rustup component add rustfmt`")?;
    let mut unformatted: BTreeSet<PathBuf> = BTreeSet::new();
    for line in &done.stdout.lines {
        if let Some(rest) = line.strip_prefix("Diff in ") {
            let path = rest.rsplitn(3, ':').nth(2).unwrap_or(rest);
            unformatted.insert(PathBuf::from(path));
        }
    }
    let mut problems = Vec::new();
    for exercise in solutions {
        let canonical = std::fs::canonicalize(&exercise.solution).unwrap_or_default();
        if unformatted.contains(&exercise.solution) || unformatted.contains(&canonical) {
            problems.push(report::problem(
                exercise.name(),
                &exercise.entry.solution_path(),
                "unformatted",
                format!(
                    "{} is not formatted; run `rustfmt --edition {edition} {}`",
                    exercise.entry.solution_path(),
                    exercise.entry.solution_path()
                ),
            ));
        }
    }
    if !done.ending.success() && problems.is_empty() {
        problems.push(report::problem(
            "rustfmt",
            "solutions",
            "rustfmt_failed",
            format!("rustfmt failed:\n{}", done.stderr.lines.join("\n")),
        ));
    }
    Ok(problems)
}
