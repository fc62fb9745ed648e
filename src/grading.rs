//! Grading a learner's workspace against a reference set. The rule: an exercise passes
//! when every test the reference defines for it ran and reported ok against the
//! learner's code, and nothing else. So the grader builds what the reference says: its
//! manifest, its Cargo package, and for each exercise its tests part; from the learner it
//! takes only the text above each marker. What the learner changed elsewhere (the tests,
//! the manifest, the Cargo files) or wrote above the marker to change what the tests check
//! is reported as a note, next to the honest verdict.
//!
//! [`plan`] is pure: from the reference and the learner's files to the pieces to build and
//! the notes. Reading the workspace and running the pieces are the caller's.

use std::collections::BTreeMap;
use std::path::Path;

use crate::assembly::Piece;
use crate::manifest::{ExerciseEntry, Manifest};
use crate::parts::{self, Boundary, MARKER, TESTS_MARKER};
use crate::reference::{PackageTemplate, Reference};
use crate::report::{self, Entry, Kind};
use crate::tamper;

/// What the learner's workspace holds, as far as grading is concerned.
#[derive(Debug, Clone, Default)]
pub struct Workspace {
    /// The learner's file for each reference exercise, by name, at the reference's path.
    pub files: BTreeMap<String, LearnerFile>,
    /// The learner's manifest, or why it could not be read.
    pub manifest: Option<Result<Manifest, String>>,
    /// The learner's exercises package, or why it could not be read.
    pub package: Option<Result<PackageTemplate, String>>,
    /// Every `.rs` file under the learner's `exercises/`, relative to the workspace.
    pub exercise_files: Vec<String>,
}

/// One exercise file of the learner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LearnerFile {
    Text(String),
    Missing,
    Unreadable(String),
}

/// What to build, and what was found before building.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// The exercises to build and run: learner's part plus the reference's tests.
    pub pieces: Vec<Piece>,
    /// Tamper notes per exercise name.
    pub notes: BTreeMap<String, Vec<String>>,
    /// Entries decided without running anything: missing files, extra ones, differences
    /// in the Cargo package, exercises the reference itself cannot grade.
    pub entries: Vec<Entry>,
}

impl Plan {
    /// Keeps only the exercises `keep` accepts (set-level entries stay).
    pub fn retain(&mut self, keep: impl Fn(&str) -> bool) {
        self.pieces.retain(|p| keep(&p.entry.name));
        self.notes.retain(|name, _| keep(name));
        self.entries
            .retain(|e| e.kind != Kind::Exercise || keep(&e.name));
    }
}

/// Reads what grading needs from the workspace at `root`, at the reference's paths.
pub fn read_workspace(root: &Path, reference: &Reference) -> Workspace {
    let mut files = BTreeMap::new();
    for entry in &reference.manifest.exercises {
        let path = root.join(entry.exercise_path());
        let size = std::fs::metadata(&path).map_or(0, |m| m.len());
        let file = if size > MAX_EXERCISE_BYTES {
            LearnerFile::Unreadable(format!(
                "it is {size} bytes; exercise files over {MAX_EXERCISE_BYTES} bytes are not graded"
            ))
        } else {
            read_learner_file(&path)
        };
        files.insert(entry.name.clone(), file);
    }

    let manifest = root
        .join(crate::exercise::MANIFEST_FILE)
        .is_file()
        .then(|| {
            crate::exercise::read_manifest(root)
                .map(|parsed| parsed.manifest)
                .map_err(|err| err.to_string())
        });
    let package = root
        .join("Cargo.toml")
        .is_file()
        .then(|| PackageTemplate::from_dir(root).map_err(|err| format!("{err:#}")));
    let mut exercise_files = Vec::new();
    collect_rs(root, &root.join("exercises"), &mut exercise_files);
    exercise_files.sort();
    Workspace {
        files,
        manifest,
        package,
        exercise_files,
    }
}

/// The largest exercise file that is graded: a larger one is reported, not read.
pub const MAX_EXERCISE_BYTES: u64 = 1024 * 1024;

