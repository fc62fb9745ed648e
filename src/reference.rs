//! A reference set: the source of truth that grading builds from. It is a set directory
//! (`grade --against DIR`) or the course bundled in this binary. From it come the manifest,
//! the Cargo package (turned into a standalone one, without bins) and every exercise's
//! text; the learner contributes only the text above each marker.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use toml_edit::{DocumentMut, Item, Table, value};

use crate::exercise::{self, MANIFEST_FILE};
use crate::manifest::{self, Manifest};
use crate::{course, sync};

/// A Cargo package that builds exercises, ready to be given bins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageTemplate {
    /// A standalone Cargo.toml: its own workspace, profiles included, no bins.
    pub cargo_toml: String,
    pub lockfile: Option<String>,
    /// The build script, if the package has one (kept as `build.rs`).
    pub build_script: Option<Vec<u8>>,
}

/// The set that grading trusts.
#[derive(Debug, Clone)]
pub struct Reference {
    /// Where it came from, for messages.
    pub origin: String,
    /// Its directory, when it has one on disk.
    pub root: Option<PathBuf>,
    pub manifest: Manifest,
    /// Each exercise's full text, by name (absent when the reference lacks the file).
    pub exercises: BTreeMap<String, String>,
    pub package: PackageTemplate,
    /// The mutants of tests-mode exercises, by exercise name: (file name, text).
    pub mutants: BTreeMap<String, Vec<(String, String)>>,
}

impl Reference {
    /// The set in directory `root`, which must hold `info.toml` itself.
    pub fn load(root: &Path) -> anyhow::Result<Self> {
        if !root.join(MANIFEST_FILE).is_file() {
            bail!(
                "{} is not an exercise set: it has no {MANIFEST_FILE}",
                root.display()
            );
        }
        let parsed = exercise::read_manifest(root)?;
        let mut exercises = BTreeMap::new();
        let mut mutants = BTreeMap::new();
        for entry in &parsed.manifest.exercises {
            let path = root.join(entry.exercise_path());
            if let Ok(text) = std::fs::read_to_string(&path) {
                exercises.insert(entry.name.clone(), text);
            }
            let files = crate::mutants::files(root, &entry.name);
            if !files.is_empty() {
                mutants.insert(entry.name.clone(), files);
            }
        }
        Ok(Self {
            origin: root.display().to_string(),
            root: Some(root.to_path_buf()),
            manifest: parsed.manifest,
            exercises,
            package: PackageTemplate::from_dir(root)?,
            mutants,
        })
    }

    /// The course bundled in this binary.
    pub fn bundled() -> anyhow::Result<Self> {
        let files = course::files();
        let text = |path: &str| -> anyhow::Result<String> {
            let bytes = files
                .get(path)
                .with_context(|| format!("the bundled course has no {path}"))?;
            Ok(String::from_utf8_lossy(bytes).into_owned())
        };
        let manifest = manifest::parse(&text(MANIFEST_FILE)?)
            .map_err(|e| anyhow::anyhow!("the bundled info.toml is invalid: {e}"))?
            .manifest;
        let mut exercises = BTreeMap::new();
        let mut mutants: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
        for entry in &manifest.exercises {
            if let Ok(text) = text(&entry.exercise_path()) {
                exercises.insert(entry.name.clone(), text);
            }
            let prefix = format!("{}/{}/", crate::mutants::MUTANTS_DIR, entry.name);
            for (path, content) in files.range(prefix.as_str()..) {
                let Some(file) = path.strip_prefix(&prefix) else {
                    break;
                };
                mutants.entry(entry.name.clone()).or_default().push((
                    file.to_string(),
                    String::from_utf8_lossy(content).into_owned(),
                ));
            }
        }
        let package_toml = text("course/Cargo.toml")?;
        let root_toml = text("Cargo.toml").ok();
        let cargo_toml = standalone_manifest(&package_toml, root_toml.as_deref())?;
        let lockfile = match text("Cargo.lock") {
            Ok(lock) => Some(course::filter_lockfile(&lock, &package_name(&cargo_toml)?)?),
            Err(_) => None,
        };
        Ok(Self {
            origin: "the course bundled in backlings".into(),
            root: None,
            manifest,
            exercises,
            package: PackageTemplate {
                cargo_toml,
                lockfile,
                build_script: None,
            },
            mutants,
        })
    }
}

