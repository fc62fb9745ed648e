//! `backlings list`: the exercises with chapter, state and path.

use std::path::Path;
use std::process::ExitCode;

use serde::Serialize;

use crate::cli::ListFormat;
use crate::commands::Learner;
use crate::style;

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

fn print_table(listing: &Listing) {
    let name_width = listing
        .exercises
        .iter()
        .map(|r| r.name.len())
        .max()
        .unwrap_or(4)
        .max(4);
    let chapter_width = listing
        .exercises
        .iter()
        .map(|r| r.chapter.len())
        .max()
        .unwrap_or(7)
        .max(7);
    println!(
        "  {:name_width$}  {:chapter_width$}  {:7}  PATH",
        "NAME", "CHAPTER", "STATE"
    );
    for row in &listing.exercises {
        let marker = if row.current { ">" } else { " " };
        let state = if row.done {
            style::success().apply_to(format!("{:7}", "done"))
        } else {
            style::dim().apply_to(format!("{:7}", "pending"))
        };
        println!(
            "{marker} {:name_width$}  {:chapter_width$}  {state}  {}",
            row.name, row.chapter, row.path
        );
    }
    println!("\n{}/{} done", listing.done, listing.total);
}