fn read_learner_file(path: &Path) -> LearnerFile {
    match std::fs::read_to_string(path) {
        Ok(text) => LearnerFile::Text(text),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => LearnerFile::Missing,
        Err(err) => LearnerFile::Unreadable(err.to_string()),
    }
}

fn collect_rs(root: &Path, dir: &Path, out: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        // Symbolic links are not followed: a workspace's links could point anywhere.
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            collect_rs(root, &path, out);
        } else if path.extension().is_some_and(|e| e == "rs")
            && let Ok(rel) = path.strip_prefix(root)
        {
            out.push(rel.to_string_lossy().replace('\\', "/"));
        }
    }
}

/// Decides what to build for each reference exercise, and what to report without building.
pub fn plan(reference: &Reference, workspace: &Workspace) -> Plan {
    let mut plan = Plan::default();
    let learner_entries: Option<BTreeMap<&str, &ExerciseEntry>> = match &workspace.manifest {
        Some(Ok(manifest)) => Some(
            manifest
                .exercises
                .iter()
                .map(|e| (e.name.as_str(), e))
                .collect(),
        ),
        _ => None,
    };
    for entry in &reference.manifest.exercises {
        let path = entry.exercise_path();
        let Some(reference_parts) = reference
            .exercises
            .get(&entry.name)
            .and_then(|text| parts::split(text))
        else {
            plan.entries.push(exercise_entry(
                entry,
                "reference_problem",
                format!(
                    "the reference's {path} is missing or has neither the marker line nor a #[cfg(test)] module: it cannot be graded"
                ),
            ));
            continue;
        };
        let text = match workspace.files.get(&entry.name) {
            Some(LearnerFile::Text(text)) => text,
            Some(LearnerFile::Unreadable(why)) => {
                plan.entries.push(exercise_entry(
                    entry,
                    "unreadable",
                    format!("{path} cannot be read: {why}"),
                ));
                continue;
            }
            Some(LearnerFile::Missing) | None => {
                plan.entries.push(exercise_entry(
                    entry,
                    "missing",
                    format!("{path} is missing from the workspace"),
                ));
                continue;
            }
        };
        let mut notes = Vec::new();
        let learners_tests = reference_parts.boundary == Boundary::LearnerTests;
        let editable = match parts::split(text) {
            Some(learner) if (learner.boundary == Boundary::LearnerTests) == learners_tests => {
                if !parts::same_tests(learner.fixed(), reference_parts.fixed()) {
                    notes.push(if learners_tests {
                        "the implementation above the marker was edited (graded with the reference's)".to_string()
                    } else {
                        "the tests below the marker were edited (graded with the reference's tests)".to_string()
                    });
                }
                learner.editable()
            }
            _ => {
                let marker = if learners_tests { TESTS_MARKER } else { MARKER };
                notes.push(format!("the marker line `{marker}` was removed"));
                text.as_str()
            }
        };
        let graded = if learners_tests {
            notes.extend(tamper::inspect_learner_tests(editable));
            reference_parts.with_editable(editable)
        } else {
            let inspection = tamper::inspect_against(editable, reference_parts.editable());
            notes.extend(inspection.findings);
            reference_parts.with_editable(&inspection.graded_text)
        };
        if let Some(learner_entries) = &learner_entries {
            notes.extend(manifest_notes(
                entry,
                learner_entries.get(entry.name.as_str()),
            ));
        }
        if !notes.is_empty() {
            plan.notes.insert(entry.name.clone(), notes);
        }
        plan.pieces.push(Piece {
            entry: entry.clone(),
            text: graded,
            mutants: reference
                .mutants
                .get(&entry.name)
                .cloned()
                .unwrap_or_default(),
            solution: None,
        });
    }
    plan.entries.extend(workspace_entries(reference, workspace));
    plan
}

