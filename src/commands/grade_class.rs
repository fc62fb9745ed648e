//! `backlings grade --class DIR`: every student workspace under DIR against one reference,
//! built in one assembled workspace (see [`crate::class`]), one student at a time with a
//! time budget each, and a roster at the end.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::ExitCode;
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use super::grade::{GradeArgs, recorded_course_version, reference_dir};
use super::reporting::{self, Format, Progress};
use crate::assembly::{self, Edits};
use crate::cargo::CargoError;
use crate::class::{self, Candidate, ClassReport, StudentPlan, StudentResult};
use crate::exercise::ExerciseSet;
use crate::exit::FAILED as EXIT_FAILED;
use crate::manifest::ExerciseEntry;
use crate::pipeline::{self, Item, Options, Variant};
use crate::reference::{self, Reference};
use crate::report::{self, Report};
use crate::services::Services;
use crate::supervisor::Cancel;

pub fn grade_class(dir: &Path, args: &GradeArgs) -> anyhow::Result<ExitCode> {
    let dir = std::env::current_dir()
        .context("cannot read the current directory")?
        .join(dir);
    if !dir.is_dir() {
        bail!(
            "--class {}: not a directory; give the folder that holds one subfolder per student",
            dir.display()
        );
    }
    let (reference, bundled) = match &args.against {
        Some(against) => (
            Reference::load(&reference_dir(against)?)
                .with_context(|| format!("--against {}", against.display()))?,
            None,
        ),
        None => (
            Reference::bundled()?,
            Some(reference::bundled_course_version()),
        ),
    };
    let candidates = class::discover(&dir)
        .with_context(|| format!("reading the class folder {}", dir.display()))?;
    eprintln!(
        "Grading {} students in {} against {}",
        candidates
            .iter()
            .filter(|c| matches!(c, Candidate::Student { .. }))
            .count(),
        dir.display(),
        reference.origin
    );
    let max_score: u32 = reference.manifest.exercises.iter().map(|e| e.points).sum();
    let mut results: BTreeMap<String, StudentResult> = BTreeMap::new();
    let mut plans: Vec<StudentPlan> = Vec::new();
    for candidate in &candidates {
        match candidate {
            Candidate::Skipped { name, why } => {
                results.insert(
                    name.clone(),
                    StudentResult::failed(name, why.clone(), max_score),
                );
            }
            Candidate::Student { name, root } => {
                if let Some(version) = &bundled
                    && recorded_course_version(root).as_ref() != Some(version)
                {
                    results.insert(
                        name.clone(),
                        StudentResult::failed(
                            name,
                            "made from another version of the bundled course: grade the class with --against DIR".into(),
                            max_score,
                        ),
                    );
                    continue;
                }
                plans.push(class::plan_student(name, root, &reference));
            }
        }
    }

    let pieces = class::distinct_pieces(&plans);
    let (work, target) = assembly::grading_dirs(&reference.package);
    let assembled = assembly::assemble(&work, &target, &reference.package, &pieces, Edits::Once)?;
    let entries: BTreeMap<&str, &ExerciseEntry> = reference
        .manifest
        .exercises
        .iter()
        .map(|e| (e.name.as_str(), e))
        .collect();
    let progress = Progress::new(plans.len());
    let options = Options {
        jobs: args
            .report
            .jobs
            .unwrap_or_else(|| Options::default().jobs)
            .max(1),
        services: Some(Arc::new(Services::for_set(&assembled.set.root))),
        ..Options::default()
    };
    let budget = Duration::from_secs(args.student_budget);
    for student in &plans {
        let result = grade_student(&assembled.set, student, &entries, &options, budget);
        progress.step(
            result.error.is_none(),
            &format!(
                "{}: {}/{}{}",
                student.name,
                result.score,
                result.max_score,
                result
                    .error
                    .as_deref()
                    .map(|e| format!(" ({e})"))
                    .unwrap_or_default()
            ),
        );
        results.insert(student.name.clone(), result);
    }
    progress.done();
    let roster = ClassReport {
        reference: reference.origin.clone(),
        exercises: reference
            .manifest
            .exercises
            .iter()
            .map(|e| e.name.clone())
            .collect(),
        students: results.into_values().collect(),
    };
    finish(&roster, args)
}

/// Builds and runs one student's pieces within `budget`; a failure of the batch itself
/// (the budget, cargo) is the student's roster line, not the class's end.
fn grade_student(
    set: &ExerciseSet,
    student: &StudentPlan,
    entries: &BTreeMap<&str, &ExerciseEntry>,
    options: &Options,
    budget: Duration,
) -> StudentResult {
    let max_score: u32 = entries.values().map(|e| e.points).sum();
    let items: Vec<Item> = student
        .bins
        .keys()
        .filter_map(|bin| set.find(bin))
        .map(|exercise| Item {
            exercise,
            variant: Variant::Exercise,
        })
        .collect();
    let cancel = Cancel::new();
    let (stop_timer, stopped) = mpsc::channel::<()>();
    let timer_cancel = cancel.clone();
    let timer = std::thread::spawn(move || {
        if stopped.recv_timeout(budget) == Err(mpsc::RecvTimeoutError::Timeout) {
            timer_cancel.cancel();
        }
    });
    let started = Instant::now();
    let outcomes = pipeline::run_batch(set, &items, options, &cancel, &|_| {});
    let _ = stop_timer.send(());
    let _ = timer.join();
    let outcomes = match outcomes {
        Ok(outcomes) => outcomes,
        Err(CargoError::Cancelled) => {
            return StudentResult::failed(
                &student.name,
                format!("over the time budget of {} s", budget.as_secs()),
                max_score,
            );
        }
        Err(err) => return StudentResult::failed(&student.name, err.to_string(), max_score),
    };
    let mut report = Report::new("grade");
    for outcome in &outcomes {
        let Some(exercise) = student.bins.get(&outcome.name) else {
            continue;
        };
        let Some(entry) = entries.get(exercise.as_str()) else {
            continue;
        };
        let notes = student
            .plan
            .notes
            .get(exercise)
            .map_or(&[][..], Vec::as_slice);
        let mut graded = report::judge_grade(outcome, &entry.exercise_path(), notes, entry.points);
        graded.name.clone_from(exercise);
        if outcome.verdict == pipeline::Verdict::Cancelled {
            graded.message = format!("over the time budget of {} s", budget.as_secs());
        }
        report.entries.push(graded);
    }
    report.entries.extend(student.plan.entries.iter().cloned());
    report.sort();
    report.duration = started.elapsed();
    StudentResult::graded(&student.name, report)
}

fn render(roster: &ClassReport, format: Format) -> anyhow::Result<String> {
    Ok(match format {
        Format::Human => roster.to_human(),
        Format::Json => roster.to_json() + "\n",
        Format::Csv => roster.to_csv(),
        Format::Markdown => roster.to_markdown(),
        Format::Junit | Format::Classroom => bail!(
            "--class writes a roster: choose human, json, csv or markdown (JUnit and Classroom reports are per student: `backlings grade` in each repository)"
        ),
    })
}

fn finish(roster: &ClassReport, args: &GradeArgs) -> anyhow::Result<ExitCode> {
    reporting::publish(&args.report, &|format| render(roster, format), None)?;
    // Low scores are the class's business; a student who could not be graded is ours.
    Ok(if roster.students.iter().all(|s| s.error.is_none()) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_FAILED)
    })
}
