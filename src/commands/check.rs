//! `backlings check` (is the set sound?) and `backlings grade` (which exercises pass?).

use std::collections::BTreeSet;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Mutex;
use std::time::Instant;

use anyhow::Context;
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};

use crate::cli::EXIT_FAILED;
use crate::commands::{Learner, open_set};
use crate::exercise::{self, ExerciseSet};
use crate::pipeline::{self, Event, Item, Options, Variant, variant_path};
use crate::report::{self, Entry, Report};
use crate::supervisor::{self, Cancel, Job};
use crate::{cargo, fsutil, style, sync, tamper};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Human,
    Json,
    Junit,
}

#[derive(Debug, Clone, Args)]
pub struct ReportArgs {
    /// Report format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Write the report to FILE (atomically) instead of stdout; progress stays on the terminal.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Binaries run in parallel (default: the number of CPUs).
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<usize>,
}

#[derive(Debug, Clone, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub report: ReportArgs,
    /// Do not report exercises that have no solution.
    #[arg(long)]
    pub allow_missing_solutions: bool,
}

#[derive(Debug, Clone, Args)]
pub struct GradeArgs {
    #[command(flatten)]
    pub report: ReportArgs,
    /// The original set: exercises whose tests differ from it are reported as tampered.
    #[arg(long, value_name = "DIR")]
    pub against: Option<PathBuf>,
    /// Mark the exercises that pass as done in the learner's progress.
    #[arg(long)]
    pub update_progress: bool,
}

pub fn check(start: &Path, args: &CheckArgs) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let set = open_set(start)?;
    let mut report = Report::new("check");
    report
        .entries
        .extend(file_problems(&set, args.allow_missing_solutions));
    report.entries.extend(bin_problems(&set)?);

    let mut items = Vec::new();
    for (index, exercise) in set.exercises.iter().enumerate() {
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
    report
        .entries
        .extend(run_items(&set, &items, &args.report, report::judge_check)?);
    report.entries.extend(format_problems(&set)?);
    report.duration = started.elapsed();
    report.sort();
    finish(&report, &args.report)
}

pub fn grade(start: &Path, args: &GradeArgs) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let mut learner = Learner::open(start)?;
    let set = &learner.set;
    let original = match &args.against {
        Some(dir) => Some(
            ExerciseSet::load(&exercise::find_root(&start.join(dir))?)
                .with_context(|| format!("loading the original set at {}", dir.display()))?,
        ),
        None => None,
    };
    let items: Vec<Item> = (0..set.exercises.len())
        .map(|exercise| Item {
            exercise,
            variant: Variant::Exercise,
        })
        .collect();
    let mut report = Report::new("grade");
    report.entries = run_items(set, &items, &args.report, report::judge_grade)?;
    if let Some(original) = &original {
        mark_tampered(set, original, &mut report.entries);
    }
    report.duration = started.elapsed();
    if args.update_progress {
        for entry in report.entries.iter().filter(|e| e.ok) {
            learner.progress.mark_done(&entry.name);
        }
        learner.save()?;
    }
    finish(&report, &args.report)
}

/// Runs `items` and turns each outcome into a report entry, with live progress.
fn run_items(
    set: &ExerciseSet,
    items: &[Item],
    args: &ReportArgs,
    judge: fn(&pipeline::Outcome, &str) -> Entry,
) -> anyhow::Result<Vec<Entry>> {
    let progress = Progress::new(items.len());
    let options = Options {
        color: false,
        jobs: args.jobs.unwrap_or_else(|| Options::default().jobs).max(1),
        ..Options::default()
    };
    let path_of = |outcome: &pipeline::Outcome| {
        set.find(&outcome.name)
            .map(|i| {
                let path = variant_path(&set.exercises[i], outcome.variant);
                rel(set, path)
            })
            .unwrap_or_default()
    };
    let outcomes =
        pipeline::run_batch(set, items, &options, &Cancel::new(), &|event| match event {
            Event::Build(cargo::BuildEvent::WaitingForLock) => {
                progress.note("waiting for the build lock (another cargo is building)")
            }
            Event::Build(_) => {}
            Event::Built { runs, build_time } => progress.note(&format!(
                "built in {:.1}s; running {runs} binaries",
                build_time.as_secs_f64()
            )),
            Event::Finished(outcome) => progress.finished(&judge(&outcome, &path_of(&outcome))),
        })?;
    progress.done();
    Ok(outcomes.iter().map(|o| judge(o, &path_of(o))).collect())
}

