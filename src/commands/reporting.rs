//! What `check` and `grade` share: report options, running a batch with live progress,
//! and writing the report.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use anyhow::Context;
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};

use crate::exercise::ExerciseSet;
use crate::exit::FAILED as EXIT_FAILED;
use crate::pipeline::{self, Event, Item, Options};
use crate::report::{self, Entry, Report};
use crate::services::Services;
use crate::supervisor::Cancel;
use crate::{cargo, fsutil, style};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A summary for the terminal.
    Human,
    /// One JSON document: every entry with its status, message, output and points.
    Json,
    /// JUnit XML, for CI test reports.
    Junit,
    /// Markdown: a table per chapter, for job summaries and pages.
    Markdown,
    /// GitHub Classroom's runner result, for the autograding reporter.
    Classroom,
    /// A roster as CSV (`grade --class` only).
    Csv,
}

/// An extra report written to a file: `FORMAT=FILE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtraReport {
    pub format: Format,
    pub path: PathBuf,
}

fn parse_extra_report(text: &str) -> Result<ExtraReport, String> {
    let (format, path) = text
        .split_once('=')
        .ok_or_else(|| format!("`{text}` is not FORMAT=FILE (e.g. junit=report.xml)"))?;
    let format = Format::from_str(format, true).map_err(|_| {
        format!("`{format}` is not a report format (human, json, junit, markdown, classroom, csv)")
    })?;
    if path.is_empty() {
        return Err(format!("`{text}` names no file"));
    }
    Ok(ExtraReport {
        format,
        path: PathBuf::from(path),
    })
}

#[derive(Debug, Clone, Args)]
pub struct ReportArgs {
    /// Report format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Write the report to FILE (atomically) instead of stdout; progress stays on the terminal.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Also write the report in FORMAT to FILE, from the same run; repeatable
    /// (`--report junit=grade.xml --report classroom=result.json`).
    #[arg(long = "report", value_name = "FORMAT=FILE", value_parser = parse_extra_report)]
    pub reports: Vec<ExtraReport>,
    /// Binaries run in parallel (default: the number of CPUs).
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<usize>,
}

/// A batch of one set: what to run and how to judge each outcome.
pub struct Group<'a> {
    pub set: &'a ExerciseSet,
    pub items: Vec<Item>,
    pub judge: &'a (dyn Fn(&pipeline::Outcome) -> Entry + Sync),
    /// Outcomes that are not final, and how to get the final ones.
    pub retry: Option<&'a dyn Retry>,
}

/// A second try at some outcomes of a group (wrong fixes whose merged crate did not
/// compile, built one by one). Those are neither shown nor reported; their retries are.
pub trait Retry: Sync {
    /// Whether `outcome` is only provisional.
    fn wants(&self, outcome: &pipeline::Outcome) -> bool;
    /// The final outcomes for `provisional`, each with its name.
    fn run(
        &self,
        provisional: &[pipeline::Outcome],
        options: &Options,
        on_event: &(dyn Fn(Event) + Sync),
    ) -> anyhow::Result<Vec<pipeline::Outcome>>;
}

/// Runs each group's items and turns each outcome into a report entry, with one live
/// progress display over all groups.
pub fn run_groups(groups: &[Group], args: &ReportArgs) -> anyhow::Result<Vec<Entry>> {
    let progress = Progress::new(groups.iter().map(|g| g.items.len()).sum());
    let options = Options {
        color: false,
        jobs: args.jobs.unwrap_or_else(|| Options::default().jobs).max(1),
        // Started on first need: most sets never need one.
        services: groups
            .first()
            .map(|g| Arc::new(Services::for_set(&g.set.root))),
        ..Options::default()
    };
    let mut entries = Vec::new();
    for group in groups.iter().filter(|g| !g.items.is_empty()) {
        let provisional = |o: &pipeline::Outcome| group.retry.is_some_and(|r| r.wants(o));
        // The first run's provisional outcomes are not shown; their retries are.
        let on_event = |event, first: bool| match event {
            Event::Build(cargo::BuildEvent::WaitingForLock) => {
                progress.note("waiting for the build lock (another cargo is building)")
            }
            Event::Build(_) | Event::TestsAnnounced(_) => {}
            Event::Built { runs, build_time } => progress.note(&format!(
                "built in {:.1}s; {runs} to run",
                build_time.as_secs_f64()
            )),
            Event::Finished(outcome) if first && provisional(&outcome) => {}
            Event::Finished(outcome) => progress.finished(&(group.judge)(&outcome)),
        };
        let mut outcomes = pipeline::run_batch(
            group.set,
            &group.items,
            &options,
            &Cancel::new(),
            &|event| on_event(event, true),
        )?;
        if let Some(retry) = group.retry {
            let wanted: Vec<pipeline::Outcome> = outcomes
                .iter()
                .filter(|o| retry.wants(o))
                .cloned()
                .collect();
            if !wanted.is_empty() {
                let mut retried = retry.run(&wanted, &options, &|e| on_event(e, false))?;
                for outcome in &mut outcomes {
                    if let Some(at) = retried
                        .iter()
                        .position(|r| r.name == outcome.name && r.variant == outcome.variant)
                    {
                        *outcome = retried.swap_remove(at);
                    }
                }
            }
        }
        entries.extend(outcomes.iter().map(|o| (group.judge)(o)));
    }
    progress.done();
    Ok(entries)
}

