//! The bundled course, embedded in the binary by build.rs, and the standalone learner
//! workspace that `init` writes from it.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::PathBuf;

use anyhow::Context;

use crate::exercise::{Exercise, ExerciseSet};
use crate::fsutil;

static BLOB: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/course.bin"));

/// Marks a workspace written by `init`: its solutions come from the binary.
pub const BUNDLED_MARKER: &str = "bundled-course";

/// The embedded course files, keyed by path relative to the repository root.
pub fn files() -> BTreeMap<&'static str, &'static [u8]> {
    let mut files = BTreeMap::new();
    let mut rest = BLOB;
    while let Some((path, after)) = take_chunk(rest) {
        let Some((content, after)) = take_chunk(after) else {
            break;
        };
        if let Ok(path) = std::str::from_utf8(path) {
            files.insert(path, content);
        }
        rest = after;
    }
    files
}

fn take_chunk(bytes: &[u8]) -> Option<(&[u8], &[u8])> {
    let (len, rest) = bytes.split_first_chunk::<4>()?;
    let len = u32::from_le_bytes(*len) as usize;
    (rest.len() >= len).then(|| rest.split_at(len))
}

/// Copies the embedded solution of a passed exercise into an `init` workspace.
/// Returns the shown and absolute path of the solution when there is one to look at.
pub fn reveal_solution(
    set: &ExerciseSet,
    exercise: &Exercise,
) -> anyhow::Result<Option<(String, PathBuf)>> {
    let shown = exercise.entry.solution_path();
    if exercise.solution.exists() {
        return Ok(Some((shown, exercise.solution.clone())));
    }
    if !set.data_dir().join(BUNDLED_MARKER).exists() {
        return Ok(None);
    }
    let Some(content) = files().get(shown.as_str()).copied() else {
        return Ok(None);
    };
    fsutil::write_atomic(&exercise.solution, content)
        .with_context(|| format!("writing {}", exercise.solution.display()))?;
    Ok(Some((shown, exercise.solution.clone())))
}

/// Keeps only the packages `root_package` depends on (transitively) from a Cargo.lock.
pub fn filter_lockfile(lock: &str, root_package: &str) -> anyhow::Result<String> {
    let doc: toml::Table = toml::from_str(lock).context("parsing the embedded Cargo.lock")?;
    let packages = doc
        .get("package")
        .and_then(toml::Value::as_array)
        .context("Cargo.lock has no [[package]] entries")?;
    let key = |p: &toml::Value| -> (String, String) {
        let field = |k: &str| {
            p.get(k)
                .and_then(toml::Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        (field("name"), field("version"))
    };
    let by_key: BTreeMap<(String, String), &toml::Value> =
        packages.iter().map(|p| (key(p), p)).collect();
    let resolve = |spec: &str| -> Option<(String, String)> {
        let mut parts = spec.split_whitespace();
        let name = parts.next()?;
        match parts.next() {
            Some(version) => Some((name.to_string(), version.to_string())),
            None => by_key.keys().find(|(n, _)| n == name).cloned(),
        }
    };
    let mut keep: BTreeSet<(String, String)> = BTreeSet::new();
    let mut queue: VecDeque<(String, String)> = by_key
        .keys()
        .filter(|(n, _)| n == root_package)
        .cloned()
        .collect();
    while let Some(next) = queue.pop_front() {
        if !keep.insert(next.clone()) {
            continue;
        }
        let deps = by_key
            .get(&next)
            .and_then(|p| p.get("dependencies"))
            .and_then(toml::Value::as_array);
        for dep in deps.into_iter().flatten() {
            if let Some(found) = dep.as_str().and_then(resolve) {
                queue.push_back(found);
            }
        }
    }
    // Keep cargo's own text for each kept package, so that the first build finds the
    // file exactly as it would write it and leaves it alone.
    let mut blocks = lock.split("\n[[package]]\n");
    let mut out = blocks.next().unwrap_or_default().trim_end().to_string();
    out.push('\n');
    for block in blocks {
        let parsed: Option<(String, String)> = toml::from_str::<toml::Table>(block)
            .ok()
            .map(|table| key(&toml::Value::Table(table)));
        if parsed.is_some_and(|k| keep.contains(&k)) {
            out.push_str("\n[[package]]\n");
            out.push_str(block.trim_end());
            out.push('\n');
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_course_is_embedded() {
        let files = files();
        assert!(files.contains_key("info.toml"));
        assert!(files.contains_key("course/Cargo.toml"));
        assert!(files.keys().any(|k| k.starts_with("exercises/")));
    }

    #[test]
    fn lockfile_keeps_only_the_closure() {
        let lock = r#"version = 4
[[package]]
name = "exercises"
version = "0.0.0"
dependencies = ["serde", "itoa 1.0.0"]

[[package]]
name = "serde"
version = "1.0.0"
source = "registry+https://github.com/rust-lang/crates.io-index"
dependencies = ["serde_derive"]

[[package]]
name = "serde_derive"
version = "1.0.0"

[[package]]
name = "itoa"
version = "1.0.0"

[[package]]
name = "itoa"
version = "0.4.0"

[[package]]
name = "clap"
version = "4.0.0"
"#;
        let filtered = filter_lockfile(lock, "exercises").unwrap();
        let doc: toml::Table = toml::from_str(&filtered).unwrap();
        let names: Vec<String> = doc["package"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                format!(
                    "{} {}",
                    p["name"].as_str().unwrap(),
                    p["version"].as_str().unwrap()
                )
            })
            .collect();
        assert_eq!(
            names,
            [
                "exercises 0.0.0",
                "serde 1.0.0",
                "serde_derive 1.0.0",
                "itoa 1.0.0"
            ]
        );
    }
}
