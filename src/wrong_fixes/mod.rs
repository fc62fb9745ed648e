//! Known wrong fixes of a set's exercises, which `check` proves the tests reject: mutation
//! testing for exercise tests. A wrong fix is `wrong/<exercise>/<variant>.rs`: the
//! learner's part of the exercise (the text above the marker) as a hurried learner would
//! fix it, its first line a comment naming the anti-pattern. `check` splices each onto
//! the exercise's tests, builds them together in an assembled workspace that shares the
//! set's target directory, and expects the tests to fail. The wrong fixes of an exercise
//! are built as one test binary where that cannot change a verdict ([`merge`]).

pub mod eligibility;
pub mod merge;
pub mod own;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use self::merge::Plan;
use crate::assembly::{self, Assembled, Edits, Piece};
use crate::exercise::ExerciseSet;
use crate::parts;
use crate::reference::PackageTemplate;
use crate::report::{self, Entry};

/// The set's folder of wrong fixes.
pub const WRONG_DIR: &str = "wrong";

/// The wrong fixes of a set, ready to build, and what is wrong with the folder itself.
#[derive(Debug, Default)]
pub struct Found {
    pub pieces: Vec<Piece>,
    /// Bin name → the wrong fix's path, for reports.
    pub paths: BTreeMap<String, String>,
    /// Bin name → `exercise/variant`, for reports.
    pub labels: BTreeMap<String, String>,
    /// Bin name → the exercise's name.
    pub exercises: BTreeMap<String, String>,
    pub problems: Vec<Entry>,
}

/// Reads `wrong/` of `set`.
pub fn find(set: &ExerciseSet) -> Found {
    let mut found = Found::default();
    let top = set.root.join(WRONG_DIR);
    for dir in sorted_entries(&top) {
        let shown_dir = set.display_path(&dir);
        let name = file_name(&dir);
        if !dir.is_dir() {
            found.problems.push(report::problem(
                &name,
                &shown_dir,
                "wrong_fix_misplaced",
                format!("{shown_dir} should be a folder named after an exercise (wrong/<exercise>/<variant>.rs)"),
            ));
            continue;
        }
        let Some(exercise) = set.find(&name).map(|i| &set.exercises[i]) else {
            found.problems.push(report::problem(
                &name,
                &shown_dir,
                "wrong_fix_unknown_exercise",
                format!("{shown_dir} is named after no exercise of info.toml"),
            ));
            continue;
        };
        let exercise_text = std::fs::read_to_string(&exercise.path).unwrap_or_default();
        let Some(exercise_parts) = parts::split(&exercise_text) else {
            found.problems.push(report::problem(
                &name,
                &shown_dir,
                "wrong_fix_untestable",
                format!(
                    "{} has no marker line to splice wrong fixes onto",
                    exercise.rel_path()
                ),
            ));
            continue;
        };
        for file in sorted_entries(&dir) {
            let shown = set.display_path(&file);
            if file.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let variant = file
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            let text = match std::fs::read_to_string(&file) {
                Ok(text) => text,
                Err(err) => {
                    found.problems.push(report::problem(
                        &format!("{name}/{variant}"),
                        &shown,
                        "wrong_fix_unreadable",
                        format!("{shown} cannot be read: {err}"),
                    ));
                    continue;
                }
            };
            let bin = format!("{name}__{}", assembly::bin_suffix(&variant));
            let mut entry = exercise.entry.clone();
            entry.name.clone_from(&bin);
            found.pieces.push(Piece {
                entry,
                text: splice(&text, &exercise_parts),
                mutants: crate::mutants::files(&set.root, &name),
                solution: None,
            });
            found.paths.insert(bin.clone(), shown);
            found.exercises.insert(bin.clone(), name.clone());
            found.labels.insert(bin, format!("{name}/{variant}"));
        }
    }
    found
}

/// The exercise with the wrong fix as its learner's part (above the marker; below it in a
/// tests-mode exercise). A wrong fix written as a whole file gives up its other part.
fn splice(wrong: &str, exercise: &parts::Parts) -> String {
    // Only a wrong fix that carries the exercise's own kind of marker is a whole file.
    let own_marker = match exercise.boundary {
        parts::Boundary::LearnerTests => parts::Boundary::LearnerTests,
        parts::Boundary::Marker | parts::Boundary::CfgTest => parts::Boundary::Marker,
    };
    let editable = parts::split(wrong)
        .filter(|p| p.boundary == own_marker)
        .map_or(wrong, |p| p.editable());
    exercise.with_editable(editable)
}

impl Found {
    /// How to build the wrong fixes first, and which of `own` (a set's exercises with
    /// their solutions, see [`own::pieces`]) join them: merged where possible, or each
    /// wrong fix on its own and none of `own`.
    pub fn plan(&self, own: &[Piece], merging: bool) -> Plan {
        if !merging {
            return Plan::separate(&self.pieces);
        }
        merge::plan(&self.pieces, own, &|piece| {
            self.exercises
                .get(&piece.entry.name)
                .cloned()
                .unwrap_or_default()
        })
    }

    /// The wrong fixes named `names`, as pieces of their own.
    pub fn separate_pieces(&self, names: &BTreeSet<&str>) -> Vec<Piece> {
        self.pieces
            .iter()
            .filter(|p| names.contains(p.entry.name.as_str()))
            .cloned()
            .collect()
    }
}

/// Builds the assembled workspace of the wrong fixes as `plan` says, beside the set's own
/// target directory so dependencies are shared. `None` when there are none.
pub fn assemble(set: &ExerciseSet, plan: &Plan) -> anyhow::Result<Option<Assembled>> {
    assemble_in(set, "wrong-fixes", &plan.pieces, &plan.hosts)
}

/// The workspace that builds `pieces` one by one after their merged crate failed to
/// compile. A workspace of its own, so that the first one's files (and cargo's
/// fingerprints of them) stay as they are for the next `check`.
pub fn assemble_separately(
    set: &ExerciseSet,
    pieces: &[Piece],
) -> anyhow::Result<Option<Assembled>> {
    assemble_in(set, "wrong-fixes-separate", pieces, &[])
}

fn assemble_in(
    set: &ExerciseSet,
    dir: &str,
    pieces: &[Piece],
    hosts: &[assembly::Host],
) -> anyhow::Result<Option<Assembled>> {
    if pieces.is_empty() {
        return Ok(None);
    }
    let package = PackageTemplate::from_dir(&set.root)?;
    let work = set.target_dir.join("backlings").join(dir);
    assembly::assemble_hosted(&work, &set.target_dir, &package, pieces, hosts, Edits::Once)
        .map(Some)
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn sorted_entries(dir: &Path) -> Vec<PathBuf> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| rd.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    entries.sort();
    entries
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wrong_fix_is_spliced_onto_the_tests() {
        let tests = "// Tests: do not edit below this line.\n#[cfg(test)]\nmod tests {}\n";
        let exercise = format!("fn f() {{ todo!() }}\n{tests}");
        let exercise = parts::split(&exercise).unwrap();
        assert_eq!(
            splice("// wrong fix: x\nfn f() {}", &exercise),
            format!("// wrong fix: x\nfn f() {{}}\n{tests}")
        );
        let whole = format!("fn f() {{}}\n{}", tests.replace("{}", "{ fn weaker() {} }"));
        assert_eq!(splice(&whole, &exercise), format!("fn f() {{}}\n{tests}"));
    }
}