/// Live progress on stderr: a bar on a terminal, one plain line per result otherwise.
struct Progress {
    bar: Option<ProgressBar>,
    lock: Mutex<()>,
}

impl Progress {
    fn new(total: usize) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new(total as u64);
            if let Ok(style) =
                ProgressStyle::with_template("{spinner} [{elapsed}] {bar:30} {pos}/{len} {msg}")
            {
                bar.set_style(style);
            }
            bar.set_message("building");
            bar.enable_steady_tick(std::time::Duration::from_millis(120));
            bar
        });
        Self {
            bar,
            lock: Mutex::new(()),
        }
    }

    fn note(&self, message: &str) {
        match &self.bar {
            Some(bar) => bar.set_message(message.to_string()),
            None => eprintln!("{message}"),
        }
    }

    fn finished(&self, entry: &Entry) {
        let _guard = self.lock.lock();
        let line = format!(
            "{} {:8} {}: {}",
            if entry.ok { "ok  " } else { "FAIL" },
            entry.kind.suite_name().trim_end_matches('s'),
            entry.name,
            entry.message
        );
        match &self.bar {
            Some(bar) => {
                if !entry.ok {
                    bar.println(style::failure().apply_to(&line).to_string());
                }
                bar.inc(1);
            }
            None => eprintln!("{line}"),
        }
    }

    fn done(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
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
                let shown = rel(set, &file);
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
        &rel(set, &cargo_toml),
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

/// Marks passing entries whose tests differ from the original set's as tampered.
fn mark_tampered(set: &ExerciseSet, original: &ExerciseSet, entries: &mut [Entry]) {
    for entry in entries.iter_mut() {
        let (Some(mine), Some(theirs)) = (
            set.find(&entry.name).map(|i| &set.exercises[i]),
            original.find(&entry.name).map(|i| &original.exercises[i]),
        ) else {
            continue;
        };
        let (Ok(mine), Ok(theirs)) = (
            std::fs::read_to_string(&mine.path),
            std::fs::read_to_string(&theirs.path),
        ) else {
            continue;
        };
        if tamper::test_code(&mine) != tamper::test_code(&theirs) {
            entry.ok = false;
            entry.status = "tampered".into();
            entry.message = format!(
                "tampered: the tests differ from the original ({})",
                entry.message
            );
        }
    }
}

fn rel(set: &ExerciseSet, path: &Path) -> String {
    path.strip_prefix(&set.root)
        .unwrap_or(path)
        .to_string_lossy()
        .into_owned()
}

/// Writes the report where asked and turns it into the exit code.
fn finish(report: &Report, args: &ReportArgs) -> anyhow::Result<ExitCode> {
    let rendered = match args.format {
        Format::Human => report::to_human_summary(report),
        Format::Json => report::to_json(report) + "\n",
        Format::Junit => report::to_junit(report).context("rendering the JUnit report")?,
    };
    match &args.output {
        Some(path) => {
            fsutil::write_atomic(path, rendered.as_bytes())
                .with_context(|| format!("writing the report to {}", path.display()))?;
            if args.format != Format::Human {
                eprint!("{}", report::to_human_summary(report));
            }
            eprintln!("Report written to {}", path.display());
        }
        None => print!("{rendered}"),
    }
    Ok(if report.is_ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_FAILED)
    })
}
