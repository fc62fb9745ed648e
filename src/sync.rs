//! The exercises package's `[[bin]]` list, generated from the manifest: one bin per
//! exercise (`name`) and per existing solution (`name_sol`).

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use toml_edit::{ArrayOfTables, DocumentMut, Item, Table, value};

use crate::manifest::ExerciseEntry;

/// A bin target as written in Cargo.toml.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BinSpec {
    pub name: String,
    pub path: String,
}

/// The Cargo.toml of the package whose bins are the exercises: `course/` (this
/// repository's layout) when it exists, else the set root's own package (rustlings
/// community sets, `init` workspaces).
pub fn exercises_manifest(root: &Path) -> anyhow::Result<PathBuf> {
    let course = root.join("course/Cargo.toml");
    if course.is_file() {
        return Ok(course);
    }
    let top = root.join("Cargo.toml");
    let text =
        std::fs::read_to_string(&top).with_context(|| format!("reading {}", top.display()))?;
    let doc: DocumentMut = text
        .parse()
        .with_context(|| format!("parsing {}", top.display()))?;
    if doc.get("package").is_some() {
        return Ok(top);
    }
    bail!(
        "{} has no [package] and there is no course/Cargo.toml: cannot tell which package holds the exercises",
        top.display()
    )
}

/// The bins the manifest calls for. `prefix` leads from the package dir to the set root
/// (`""` or `"../"`); `has_solution` says whether a solution file exists.
pub fn expected_bins(
    entries: &[ExerciseEntry],
    prefix: &str,
    has_solution: impl Fn(&ExerciseEntry) -> bool,
) -> Vec<BinSpec> {
    let mut bins = Vec::new();
    for entry in entries {
        bins.push(BinSpec {
            name: entry.name.clone(),
            path: format!("{prefix}{}", entry.exercise_path()),
        });
        if has_solution(entry) {
            bins.push(BinSpec {
                name: format!("{}_sol", entry.name),
                path: format!("{prefix}{}", entry.solution_path()),
            });
        }
    }
    bins
}

/// The bins a Cargo.toml declares, in either `[[bin]]` or `bin = [...]` form.
pub fn declared_bins(cargo_toml: &str) -> anyhow::Result<Vec<BinSpec>> {
    let doc: toml::Table = toml::from_str(cargo_toml)?;
    let bins = doc
        .get("bin")
        .and_then(toml::Value::as_array)
        .cloned()
        .unwrap_or_default();
    Ok(bins
        .iter()
        .filter_map(|bin| {
            Some(BinSpec {
                name: bin.get("name")?.as_str()?.to_string(),
                path: bin.get("path")?.as_str()?.to_string(),
            })
        })
        .collect())
}

/// `cargo_toml` with its bin list replaced by `bins`; everything else is kept as written.
pub fn with_bins(cargo_toml: &str, bins: &[BinSpec]) -> anyhow::Result<String> {
    let mut doc: DocumentMut = cargo_toml.parse()?;
    let mut tables = ArrayOfTables::new();
    for bin in bins {
        let mut table = Table::new();
        table.insert("name", value(&bin.name));
        table.insert("path", value(&bin.path));
        tables.push(table);
    }
    doc.remove("bin");
    doc.insert("bin", Item::ArrayOfTables(tables));
    Ok(doc.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(name: &str, dir: Option<&str>) -> ExerciseEntry {
        ExerciseEntry::sample(name, dir)
    }

    #[test]
    fn generates_exercise_and_solution_bins() {
        let entries = [entry("a", Some("00_intro")), entry("b", None)];
        let bins = expected_bins(&entries, "../", |e| e.name == "a");
        let names: Vec<_> = bins.iter().map(|b| b.name.as_str()).collect();
        assert_eq!(names, ["a", "a_sol", "b"]);
        assert_eq!(bins[1].path, "../solutions/00_intro/a.rs");
    }

    #[test]
    fn replaces_bins_and_keeps_the_rest() {
        let original = "# keep me\n[package]\nname = \"exercises\"\n\n[dependencies]\nserde = \"1\"\n\nbin = [{ name = \"old\", path = \"old.rs\" }]\n";
        // `bin = [...]` after [dependencies] would be a dependency; use the real layouts.
        let original = original.replace(
            "\nbin = [{ name = \"old\", path = \"old.rs\" }]\n",
            "\n[[bin]]\nname = \"old\"\npath = \"old.rs\"\n",
        );
        let bins = [BinSpec {
            name: "new".into(),
            path: "exercises/new.rs".into(),
        }];
        let updated = with_bins(&original, &bins).unwrap();
        assert!(updated.starts_with("# keep me\n"));
        assert!(updated.contains("serde = \"1\""));
        assert_eq!(declared_bins(&updated).unwrap(), bins);
    }

    #[test]
    fn reads_rustlings_inline_bin_arrays() {
        let text = "bin = [\n  { name = \"intro1\", path = \"exercises/00_intro/intro1.rs\" },\n]\n[package]\nname = \"exercises\"\n";
        let bins = declared_bins(text).unwrap();
        assert_eq!(bins[0].name, "intro1");
    }
}