/// The path of an outcome's file, relative to the set, for reports.
pub fn outcome_path(set: &ExerciseSet, outcome: &pipeline::Outcome) -> String {
    set.find(&outcome.name)
        .map(|i| set.display_path(set.exercises[i].file(outcome.variant)))
        .unwrap_or_default()
}

/// Live progress on stderr: a bar on a terminal, one plain line per result otherwise.
pub struct Progress {
    bar: Option<ProgressBar>,
    lock: Mutex<()>,
}

impl Progress {
    pub fn new(total: usize) -> Self {
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

    pub fn note(&self, message: &str) {
        match &self.bar {
            Some(bar) => bar.set_message(message.to_string()),
            None => eprintln!("{message}"),
        }
    }

    fn finished(&self, entry: &Entry) {
        let line = format!("{:9} {}: {}", entry.kind.label(), entry.name, entry.message);
        self.step(entry.ok, &line);
    }

    /// One item done: on a terminal the bar moves (and a failure is printed above it);
    /// elsewhere a line per item.
    pub fn step(&self, ok: bool, what: &str) {
        let _guard = self.lock.lock();
        let line = format!("{} {what}", if ok { "ok  " } else { "FAIL" });
        match &self.bar {
            Some(bar) => {
                if !ok {
                    bar.println(style::failure().apply_to(&line).to_string());
                }
                bar.inc(1);
            }
            None => eprintln!("{line}"),
        }
    }

    pub fn done(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

fn render(report: &Report, format: Format) -> anyhow::Result<String> {
    Ok(match format {
        Format::Human => report::to_human_summary(report),
        Format::Json => report::to_json(report) + "\n",
        Format::Junit => report::to_junit(report).context("rendering the JUnit report")?,
        Format::Markdown => report::to_markdown(report),
        Format::Classroom => report::to_classroom(report) + "\n",
        Format::Csv => anyhow::bail!("the csv format is for class rosters (`grade --class DIR`)"),
    })
}

/// Appends the Markdown rendering to GitHub Actions' job summary when running there.
fn append_to_job_summary(markdown: impl FnOnce() -> anyhow::Result<String>) -> anyhow::Result<()> {
    let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) else {
        return Ok(());
    };
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .with_context(|| {
            format!(
                "opening GITHUB_STEP_SUMMARY ({})",
                PathBuf::from(&path).display()
            )
        })?;
    std::io::Write::write_all(&mut file, markdown()?.as_bytes()).context("writing the job summary")
}

/// Writes one result in every rendering asked for: each `--report FORMAT=FILE`, the job
/// summary on GitHub, then the main format to `--output` or stdout. With `--output` in a
/// machine format, `terminal_summary` (if any) still goes to stderr for people.
pub fn publish(
    args: &ReportArgs,
    render: &dyn Fn(Format) -> anyhow::Result<String>,
    terminal_summary: Option<&str>,
) -> anyhow::Result<()> {
    for extra in &args.reports {
        fsutil::write_atomic(&extra.path, render(extra.format)?.as_bytes())
            .with_context(|| format!("writing the report to {}", extra.path.display()))?;
    }
    append_to_job_summary(|| render(Format::Markdown))?;
    let rendered = render(args.format)?;
    match &args.output {
        Some(path) => {
            fsutil::write_atomic(path, rendered.as_bytes())
                .with_context(|| format!("writing the report to {}", path.display()))?;
            if args.format != Format::Human
                && let Some(summary) = terminal_summary
            {
                eprint!("{summary}");
            }
            eprintln!("Report written to {}", path.display());
        }
        None => print!("{rendered}"),
    }
    Ok(())
}

/// Writes the report where asked and turns it into the exit code.
pub fn finish(report: &Report, args: &ReportArgs) -> anyhow::Result<ExitCode> {
    publish(
        args,
        &|format| render(report, format),
        Some(&report::to_human_summary(report)),
    )?;
    Ok(if report.is_ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_FAILED)
    })
}
