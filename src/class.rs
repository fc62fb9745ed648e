//! Grading a whole class on one machine: every student workspace under a folder, against
//! one reference, in one assembled workspace with one target directory, so dependencies
//! are built once. Bins are named by their content: an exercise file that several students
//! left alike (untouched, say) is built and run once. Each student still gets an honest,
//! complete report; a broken workspace is a roster line, never a stopped batch.
//!
//! Discovery and the roster are pure; the command runs the batches.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::assembly::Piece;
use crate::grading::{self, Plan};
use crate::reference::{Fnv, Reference};
use crate::report::{Entry, Kind, Report, Totals};

/// A subfolder of the class folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Candidate {
    Student {
        name: String,
        root: PathBuf,
    },
    /// Not graded, with why.
    Skipped {
        name: String,
        why: String,
    },
}

/// The student workspaces under `dir`, one per subfolder, sorted by name. Symbolic links
/// are not followed (they could lead anywhere); folders without `info.toml` are skipped
/// with a reason.
pub fn discover(dir: &Path) -> std::io::Result<Vec<Candidate>> {
    let mut candidates = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        let kind = entry.file_type()?;
        let candidate = if kind.is_symlink() {
            Candidate::Skipped {
                name,
                why: "a symbolic link: not followed".into(),
            }
        } else if !kind.is_dir() {
            continue;
        } else if !entry.path().join(crate::exercise::MANIFEST_FILE).is_file() {
            Candidate::Skipped {
                name,
                why: "not a workspace: no info.toml".into(),
            }
        } else {
            Candidate::Student {
                name,
                root: entry.path(),
            }
        };
        candidates.push(candidate);
    }
    candidates.sort_by(|a, b| a.name().cmp(b.name()));
    Ok(candidates)
}

impl Candidate {
    pub fn name(&self) -> &str {
        match self {
            Candidate::Student { name, .. } | Candidate::Skipped { name, .. } => name,
        }
    }
}

/// One student's pieces, renamed by content so identical files share one bin.
#[derive(Debug, Clone)]
pub struct StudentPlan {
    pub name: String,
    pub plan: Plan,
    /// Bin name → the exercise it grades.
    pub bins: BTreeMap<String, String>,
}

/// Names each piece of `plan` after its exercise and a digest of its text.
pub fn content_addressed(name: &str, mut plan: Plan) -> StudentPlan {
    let mut bins = BTreeMap::new();
    for piece in &mut plan.pieces {
        let exercise = piece.entry.name.clone();
        let mut digest = Fnv::default();
        digest.write(piece.text.as_bytes());
        let bin = format!("{exercise}__{:016x}", digest.0);
        piece.entry.name.clone_from(&bin);
        bins.insert(bin, exercise);
    }
    StudentPlan {
        name: name.to_string(),
        plan,
        bins,
    }
}

/// Every distinct piece of the class, once.
pub fn distinct_pieces(students: &[StudentPlan]) -> Vec<Piece> {
    let mut seen = BTreeMap::new();
    for student in students {
        for piece in &student.plan.pieces {
            seen.entry(piece.entry.name.clone())
                .or_insert_with(|| piece.clone());
        }
    }
    seen.into_values().collect()
}

/// A student's line in the roster.
#[derive(Debug, Clone, Serialize)]
pub struct StudentResult {
    pub student: String,
    /// Why the student could not be graded at all.
    pub error: Option<String>,
    pub score: u32,
    pub max_score: u32,
    #[serde(skip)]
    pub report: Report,
}

impl StudentResult {
    pub fn graded(student: &str, report: Report) -> Self {
        let Totals {
            score, max_score, ..
        } = report.totals();
        Self {
            student: student.into(),
            error: None,
            score,
            max_score,
            report,
        }
    }

    pub fn failed(student: &str, error: String, max_score: u32) -> Self {
        Self {
            student: student.into(),
            error: Some(error),
            score: 0,
            max_score,
            report: Report::new("grade"),
        }
    }
}

