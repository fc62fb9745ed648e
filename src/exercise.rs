//! An exercise set on disk: where it is, its manifest, and which Cargo bin compiles each
//! exercise and solution.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::cargo::{self, BinTarget, CargoError, Metadata};
use crate::manifest::{self, Diagnostic, ExerciseEntry, ManifestError};

pub const MANIFEST_FILE: &str = "info.toml";

/// One exercise of a set, with its files and bins resolved.
#[derive(Debug, Clone)]
pub struct Exercise {
    pub entry: ExerciseEntry,
    /// Absolute path of the learner's file.
    pub path: PathBuf,
    /// Absolute path of the solution file (it may not exist).
    pub solution: PathBuf,
    /// The Cargo bin compiling `path`, if the package has one.
    pub bin: Option<BinTarget>,
    pub solution_bin: Option<BinTarget>,
    /// The module of `bin` that holds this exercise, when `bin` is a crate merging several
    /// (the wrong fixes of one exercise, built as one test binary): only the tests under
    /// it are this exercise's, and it runs in a process of its own.
    pub scope: Option<String>,
    /// The same for `solution_bin`: the solution may be a module of the merged crate too.
    pub solution_scope: Option<String>,
}

/// Which file of an exercise is meant: the learner's, or the solution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Variant {
    Exercise,
    Solution,
}

impl Exercise {
    /// Absolute path of the variant's file.
    pub fn file(&self, variant: Variant) -> &Path {
        match variant {
            Variant::Exercise => &self.path,
            Variant::Solution => &self.solution,
        }
    }

    /// The Cargo bin compiling the variant's file, if there is one.
    pub fn bin_for(&self, variant: Variant) -> Option<&BinTarget> {
        match variant {
            Variant::Exercise => self.bin.as_ref(),
            Variant::Solution => self.solution_bin.as_ref(),
        }
    }

    /// The module of the variant's bin that holds the variant's file, if it is merged.
    pub fn scope_for(&self, variant: Variant) -> Option<&str> {
        match variant {
            Variant::Exercise => self.scope.as_deref(),
            Variant::Solution => self.solution_scope.as_deref(),
        }
    }

    /// The directory of the package compiling the variant (where its tests run).
    pub fn package_dir(&self, variant: Variant) -> Option<&Path> {
        self.bin_for(variant).map(|b| b.package_dir.as_path())
    }

    pub fn name(&self) -> &str {
        &self.entry.name
    }

    /// The exercise's path relative to the set root, for display.
    pub fn rel_path(&self) -> String {
        self.entry.exercise_path()
    }

    pub fn chapter(&self) -> &str {
        self.entry.dir.as_deref().unwrap_or("")
    }
}

/// A loaded exercise set.
#[derive(Debug, Clone)]
pub struct ExerciseSet {
    pub root: PathBuf,
    pub welcome_message: Option<String>,
    pub final_message: Option<String>,
    pub exercises: Vec<Exercise>,
    /// Unknown keys and similar oddities in the manifest, already located.
    pub warnings: Vec<Diagnostic>,
    /// The Cargo.toml cargo is invoked with (the set root's).
    pub cargo_manifest: PathBuf,
    pub target_dir: PathBuf,
    /// Bins in the set's Cargo workspace (decides how batches are built).
    pub bin_count: usize,
    /// Index of each exercise by name, so lookups cost the same in a set of any size.
    by_name: HashMap<String, usize>,
}

/// Why a set could not be loaded. All of these mean "bad input" (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum SetError {
    #[error(
        "no exercise set found: no {MANIFEST_FILE} in {start} or any parent directory\n\
         hint: run backlings inside an exercise set, pass `-C DIR`, or create one with `backlings init`"
    )]
    NotFound { start: PathBuf },
    // The cause is printed by the error chain at the edge, so not repeated here.
    #[error("cannot read {path}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    // Not a `source`: the problems are the whole message, said once.
    #[error("{path} is not a valid manifest:\n{}", render_problems(path, &problems.problems))]
    Manifest {
        path: PathBuf,
        problems: ManifestError,
    },
    #[error(
        "{root} has {MANIFEST_FILE} but no Cargo.toml\n\
         hint: an exercise set needs a Cargo package whose bins are the exercises; `backlings sync` can write it"
    )]
    NoCargoManifest { root: PathBuf },
    #[error(transparent)]
    Cargo(#[from] CargoError),
}

