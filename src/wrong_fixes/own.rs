//! A set's own exercises (as shipped) and solutions in the merged crates of `check`. Each
//! is otherwise a test binary of the set's package, with the fixed cost of one (rustc's
//! start, the dependencies' metadata, a link); merged with the wrong fixes of its
//! exercise, one exercise costs one test binary.
//!
//! The assembly is a copy of the set's package, not the set itself, so an exercise joins
//! only where that copy builds and runs it as the set would: never where the set has
//! cargo configuration, a toolchain file or a build script of its own (the copy is built
//! elsewhere), where its Cargo bins are not what info.toml says or say more than a name
//! and a path (the copy's say no more), or where a bin has an edition of its own.
//! Each still runs in the set's package folder, as its own bin does. The rest (a file's
//! own eligibility, programs, tests-mode and clippy-checked exercises) is [`merge`]'s.
//!
//! [`merge`]: super::merge

use std::path::Path;

use crate::assembly::Piece;
use crate::exercise::{Exercise, ExerciseSet, Variant};
use crate::reference::PackageTemplate;

/// The exercises of `set` that may join their wrong fixes' merged crate, each a piece
/// named as its exercise, with its solution. `bins_in_sync`: the set's Cargo bins are
/// what info.toml calls for.
pub fn pieces(set: &ExerciseSet, package: &PackageTemplate, bins_in_sync: bool) -> Vec<Piece> {
    if !bins_in_sync || package.build_script.is_some() || has_own_settings(set) || !plain_bins(set)
    {
        return Vec::new();
    }
    let edition = package.edition();
    set.exercises
        .iter()
        .filter(|e| joins(e, edition.as_deref()))
        .filter_map(|exercise| {
            Some(Piece {
                entry: exercise.entry.clone(),
                text: std::fs::read_to_string(&exercise.path).ok()?,
                mutants: Vec::new(),
                solution: Some(std::fs::read_to_string(&exercise.solution).ok()?),
            })
        })
        .collect()
}

/// Whether `exercise` is checked in both files, each built by a bin of the package in
/// the package's edition ([`PackageTemplate::edition`]).
fn joins(exercise: &Exercise, package_edition: Option<&str>) -> bool {
    let checked = exercise.path.is_file()
        && !exercise.entry.skip_check_unsolved
        && exercise.solution.is_file();
    let same_edition = [Variant::Exercise, Variant::Solution].iter().all(|&v| {
        exercise
            .bin_for(v)
            .is_some_and(|bin| Some(bin.edition.as_str()) == package_edition)
    });
    checked && same_edition
}

/// Whether every `[[bin]]` of the set's package says only its name and path.
fn plain_bins(set: &ExerciseSet) -> bool {
    let path = crate::sync::exercises_manifest(&set.root).ok();
    let text = path.and_then(|path| std::fs::read_to_string(path).ok());
    text.is_some_and(|text| bins_are_plain(&text))
}

fn bins_are_plain(cargo_toml: &str) -> bool {
    let Ok(manifest) = toml::from_str::<toml::Table>(cargo_toml) else {
        return false;
    };
    let plain = |bin: &toml::Value| {
        bin.as_table()
            .is_some_and(|t| t.keys().all(|k| k == "name" || k == "path"))
    };
    match manifest.get("bin") {
        None => true,
        Some(bins) => bins.as_array().is_some_and(|bins| bins.iter().all(plain)),
    }
}

/// Cargo configuration or a toolchain file that the set's builds read and its copy's
/// would not (or not alike): in the set's folder or its package's.
fn has_own_settings(set: &ExerciseSet) -> bool {
    let dirs = set
        .exercises
        .iter()
        .flat_map(|e| {
            [
                e.package_dir(Variant::Exercise),
                e.package_dir(Variant::Solution),
            ]
        })
        .flatten()
        .chain([set.root.as_path()]);
    dirs.into_iter().any(|dir: &Path| {
        [
            ".cargo/config.toml",
            ".cargo/config",
            "rust-toolchain.toml",
            "rust-toolchain",
        ]
        .iter()
        .any(|name| dir.join(name).exists())
    })
}

/// Runs the merged exercises and solutions of `assembled` (those with a solution module)
/// where `set` runs its own bins: relative paths in their tests mean what they meant.
pub fn run_in_set_folders(assembled: &mut ExerciseSet, set: &ExerciseSet) {
    for exercise in &mut assembled.exercises {
        if exercise.solution_scope.is_none() {
            continue;
        }
        let Some(own) = set.find(exercise.name()).map(|i| &set.exercises[i]) else {
            continue;
        };
        for (bin, variant) in [
            (&mut exercise.bin, Variant::Exercise),
            (&mut exercise.solution_bin, Variant::Solution),
        ] {
            if let (Some(bin), Some(dir)) = (bin.as_mut(), own.package_dir(variant)) {
                bin.package_dir = dir.to_path_buf();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cargo::BinTarget;
    use crate::manifest::ExerciseEntry;

    /// An exercise in `dir` whose bins have `edition`.
    fn exercise(dir: &Path, edition: &str) -> Exercise {
        let (path, solution) = (dir.join("a1.rs"), dir.join("a1_sol.rs"));
        std::fs::write(&path, "fn main() {}\n").unwrap();
        std::fs::write(&solution, "fn main() {}\n").unwrap();
        let bin = |name: &str, src_path: &Path| BinTarget {
            package: "exercises".into(),
            name: name.into(),
            src_path: src_path.to_path_buf(),
            edition: edition.into(),
            package_dir: dir.to_path_buf(),
        };
        Exercise {
            entry: ExerciseEntry::sample("a1", None),
            bin: Some(bin("a1", &path)),
            solution_bin: Some(bin("a1_sol", &solution)),
            path,
            solution,
            scope: None,
            solution_scope: None,
        }
    }

    #[test]
    fn bins_that_say_more_than_name_and_path_keep_the_sets_build() {
        let bin = |extra: &str| {
            format!("[package]\nname = \"e\"\n\n[[bin]]\nname = \"a1\"\npath = \"a1.rs\"\n{extra}")
        };
        assert!(bins_are_plain(&bin("")));
        assert!(bins_are_plain("[package]\nname = \"e\"\n"));
        assert!(!bins_are_plain(&bin("harness = false\n")));
        assert!(!bins_are_plain(&bin("required-features = [\"x\"]\n")));
        assert!(!bins_are_plain("not toml ["));
    }

    #[test]
    fn an_exercise_joins_when_both_files_are_checked_alike() {
        let dir = tempfile::tempdir().unwrap();
        assert!(joins(&exercise(dir.path(), "2024"), Some("2024")));
        assert!(
            !joins(&exercise(dir.path(), "2021"), Some("2024")),
            "a bin's own edition"
        );
        let mut unchecked = exercise(dir.path(), "2024");
        unchecked.entry.skip_check_unsolved = true;
        assert!(!joins(&unchecked, Some("2024")));
        let mut unsolved = exercise(dir.path(), "2024");
        unsolved.solution = dir.path().join("missing.rs");
        assert!(!joins(&unsolved, Some("2024")));
        let mut no_bin = exercise(dir.path(), "2024");
        no_bin.solution_bin = None;
        assert!(!joins(&no_bin, Some("2024")));
    }
}
