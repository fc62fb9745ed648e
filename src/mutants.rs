//! Exercises where the learner writes the tests (`mode = "tests"`): their tests must pass
//! against the given implementation and fail against every mutant of it. A mutant is
//! `mutants/<exercise>/<variant>.rs`: the implementation part (the text above the tests
//! marker) with one planted fault, its first line `// mutant: <what it does wrong>`. The
//! runner splices each mutant onto the learner's tests, builds them in an assembled
//! workspace beside the set's target directory, and names every mutant that survives.

use std::path::Path;

use crate::assembly::{self, Edits, Piece};
use crate::exercise::{Exercise, ExerciseSet};
use crate::parts;
use crate::pipeline::{self, Options, Variant, Verdict};
use crate::reference::PackageTemplate;
use crate::supervisor::Cancel;

/// The set's folder of mutants.
pub const MUTANTS_DIR: &str = "mutants";
const DESCRIPTION_PREFIX: &str = "// mutant:";

/// One mutant of an exercise's implementation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mutant {
    /// The file stem.
    pub variant: String,
    /// What it does wrong, to complete "your tests accept an implementation that …".
    pub description: String,
    /// The implementation part, without the description line (tests must not be able to
    /// tell a mutant by its text).
    pub code: String,
}

impl Mutant {
    /// Reads a mutant file's text.
    pub fn parse(variant: &str, text: &str) -> Self {
        let (first, rest) = text.split_once('\n').unwrap_or((text, ""));
        match first.trim().strip_prefix(DESCRIPTION_PREFIX) {
            Some(description) => Self {
                variant: variant.into(),
                description: description.trim().to_string(),
                code: rest.to_string(),
            },
            None => Self {
                variant: variant.into(),
                description: format!("is the mutant `{variant}`"),
                code: text.to_string(),
            },
        }
    }
}

/// The mutant files of exercise `name` in the set at `root`, as (file name, text).
pub fn files(root: &Path, name: &str) -> Vec<(String, String)> {
    let dir = root.join(MUTANTS_DIR).join(name);
    let mut files: Vec<(String, String)> = std::fs::read_dir(&dir)
        .map(|entries| {
            entries
                .flatten()
                .filter(|e| e.path().extension().is_some_and(|x| x == "rs"))
                .filter_map(|e| {
                    let text = std::fs::read_to_string(e.path()).ok()?;
                    Some((e.file_name().to_string_lossy().into_owned(), text))
                })
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

/// The mutants of exercise `name` in the set at `root`.
pub fn find(root: &Path, name: &str) -> Vec<Mutant> {
    files(root, name)
        .iter()
        .map(|(file, text)| Mutant::parse(file.trim_end_matches(".rs"), text))
        .collect()
}

/// Runs the learner's tests of a tests-mode exercise (whose file already passed against
/// the real implementation) against every mutant. Passed when all are killed.
pub fn verify(
    set: &ExerciseSet,
    exercise: &Exercise,
    variant: Variant,
    options: &Options,
    cancel: &Cancel,
) -> (Verdict, String) {
    let mutants = find(&set.root, exercise.name());
    if mutants.is_empty() {
        return (
            Verdict::MutantsNotRun {
                why: format!(
                    "the set has no mutants for `{}` ({MUTANTS_DIR}/{}/)",
                    exercise.name(),
                    exercise.name()
                ),
            },
            String::new(),
        );
    }
    let text = std::fs::read_to_string(exercise.file(variant)).unwrap_or_default();
    let Some(file) = parts::split(&text) else {
        return (
            Verdict::MutantsNotRun {
                why: format!("the line `{}` is missing", parts::TESTS_MARKER),
            },
            String::new(),
        );
    };
    let pieces: Vec<Piece> = mutants
        .iter()
        .map(|mutant| {
            let mut entry = exercise.entry.clone();
            entry.name = format!(
                "{}__mutant_{}",
                exercise.name(),
                assembly::bin_suffix(&mutant.variant)
            );
            // A mutant is only run: its own verdict is the learner's tests' verdict on it.
            entry.mode = crate::manifest::Mode::Fix;
            let mutated = parts::Parts {
                learner: &mutant.code,
                ..file
            };
            Piece {
                entry,
                text: mutated.with_editable(file.editable()),
                mutants: Vec::new(),
                solution: None,
            }
        })
        .collect();
    match run_mutants(set, exercise, variant, &pieces, options, cancel) {
        Err(why) => (Verdict::MutantsNotRun { why }, String::new()),
        Ok(outcomes) if outcomes.iter().any(|o| o.verdict == Verdict::Cancelled) => {
            (Verdict::Cancelled, String::new())
        }
        Ok(outcomes)
            if variant == Variant::Solution
                && outcomes.iter().any(|o| o.verdict == Verdict::CompileError) =>
        {
            let broken: Vec<&str> = outcomes
                .iter()
                .zip(&mutants)
                .filter(|(o, _)| o.verdict == Verdict::CompileError)
                .map(|(_, m)| m.variant.as_str())
                .collect();
            (
                Verdict::MutantsNotRun {
                    why: format!(
                        "mutant(s) {} do not compile with the reference's tests; a mutant keeps every signature",
                        broken.join(", ")
                    ),
                },
                String::new(),
            )
        }
        Ok(outcomes) => {
            let survivors: Vec<String> = outcomes
                .iter()
                .zip(&mutants)
                .filter(|(outcome, _)| outcome.verdict.passed())
                .map(|(_, mutant)| mutant.description.clone())
                .collect();
            let summary = format!(
                "\nmutants: {} of {} killed by your tests\n",
                mutants.len() - survivors.len(),
                mutants.len()
            );
            if survivors.is_empty() {
                (Verdict::Passed, summary)
            } else {
                (Verdict::MutantsSurvived { survivors }, summary)
            }
        }
    }
}

fn run_mutants(
    set: &ExerciseSet,
    exercise: &Exercise,
    variant: Variant,
    pieces: &[Piece],
    options: &Options,
    cancel: &Cancel,
) -> Result<Vec<pipeline::Outcome>, String> {
    let package = PackageTemplate::from_dir(&set.root).map_err(|e| format!("{e:#}"))?;
    let work = set
        .target_dir
        .join("backlings")
        .join("mutants")
        .join(format!(
            "{}-{}",
            exercise.name(),
            match variant {
                Variant::Exercise => "exercise",
                Variant::Solution => "solution",
            }
        ));
    let assembled = assembly::assemble(&work, &set.target_dir, &package, pieces, Edits::InPlace)
        .map_err(|e| format!("{e:#}"))?;
    let items = pipeline::all_exercises(&assembled.set);
    pipeline::run_batch(&assembled.set, &items, options, cancel, &|_| {}).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_description_line_is_read_and_dropped() {
        let mutant = Mutant::parse(
            "off_by_one",
            "// mutant: accepts a password of 11 characters\nfn check() {}\n",
        );
        assert_eq!(mutant.description, "accepts a password of 11 characters");
        assert_eq!(mutant.code, "fn check() {}\n");
        let bare = Mutant::parse("plain", "fn check() {}\n");
        assert_eq!(bare.code, "fn check() {}\n");
        assert_eq!(bare.description, "is the mutant `plain`");
    }
}