/// The whole class.
#[derive(Debug, Clone, Default)]
pub struct ClassReport {
    pub reference: String,
    /// Exercise names in the reference's order.
    pub exercises: Vec<String>,
    pub students: Vec<StudentResult>,
}

#[derive(Serialize)]
struct JsonStudent<'a> {
    student: &'a str,
    error: &'a Option<String>,
    score: u32,
    max_score: u32,
    exercises: BTreeMap<&'a str, JsonVerdict<'a>>,
    notes: Vec<String>,
}

#[derive(Serialize)]
struct JsonVerdict<'a> {
    ok: bool,
    status: &'a str,
    score: u32,
    max_score: u32,
}

impl ClassReport {
    fn verdicts<'a>(&self, student: &'a StudentResult) -> BTreeMap<&'a str, &'a Entry> {
        student
            .report
            .entries
            .iter()
            .filter(|e| e.kind == Kind::Exercise)
            .map(|e| (e.name.as_str(), e))
            .collect()
    }

    /// The roster as JSON: a line per student with per-exercise verdicts and notes.
    pub fn to_json(&self) -> String {
        let students: Vec<JsonStudent> = self
            .students
            .iter()
            .map(|s| JsonStudent {
                student: &s.student,
                error: &s.error,
                score: s.score,
                max_score: s.max_score,
                exercises: self
                    .verdicts(s)
                    .into_iter()
                    .map(|(name, e)| {
                        (
                            name,
                            JsonVerdict {
                                ok: e.ok,
                                status: &e.status,
                                score: e.score,
                                max_score: e.max_score,
                            },
                        )
                    })
                    .collect(),
                notes: s
                    .report
                    .entries
                    .iter()
                    .flat_map(|e| e.notes.iter().map(move |n| format!("{}: {n}", e.name)))
                    .collect(),
            })
            .collect();
        serde_json::to_string_pretty(&serde_json::json!({
            "reference": self.reference,
            "exercises": self.exercises,
            "students": students,
        }))
        .unwrap_or_else(|_| "{}".into())
    }

    /// The roster as CSV: student, score, max, error, one column per exercise, notes.
    pub fn to_csv(&self) -> String {
        let mut out = String::from("student,score,max_score,error");
        for exercise in &self.exercises {
            let _ = write!(out, ",{}", csv_field(exercise));
        }
        out.push_str(",notes\n");
        for student in &self.students {
            let verdicts = self.verdicts(student);
            let _ = write!(
                out,
                "{},{},{},{}",
                csv_field(&student.student),
                student.score,
                student.max_score,
                csv_field(student.error.as_deref().unwrap_or(""))
            );
            for exercise in &self.exercises {
                let status = verdicts
                    .get(exercise.as_str())
                    .map_or("", |e| e.status.as_str());
                let _ = write!(out, ",{}", csv_field(status));
            }
            let notes: Vec<String> = student
                .report
                .entries
                .iter()
                .flat_map(|e| e.notes.iter().map(move |n| format!("{}: {n}", e.name)))
                .collect();
            let _ = writeln!(out, ",{}", csv_field(&notes.join("; ")));
        }
        out
    }

    /// Per-exercise pass rates, hardest first: which lessons the class found hardest.
    pub fn pass_rates(&self) -> Vec<(String, usize, usize)> {
        let graded: Vec<&StudentResult> =
            self.students.iter().filter(|s| s.error.is_none()).collect();
        let mut rates: Vec<(String, usize, usize)> = self
            .exercises
            .iter()
            .map(|exercise| {
                let passed = graded
                    .iter()
                    .filter(|s| {
                        self.verdicts(s)
                            .get(exercise.as_str())
                            .is_some_and(|e| e.ok)
                    })
                    .count();
                (exercise.clone(), passed, graded.len())
            })
            .collect();
        rates.sort_by_key(|(_, passed, _)| *passed);
        rates
    }

    /// The class summary in Markdown: the roster, then per-exercise pass rates.
    pub fn to_markdown(&self) -> String {
        let mut out = format!(
            "## backlings class grade: {} students against {}\n\n| student | score | notes |\n|---|---:|---|\n",
            self.students.len(),
            self.reference
        );
        for student in &self.students {
            let note = match &student.error {
                Some(error) => format!("not graded: {error}"),
                None => {
                    let tampered = student
                        .report
                        .entries
                        .iter()
                        .filter(|e| e.status == "tampered")
                        .count();
                    if tampered > 0 {
                        format!("{tampered} tampered")
                    } else {
                        String::new()
                    }
                }
            };
            let _ = writeln!(
                out,
                "| {} | {}/{} | {} |",
                student.student.replace('|', "\\|"),
                student.score,
                student.max_score,
                note.replace('|', "\\|")
            );
        }
        out.push_str("\n### Pass rate per exercise (hardest first)\n\n| exercise | passed | rate |\n|---|---:|---:|\n");
        for (exercise, passed, graded) in self.pass_rates() {
            let rate = if graded == 0 {
                0.0
            } else {
                100.0 * passed as f64 / graded as f64
            };
            let _ = writeln!(out, "| {exercise} | {passed}/{graded} | {rate:.0}% |");
        }
        out
    }

    /// The roster for the terminal.
    pub fn to_human(&self) -> String {
        let width = self
            .students
            .iter()
            .map(|s| s.student.len())
            .max()
            .unwrap_or(7)
            .max(7);
        let mut out = format!("\n  {:width$}  {:>9}\n", "student", "score");
        for student in &self.students {
            let score = format!("{}/{}", student.score, student.max_score);
            let _ = write!(out, "  {:width$}  {score:>9}", student.student);
            if let Some(error) = &student.error {
                let _ = write!(out, "  not graded: {error}");
            }
            out.push('\n');
        }
        let hardest: Vec<String> = self
            .pass_rates()
            .into_iter()
            .take(5)
            .map(|(exercise, passed, graded)| format!("{exercise} {passed}/{graded}"))
            .collect();
        let _ = writeln!(out, "\nHardest: {}", hardest.join(", "));
        out
    }
}

fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// What `reference` would grade of the student at `root`.
pub fn plan_student(name: &str, root: &Path, reference: &Reference) -> StudentPlan {
    let workspace = grading::read_workspace(root, reference);
    content_addressed(name, grading::plan(reference, &workspace))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discovery_skips_links_and_strangers() {
        let dir = tempfile::tempdir().unwrap();
        for student in ["bob", "alice"] {
            std::fs::create_dir(dir.path().join(student)).unwrap();
            std::fs::write(dir.path().join(student).join("info.toml"), "").unwrap();
        }
        std::fs::create_dir(dir.path().join("notes")).unwrap();
        std::os::unix::fs::symlink("/", dir.path().join("mallory")).unwrap();
        let found = discover(dir.path()).unwrap();
        let names: Vec<(&str, bool)> = found
            .iter()
            .map(|c| (c.name(), matches!(c, Candidate::Student { .. })))
            .collect();
        assert_eq!(
            names,
            [
                ("alice", true),
                ("bob", true),
                ("mallory", false),
                ("notes", false)
            ]
        );
    }

    #[test]
    fn identical_files_share_a_bin() {
        let piece = |text: &str| Piece {
            entry: crate::manifest::parse(
                "format_version = 1\n[[exercises]]\nname = \"a1\"\nhint = \"h\"\n",
            )
            .unwrap()
            .manifest
            .exercises
            .remove(0),
            text: text.into(),
            mutants: Vec::new(),
            solution: None,
        };
        let plan = |text: &str| Plan {
            pieces: vec![piece(text)],
            ..Plan::default()
        };
        let students = [
            content_addressed("ann", plan("same")),
            content_addressed("ben", plan("same")),
            content_addressed("cat", plan("different")),
        ];
        assert_eq!(distinct_pieces(&students).len(), 2);
        let bin = students[0].bins.keys().next().unwrap();
        assert!(bin.starts_with("a1__"));
        assert_eq!(students[0].bins[bin], "a1");
        assert_eq!(students[0].bins, students[1].bins);
    }

    #[test]
    fn csv_quotes_what_needs_it() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a, \"b\""), "\"a, \"\"b\"\"\"");
    }
}