/// How the learner's manifest entry for an exercise differs from the reference's.
fn manifest_notes(reference: &ExerciseEntry, learner: Option<&&ExerciseEntry>) -> Vec<String> {
    let Some(learner) = learner else {
        return vec!["info.toml no longer lists this exercise".into()];
    };
    let mut changed = Vec::new();
    if learner.test != reference.test {
        changed.push("test");
    }
    if learner.dir != reference.dir {
        changed.push("dir");
    }
    if learner.timeout != reference.timeout {
        changed.push("timeout_secs");
    }
    if learner.strict_clippy != reference.strict_clippy {
        changed.push("strict_clippy");
    }
    if learner.skip_check_unsolved != reference.skip_check_unsolved {
        changed.push("skip_check_unsolved");
    }
    if changed.is_empty() {
        return Vec::new();
    }
    vec![format!(
        "info.toml changes {} for this exercise (graded with the reference's)",
        changed
            .iter()
            .map(|k| format!("`{k}`"))
            .collect::<Vec<_>>()
            .join(", ")
    )]
}

/// Set-level entries: the manifest and Cargo package as the learner left them, and
/// exercises the reference does not know.
fn workspace_entries(reference: &Reference, workspace: &Workspace) -> Vec<Entry> {
    let mut entries = Vec::new();
    match &workspace.manifest {
        Some(Err(why)) => entries.push(tampered(
            "info.toml",
            "info.toml",
            format!(
                "the workspace's info.toml cannot be read (graded with the reference's): {why}"
            ),
        )),
        None => entries.push(tampered(
            "info.toml",
            "info.toml",
            "the workspace has no info.toml (graded with the reference's)".into(),
        )),
        Some(Ok(manifest)) => {
            for extra in manifest.exercises.iter().filter(|e| {
                !reference
                    .manifest
                    .exercises
                    .iter()
                    .any(|r| r.name == e.name)
            }) {
                entries.push(extra_entry(&extra.name, &extra.exercise_path()));
            }
        }
    }
    match &workspace.package {
        Some(Ok(package)) => {
            let differences = package.differences(&reference.package);
            if !differences.is_empty() {
                entries.push(tampered(
                    "cargo_package",
                    "Cargo.toml",
                    format!(
                        "the workspace's Cargo package differs from the reference (graded with the reference's): {}",
                        differences.join("; ")
                    ),
                ));
            }
        }
        Some(Err(why)) => entries.push(tampered(
            "cargo_package",
            "Cargo.toml",
            format!(
                "the workspace's Cargo package cannot be read (graded with the reference's): {why}"
            ),
        )),
        None => {}
    }
    let known: Vec<String> = reference
        .manifest
        .exercises
        .iter()
        .map(ExerciseEntry::exercise_path)
        .collect();
    let listed_extra: Vec<String> = entries.iter().map(|e| e.path.clone()).collect();
    for file in &workspace.exercise_files {
        if !known.contains(file) && !listed_extra.contains(file) {
            let name = Path::new(file)
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            entries.push(extra_entry(&name, file));
        }
    }
    entries
}

/// An exercise that was not run: not ok, and worth its points, none earned.
fn exercise_entry(entry: &ExerciseEntry, status: &str, message: String) -> Entry {
    let mut problem = report::problem(&entry.name, &entry.exercise_path(), status, message);
    problem.kind = Kind::Exercise;
    problem.max_score = entry.points;
    problem
}

fn tampered(name: &str, path: &str, message: String) -> Entry {
    let mut entry = report::problem(name, path, "tampered", message.clone());
    entry.notes = vec![message];
    entry
}