fn render_problems(path: &Path, problems: &[Diagnostic]) -> String {
    problems
        .iter()
        .map(|p| format!("  {}:{p}", path.display()))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Walks up from `start` to the first directory holding `info.toml`.
pub fn find_root(start: &Path) -> Result<PathBuf, SetError> {
    start
        .ancestors()
        .find(|dir| dir.join(MANIFEST_FILE).is_file())
        .map(Path::to_path_buf)
        .ok_or_else(|| SetError::NotFound {
            start: start.to_path_buf(),
        })
}

/// Reads and validates the manifest of the set at `root`, without asking cargo anything.
pub fn read_manifest(root: &Path) -> Result<manifest::Parsed, SetError> {
    let path = root.join(MANIFEST_FILE);
    let bytes = std::fs::read(&path).map_err(|source| SetError::Read {
        path: path.clone(),
        source,
    })?;
    manifest::parse_bytes(&bytes).map_err(|problems| SetError::Manifest { path, problems })
}

impl ExerciseSet {
    /// Loads the set at `root`: manifest, then bins from `cargo metadata`.
    pub fn load(root: &Path) -> Result<Self, SetError> {
        let parsed = read_manifest(root)?;
        let cargo_manifest = root.join("Cargo.toml");
        if !cargo_manifest.is_file() {
            return Err(SetError::NoCargoManifest {
                root: root.to_path_buf(),
            });
        }
        let metadata = cargo::metadata(&cargo_manifest)?;
        Ok(Self::assemble(root, parsed, metadata, canonical))
    }

    /// The set from its parsed manifest and cargo's metadata; `canonical` resolves paths
    /// so that a bin's source path and an exercise's path compare equal. Linear in the
    /// size of the set: bins are found through a map, never by a scan per exercise.
    pub fn assemble(
        root: &Path,
        parsed: manifest::Parsed,
        metadata: Metadata,
        canonical: impl Fn(&Path) -> PathBuf,
    ) -> Self {
        let bin_count = metadata.bins.len();
        let mut bins: HashMap<PathBuf, BinTarget> = HashMap::with_capacity(bin_count);
        for bin in metadata.bins {
            // The first bin for a path wins, as the scan this replaces found it first.
            bins.entry(canonical(&bin.src_path)).or_insert(bin);
        }
        let find_bin = |path: &Path| bins.get(&canonical(path)).cloned();
        let exercises: Vec<Exercise> = parsed
            .manifest
            .exercises
            .into_iter()
            .map(|entry| {
                let path = root.join(entry.exercise_path());
                let solution = root.join(entry.solution_path());
                Exercise {
                    bin: find_bin(&path),
                    solution_bin: find_bin(&solution),
                    scope: None,
                    solution_scope: None,
                    entry,
                    path,
                    solution,
                }
            })
            .collect();
        let by_name = exercises
            .iter()
            .enumerate()
            .map(|(index, e)| (e.name().to_string(), index))
            .collect();
        Self {
            root: root.to_path_buf(),
            welcome_message: parsed.manifest.welcome_message,
            final_message: parsed.manifest.final_message,
            exercises,
            warnings: parsed.warnings,
            cargo_manifest: root.join("Cargo.toml"),
            target_dir: metadata.target_directory,
            bin_count,
            by_name,
        }
    }

    pub fn find(&self, name: &str) -> Option<usize> {
        self.by_name.get(name).copied()
    }

    pub fn names(&self) -> impl Iterator<Item = &str> + Clone {
        self.exercises.iter().map(Exercise::name)
    }

    /// `path` relative to the set root, for messages and reports.
    pub fn display_path(&self, path: &Path) -> String {
        path.strip_prefix(&self.root)
            .unwrap_or(path)
            .to_string_lossy()
            .into_owned()
    }

    /// Where backlings keeps its own files in this set.
    pub fn data_dir(&self) -> PathBuf {
        data_dir(&self.root)
    }

    /// Where copies of overwritten files are kept.
    pub fn backups_dir(&self) -> PathBuf {
        self.data_dir().join("backups")
    }
}

/// Where backlings keeps its own files in the set at `root`.
pub fn data_dir(root: &Path) -> PathBuf {
    root.join(".backlings")
}

pub fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// Suggests the closest exercise name, for "no exercise named X" messages.
pub fn closest_name<'a>(wanted: &str, names: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    names
        .map(|name| (edit_distance(wanted, name), name))
        .filter(|(distance, name)| *distance <= (name.len() / 3).max(2))
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, name)| name)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous + usize::from(ca != *cb);
            previous = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(previous + 1);
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names() {
        let names = ["intro1", "routing1", "sql1"];
        assert_eq!(closest_name("intro", names.into_iter()), Some("intro1"));
        assert_eq!(
            closest_name("rooting1", names.into_iter()),
            Some("routing1")
        );
        assert_eq!(closest_name("zzzzzzzz", names.into_iter()), None);
    }

    #[test]
    fn finds_the_root_upwards() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(MANIFEST_FILE), "").unwrap();
        let deep = dir.path().join("exercises/00_intro");
        std::fs::create_dir_all(&deep).unwrap();
        assert_eq!(find_root(&deep).unwrap(), dir.path());
        let elsewhere = tempfile::tempdir().unwrap();
        assert!(matches!(
            find_root(elsewhere.path()),
            Err(SetError::NotFound { .. })
        ));
    }
}
