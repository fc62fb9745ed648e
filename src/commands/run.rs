//! `backlings run` and `backlings hint`.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use crate::commands::Learner;
use crate::course;
use crate::exit::FAILED as EXIT_FAILED;
use crate::pipeline::{self, Event, Options, Outcome, Variant};
use crate::services::Services;
use crate::style;
use crate::supervisor::Cancel;

pub fn run(start: &Path, name: Option<&str>) -> anyhow::Result<ExitCode> {
    let mut learner = Learner::open(start)?;
    let index = learner.pick(name)?;
    let options = Options {
        color: style::color_stdout(),
        services: Some(Arc::new(Services::for_set(&learner.set.root))),
        ..Options::default()
    };
    let exercise = &learner.set.exercises[index];
    if !exercise.path.exists() {
        // Said here, once, rather than as "not a bin" after a build that cannot help.
        anyhow::bail!(
            "{} is listed in info.toml but does not exist; `backlings reset {}` restores it as shipped",
            exercise.rel_path(),
            exercise.name()
        );
    }
    eprintln!(
        "{} {} ({})",
        style::dim().apply_to("Running"),
        style::emphasis().apply_to(exercise.name()),
        style::file_link(&exercise.rel_path(), &exercise.path)
    );
    let outcome = pipeline::run_one(
        &learner.set,
        index,
        Variant::Exercise,
        &options,
        &Cancel::new(),
        &|event| {
            if let Event::Build(crate::cargo::BuildEvent::WaitingForLock) = event {
                eprintln!("waiting for the build lock (another cargo is building)...");
            }
        },
    )?;
    print_outcome(&outcome, options.color);
    let exercise = &learner.set.exercises[index];
    if let pipeline::Verdict::Environment { .. } = outcome.verdict {
        // Nothing in the file can fix this one.
        println!(
            "Run it again once this machine provides it; `backlings doctor` says what it finds."
        );
        return Ok(ExitCode::from(EXIT_FAILED));
    }
    if !outcome.verdict.passed() {
        println!(
            "Edit {} and run again; `backlings hint {}` gives a hint.",
            style::file_link(&exercise.rel_path(), &exercise.path),
            exercise.name()
        );
        return Ok(ExitCode::from(EXIT_FAILED));
    }
    let done_name = exercise.name().to_string();
    let names: Vec<String> = learner.set.names().map(str::to_string).collect();
    // Decided on the progress as it is on disk now: another backlings may have moved on.
    let next = learner.update(|progress| {
        progress.mark_done(&done_name);
        if name.is_none() || progress.current.as_deref() == Some(done_name.as_str()) {
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            let next = progress.next_pending(&names).map(str::to_string);
            if next.is_some() {
                progress.current.clone_from(&next);
            }
            return next;
        }
        None
    })?;
    if let Some(next) = next {
        println!("Next up: {}", style::emphasis().apply_to(next));
    }
    let exercise = &learner.set.exercises[index];
    if let Some(revealed) = course::reveal_solution(&learner.set, exercise)? {
        println!(
            "A reference solution is at {}",
            style::file_link(&revealed.0, &revealed.1)
        );
    }
    let done = learner.progress.done.len();
    let total = learner.set.exercises.len();
    if done == total
        && let Some(message) = &learner.set.final_message
    {
        println!("\n{message}");
    }
    Ok(ExitCode::SUCCESS)
}

/// Prints a run's output and its verdict.
pub fn print_outcome(outcome: &Outcome, color: bool) {
    let output = if color {
        outcome.output.clone()
    } else {
        style::plain(&outcome.output)
    };
    if !output.trim().is_empty() {
        print!("{output}");
        if !output.ends_with('\n') {
            println!();
        }
    }
    let mark = if outcome.verdict.passed() {
        "✓"
    } else {
        "✗"
    };
    println!(
        "{} {}: {}",
        style::verdict(mark, outcome.verdict.passed()),
        style::emphasis().apply_to(&outcome.name),
        style::verdict(&outcome.verdict.to_string(), outcome.verdict.passed())
    );
}

pub fn hint(start: &Path, name: Option<&str>) -> anyhow::Result<ExitCode> {
    let learner = Learner::open(start)?;
    let index = learner.pick(name)?;
    let exercise = &learner.set.exercises[index];
    println!(
        "{} {}\n{}",
        style::heading().apply_to("Hint for"),
        style::emphasis().apply_to(exercise.name()),
        exercise.entry.hint
    );
    Ok(ExitCode::SUCCESS)
}