fn extra_entry(name: &str, path: &str) -> Entry {
    let mut entry = report::problem(
        name,
        path,
        "extra",
        format!("{path} is not in the reference set: not graded"),
    );
    entry.ok = true;
    entry
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXERCISE: &str = "fn answer() -> i32 {\n    // TODO\n    0\n}\n\nfn main() {}\n\n// Tests: do not edit below this line.\n#[cfg(test)]\nmod tests {\n    #[test]\n    fn answers() {\n        assert_eq!(super::answer(), 42, \"the answer\");\n    }\n}\n";

    fn entry(name: &str) -> ExerciseEntry {
        ExerciseEntry::sample(name, Some("01_x"))
    }

    fn reference() -> Reference {
        Reference {
            origin: "test".into(),
            root: None,
            manifest: Manifest {
                welcome_message: None,
                final_message: None,
                exercises: vec![entry("a1"), entry("a2")],
            },
            exercises: [("a1", EXERCISE), ("a2", EXERCISE)]
                .map(|(n, t)| (n.to_string(), t.to_string()))
                .into(),
            package: PackageTemplate {
                cargo_toml: "[package]\nname = \"exercises\"\n".into(),
                lockfile: None,
                build_script: None,
            },
            mutants: BTreeMap::new(),
        }
    }

    fn workspace(a1: &str) -> Workspace {
        Workspace {
            files: [
                ("a1".to_string(), LearnerFile::Text(a1.to_string())),
                ("a2".to_string(), LearnerFile::Missing),
            ]
            .into(),
            manifest: Some(Ok(reference().manifest)),
            package: Some(Ok(reference().package)),
            exercise_files: vec!["exercises/01_x/a1.rs".into()],
        }
    }

    #[test]
    fn an_honest_solution_is_built_with_the_reference_tests_and_no_notes() {
        let solved = EXERCISE.replace("    // TODO\n    0\n", "    42\n");
        let plan = plan(&reference(), &workspace(&solved));
        assert_eq!(plan.pieces.len(), 1);
        assert_eq!(plan.pieces[0].text, solved);
        assert!(plan.notes.is_empty(), "{:?}", plan.notes);
        assert_eq!(plan.entries.len(), 1);
        assert_eq!(plan.entries[0].status, "missing");
        assert_eq!(plan.entries[0].kind, Kind::Exercise);
        assert!(!plan.entries[0].ok);
    }

    #[test]
    fn edited_tests_are_replaced_and_noted() {
        let weakened = EXERCISE.replace("assert_eq!(super::answer(), 42, \"the answer\");", "");
        let plan = plan(&reference(), &workspace(&weakened));
        assert_eq!(
            plan.pieces[0].text, EXERCISE,
            "graded with the reference's tests"
        );
        assert_eq!(
            plan.notes["a1"],
            ["the tests below the marker were edited (graded with the reference's tests)"]
        );
    }

    #[test]
    fn a_shadowed_assertion_is_cut_and_noted() {
        let cheat = EXERCISE.replace(
            "fn main() {}\n",
            "fn main() {}\nmacro_rules! assert_eq { ($($t:tt)*) => {}; }\n",
        );
        let plan = plan(&reference(), &workspace(&cheat));
        assert!(!plan.pieces[0].text.contains("macro_rules"));
        assert_eq!(plan.notes["a1"].len(), 1);
    }

    #[test]
    fn manifest_changes_and_extra_files_are_reported() {
        let mut ws = workspace(EXERCISE);
        if let Some(Ok(manifest)) = &mut ws.manifest {
            manifest.exercises[0].test = false;
            manifest.exercises.remove(1);
            manifest.exercises.push(entry("mine"));
        }
        ws.exercise_files.push("exercises/scratch.rs".into());
        let plan = plan(&reference(), &ws);
        assert_eq!(
            plan.notes["a1"],
            ["info.toml changes `test` for this exercise (graded with the reference's)"]
        );
        let statuses: Vec<(&str, &str)> = plan
            .entries
            .iter()
            .map(|e| (e.name.as_str(), e.status.as_str()))
            .collect();
        assert_eq!(
            statuses,
            [("a2", "missing"), ("mine", "extra"), ("scratch", "extra")]
        );
    }

    #[test]
    fn a_removed_marker_is_noted() {
        let no_marker = EXERCISE.replace(MARKER, "").replace("#[cfg(test)]", "");
        let plan = plan(&reference(), &workspace(&no_marker));
        assert!(
            plan.notes["a1"][0].contains("was removed"),
            "{:?}",
            plan.notes
        );
    }
}