impl PackageTemplate {
    /// The edition its bins build in (cargo's default, 2015, when it names none); `None`
    /// when the manifest has no `[package]`.
    pub fn edition(&self) -> Option<String> {
        let manifest: toml::Table = toml::from_str(&self.cargo_toml).ok()?;
        let edition = manifest.get("package")?.get("edition");
        Some(
            edition
                .and_then(toml::Value::as_str)
                .unwrap_or("2015")
                .to_string(),
        )
    }

    /// The exercises package of the set at `root`, made standalone.
    pub fn from_dir(root: &Path) -> anyhow::Result<Self> {
        let package_manifest = sync::exercises_manifest(root)?;
        let package_dir = package_manifest.parent().unwrap_or(root);
        let package_toml = std::fs::read_to_string(&package_manifest)
            .with_context(|| format!("reading {}", package_manifest.display()))?;
        let root_manifest = root.join("Cargo.toml");
        let root_toml = if package_manifest == root_manifest {
            None
        } else {
            std::fs::read_to_string(&root_manifest).ok()
        };
        let mut cargo_toml = standalone_manifest(&package_toml, root_toml.as_deref())
            .with_context(|| format!("reading {}", package_manifest.display()))?;
        let lockfile = match std::fs::read_to_string(root.join("Cargo.lock")) {
            Ok(lock) => {
                Some(course::filter_lockfile(&lock, &package_name(&cargo_toml)?).unwrap_or(lock))
            }
            Err(_) => None,
        };
        let build_script = build_script_path(&package_toml)
            .and_then(|rel| std::fs::read(package_dir.join(rel)).ok());
        if build_script.is_some() {
            let mut doc: DocumentMut = cargo_toml.parse()?;
            doc["package"]["build"] = value("build.rs");
            cargo_toml = doc.to_string();
        }
        Ok(Self {
            cargo_toml,
            lockfile,
            build_script,
        })
    }

    /// What differs between this package and `reference`, one phrase per difference.
    pub fn differences(&self, reference: &PackageTemplate) -> Vec<String> {
        let mut differences = Vec::new();
        let ours = toml::from_str::<toml::Table>(&self.cargo_toml).unwrap_or_default();
        let theirs = toml::from_str::<toml::Table>(&reference.cargo_toml).unwrap_or_default();
        let mut keys: Vec<&String> = ours.keys().chain(theirs.keys()).collect();
        keys.sort();
        keys.dedup();
        for key in keys {
            if ours.get(key) != theirs.get(key) {
                differences.push(format!("Cargo.toml's [{key}] differs"));
            }
        }
        if self.build_script.is_some() && self.build_script != reference.build_script {
            differences.push("a build script that the reference does not have".into());
        }
        // Cargo.lock is not compared: cargo rewrites it, and grading uses the reference's.
        differences
    }
}

/// The package's build script, relative to its directory.
fn build_script_path(package_toml: &str) -> Option<String> {
    let doc: toml::Table = toml::from_str(package_toml).ok()?;
    match doc.get("package")?.get("build") {
        Some(toml::Value::String(path)) => Some(path.clone()),
        Some(toml::Value::Boolean(false)) => None,
        _ => Some("build.rs".into()),
    }
}

fn package_name(cargo_toml: &str) -> anyhow::Result<String> {
    let doc: toml::Table = toml::from_str(cargo_toml)?;
    doc.get("package")
        .and_then(|p| p.get("name"))
        .and_then(toml::Value::as_str)
        .map(str::to_string)
        .context("the exercises package has no name")
}

/// `package_toml` as a workspace of its own: no bins or other targets, no build script,
/// target auto-discovery off, and the profiles of the workspace root (`root_toml`) when
/// the package was a member of one.
pub fn standalone_manifest(package_toml: &str, root_toml: Option<&str>) -> anyhow::Result<String> {
    let mut doc: DocumentMut = package_toml.parse().context("not valid TOML")?;
    for key in ["bin", "lib", "test", "example", "bench", "workspace"] {
        doc.remove(key);
    }
    let package = doc
        .get_mut("package")
        .and_then(Item::as_table_mut)
        .context("no [package] table")?;
    package.remove("workspace");
    // Set to `build.rs` by the caller when the package really has a build script.
    package.insert("build", value(false));
    for auto in [
        "autobins",
        "autoexamples",
        "autotests",
        "autobenches",
        "autolib",
    ] {
        package.insert(auto, value(false));
    }
    if doc.get("profile").is_none()
        && let Some(root) = root_toml
    {
        let root: DocumentMut = root
            .parse()
            .context("the workspace root is not valid TOML")?;
        if let Some(profile) = root.get("profile") {
            doc.insert("profile", profile.clone());
        }
    }
    let mut workspace = Table::new();
    workspace.set_implicit(false);
    doc.insert("workspace", Item::Table(workspace));
    Ok(doc.to_string())
}

