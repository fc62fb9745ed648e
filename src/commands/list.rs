//! `backlings list`: the exercises with chapter, state and path.

use std::path::Path;
use std::process::ExitCode;

use serde::Serialize;

use crate::cli::ListFormat;
use crate::commands::Learner;
use crate::style;
use crate::watch::ui::Columns;

#[derive(Serialize)]
struct Row<'a> {
    name: &'a str,
    chapter: &'a str,
    path: String,
    done: bool,
    current: bool,
}

#[derive(Serialize)]
struct Listing<'a> {
    done: usize,
    total: usize,
    exercises: Vec<Row<'a>>,
}

pub fn run(start: &Path, format: ListFormat) -> anyhow::Result<ExitCode> {
    let learner = Learner::open(start)?;
    let rows: Vec<Row> = learner
        .set
        .exercises
        .iter()
        .map(|e| Row {
            name: e.name(),
            chapter: e.chapter(),
            path: e.rel_path(),
            done: learner.progress.is_done(e.name()),
            current: learner.progress.current.as_deref() == Some(e.name()),
        })
        .collect();
    let listing = Listing {
        done: rows.iter().filter(|r| r.done).count(),
        total: rows.len(),
        exercises: rows,
    };
    match format {
        ListFormat::Json => println!("{}", serde_json::to_string_pretty(&listing)?),
        ListFormat::Human => print_table(&listing),
    }
    Ok(ExitCode::SUCCESS)
}

/// The same columns, in the same order, as watch mode's list; sized to the content.
fn print_table(listing: &Listing) {
    let columns = Columns::fit(
        listing
            .exercises
            .iter()
            .map(|r| (r.name, r.chapter, r.path.as_str())),
        usize::MAX,
    );
    println!("  {}", columns.row("STATE", "NAME", "CHAPTER", "PATH"));
    for row in &listing.exercises {
        let marker = if row.current { "▶" } else { " " };
        let state = if row.done {
            style::success().apply_to("done")
        } else {
            style::dim().apply_to("pending")
        };
        println!(
            "{marker} {}",
            columns.row(&state.to_string(), row.name, row.chapter, &row.path)
        );
    }
    println!("\n{} of {} done", listing.done, listing.total);
}