/// The version of the bundled course: a digest of what is graded (manifest, package and
/// exercises), so that a workspace `init` wrote can tell whether this binary ships the
/// same course.
pub fn bundled_course_version() -> String {
    let mut hash = Fnv::default();
    for (path, content) in course::files() {
        if path == MANIFEST_FILE || path == "course/Cargo.toml" || path.starts_with("exercises/") {
            hash.write(path.as_bytes());
            hash.write(&[0]);
            hash.write(content);
            hash.write(&[0]);
        }
    }
    format!("{:016x}", hash.0)
}

/// FNV-1a: a digest that stays the same across builds and toolchains.
pub(crate) struct Fnv(pub u64);

impl Default for Fnv {
    fn default() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv {
    pub fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 ^= u64::from(byte);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template(cargo_toml: &str) -> PackageTemplate {
        PackageTemplate {
            cargo_toml: cargo_toml.into(),
            lockfile: None,
            build_script: None,
        }
    }

    #[test]
    fn the_copy_builds_in_the_packages_edition() {
        assert_eq!(
            template("[package]\nname = \"e\"\nedition = \"2024\"\n")
                .edition()
                .as_deref(),
            Some("2024")
        );
        assert_eq!(
            template("[package]\nname = \"e\"\n").edition().as_deref(),
            Some("2015")
        );
        assert_eq!(template("[workspace]\n").edition(), None);
    }

    #[test]
    fn a_member_package_becomes_a_workspace_of_its_own() {
        let member = "[package]\nname = \"exercises\"\nversion = \"0.0.0\"\nedition = \"2024\"\n\n[dependencies]\nserde = \"1\"\n\n[[bin]]\nname = \"a\"\npath = \"../exercises/a.rs\"\n";
        let root = "[workspace]\nmembers = [\"course\"]\n\n[profile.dev]\ndebug = 0\n";
        let standalone = standalone_manifest(member, Some(root)).unwrap();
        let doc: toml::Table = toml::from_str(&standalone).unwrap();
        assert!(doc.get("bin").is_none(), "{standalone}");
        assert_eq!(
            doc["profile"]["dev"]["debug"].as_integer(),
            Some(0),
            "{standalone}"
        );
        assert_eq!(doc["package"]["build"].as_bool(), Some(false));
        assert_eq!(doc["package"]["autobins"].as_bool(), Some(false));
        assert!(doc["workspace"].as_table().is_some_and(|t| t.is_empty()));
        assert_eq!(doc["dependencies"]["serde"].as_str(), Some("1"));
    }

    #[test]
    fn a_declared_build_script_is_kept_as_build_rs() {
        assert_eq!(
            build_script_path("[package]\nname = \"x\"\nbuild = \"gen.rs\"\n").as_deref(),
            Some("gen.rs")
        );
        assert_eq!(
            build_script_path("[package]\nname = \"x\"\nbuild = false\n"),
            None
        );
        let standalone =
            standalone_manifest("[package]\nname = \"x\"\nbuild = \"gen.rs\"\n", None).unwrap();
        let doc: toml::Table = toml::from_str(&standalone).unwrap();
        assert_eq!(
            doc["package"]["build"].as_bool(),
            Some(false),
            "{standalone}"
        );
    }

    #[test]
    fn differences_name_what_changed() {
        let reference = PackageTemplate {
            cargo_toml: "[package]\nname = \"x\"\n\n[dependencies]\nserde = \"1\"\n".into(),
            lockfile: None,
            build_script: None,
        };
        assert!(reference.differences(&reference).is_empty());
        let mut changed = reference.clone();
        changed.cargo_toml.push_str("evil = \"1\"\n");
        changed.build_script = Some(b"fn main() {}".to_vec());
        assert_eq!(
            changed.differences(&reference),
            [
                "Cargo.toml's [dependencies] differs",
                "a build script that the reference does not have"
            ]
        );
    }

    #[test]
    fn the_bundled_course_is_a_reference() {
        let reference = Reference::bundled().unwrap();
        assert!(reference.exercises.len() >= 40);
        assert_eq!(
            reference.manifest.exercises.len(),
            reference.exercises.len()
        );
        assert!(reference.package.cargo_toml.contains("[workspace]"));
        assert_eq!(bundled_course_version(), bundled_course_version());
    }
}
