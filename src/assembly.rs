//! A workspace that backlings writes itself, to build exercise files that are not in any
//! set as they stand: a learner's code with the reference's tests (grading), or a wrong
//! fix with the exercise's tests (`check`). It reuses one directory and one target
//! directory, rewriting only files whose content changed, so a second build is warm.

use std::fs::File;
use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::cargo::{BinTarget, Metadata};
use crate::exercise::{ExerciseSet, Variant};
use crate::manifest::ExerciseEntry;
use crate::reference::{Fnv, PackageTemplate};
use crate::sync::{self, BinSpec};

/// One exercise file of an assembly: its manifest entry (whose name is the bin's), its
/// text, and for a tests-mode exercise the mutants its tests must kill (file name, text).
#[derive(Debug, Clone)]
pub struct Piece {
    pub entry: ExerciseEntry,
    pub text: String,
    pub mutants: Vec<(String, String)>,
    /// A solution file beside it, at the entry's solution path: only as a module of a
    /// host (a set's own exercise and solution, merged with its wrong fixes).
    pub solution: Option<String>,
}

/// A crate that holds several pieces as modules, to build them as one binary (the wrong
/// fixes of one exercise, and its exercise and solution). Its pieces are exercises of the
/// assembly but not bins: each runs as the module `module` of the host's binary (see
/// [`crate::scope`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Host {
    /// The bin's name; its file is `<name>.rs` at the workspace's top.
    pub name: String,
    /// The crate root: a `#[path]` module per piece.
    pub text: String,
    /// (piece's name, module name) for each piece it holds.
    pub modules: Vec<(String, String)>,
    /// (piece's name, module name) for each piece whose solution it holds.
    pub solutions: Vec<(String, String)>,
}

impl Host {
    /// The host's file, relative to the workspace. At the top, so that rustc names its
    /// modules' files `exercises/…` and `solutions/…`, as a set's own build does.
    pub fn path(&self) -> String {
        format!("{}.rs", self.name)
    }

    fn module_of(&self, piece: &str, variant: Variant) -> Option<&str> {
        let modules = match variant {
            Variant::Exercise => &self.modules,
            Variant::Solution => &self.solutions,
        };
        modules
            .iter()
            .find(|(name, _)| name == piece)
            .map(|(_, module)| module.as_str())
    }
}

/// An assembled workspace, loaded as a set. It is locked until dropped, so two
/// commands never write the same assembly at once.
#[derive(Debug)]
pub struct Assembled {
    pub set: ExerciseSet,
    _lock: File,
}

/// Where `package` is assembled for grading, and where it builds: one directory and one
/// target directory per reference package (manifest and lockfile), shared by every
/// grading against it.
pub fn grading_dirs(package: &PackageTemplate) -> (PathBuf, PathBuf) {
    let mut key = Fnv::default();
    key.write(package.cargo_toml.as_bytes());
    key.write(package.lockfile.as_deref().unwrap_or("").as_bytes());
    let dir = cache_root().join(format!("grade-{:016x}", key.0));
    (dir.join("work"), dir.join("target"))
}

/// `text` made fit for a Cargo bin name (a wrong fix's or a mutant's file stem).
pub fn bin_suffix(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

/// backlings' cache: `BACKLINGS_CACHE_DIR`, else the user's cache directory.
pub fn cache_root() -> PathBuf {
    if let Some(dir) = std::env::var_os("BACKLINGS_CACHE_DIR") {
        return PathBuf::from(dir);
    }
    if let Some(dir) = std::env::var_os("XDG_CACHE_HOME") {
        return PathBuf::from(dir).join("backlings");
    }
    if let Some(home) = std::env::var_os("HOME") {
        return PathBuf::from(home).join(".cache").join("backlings");
    }
    std::env::temp_dir().join("backlings-cache")
}

/// How an assembly's files change between builds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edits {
    /// Files are edited and rebuilt (a learner's tests against mutants): incremental
    /// compilation pays.
    InPlace,
    /// Each file is built once per content (wrong fixes, gradings): incremental caches
    /// would only be written, never read.
    Once,
}

/// Writes `pieces` as the bins of a workspace made from `package` in `work`, building
/// into `target`, and loads it.
pub fn assemble(
    work: &Path,
    target: &Path,
    package: &PackageTemplate,
    pieces: &[Piece],
    edits: Edits,
) -> anyhow::Result<Assembled> {
    assemble_hosted(work, target, package, pieces, &[], edits)
}

/// [`assemble`], with some pieces built as modules of `hosts` rather than as bins.
pub fn assemble_hosted(
    work: &Path,
    target: &Path,
    package: &PackageTemplate,
    pieces: &[Piece],
    hosts: &[Host],
    edits: Edits,
) -> anyhow::Result<Assembled> {
    let hosted = |piece: &Piece| host_of(hosts, &piece.entry.name, Variant::Exercise).is_some();
    std::fs::create_dir_all(work).with_context(|| format!("creating {}", work.display()))?;
    let lock = lock_dir(work)?;
    let config = format!(
        "# Written by backlings: builds of this assembly share one target directory.\n[build]\ntarget-dir = {}\nincremental = {}\n",
        toml::Value::String(target.display().to_string()),
        edits == Edits::InPlace
    );
    write_if_changed(&work.join(".cargo/config.toml"), config.as_bytes())?;
    let bins: Vec<BinSpec> = pieces
        .iter()
        .filter(|piece| !hosted(piece))
        .map(|piece| BinSpec {
            name: piece.entry.name.clone(),
            path: piece.entry.exercise_path(),
        })
        .chain(hosts.iter().map(|host| BinSpec {
            name: host.name.clone(),
            path: host.path(),
        }))
        .collect();
    let cargo_toml = sync::with_bins(&package.cargo_toml, &bins)?;
    write_if_changed(&work.join("Cargo.toml"), cargo_toml.as_bytes())?;
    if let Some(lock) = &package.lockfile {
        write_if_changed(&work.join("Cargo.lock"), lock.as_bytes())?;
    }
    match &package.build_script {
        Some(script) => write_if_changed(&work.join("build.rs"), script)?,
        None => remove_if_present(&work.join("build.rs"))?,
    }
    write_if_changed(&work.join("info.toml"), manifest_text(pieces).as_bytes())?;
    let mut wanted = Vec::new();
    let solutions = pieces.iter().filter_map(|piece| {
        let text = piece.solution.as_ref()?;
        Some((piece.entry.solution_path(), text))
    });
    let files = pieces
        .iter()
        .map(|piece| (piece.entry.exercise_path(), &piece.text))
        .chain(solutions)
        .chain(hosts.iter().map(|host| (host.path(), &host.text)));
    for (path, text) in files {
        let path = work.join(path);
        write_if_changed(&path, text.as_bytes())?;
        wanted.push(path);
    }
    for dir in ["exercises", "solutions"] {
        remove_others(&work.join(dir), &wanted)?;
    }
    remove_stale_hosts(work, &wanted)?;
    write_mutants(work, pieces)?;
    Ok(Assembled {
        set: assembled_set(work, target, package, pieces, hosts)?,
        _lock: lock,
    })
}

/// The set of an assembly, described from what was written rather than asked of
/// `cargo metadata`: its layout is ours, and the question costs a cargo start per build.
fn assembled_set(
    work: &Path,
    target: &Path,
    package: &PackageTemplate,
    pieces: &[Piece],
    hosts: &[Host],
) -> anyhow::Result<ExerciseSet> {
    let manifest: toml::Table =
        toml::from_str(&package.cargo_toml).context("the assembly's Cargo.toml")?;
    let field = |key: &str| {
        manifest
            .get("package")
            .and_then(|p| p.get(key))
            .and_then(toml::Value::as_str)
            .map(str::to_string)
    };
    let package_name = field("name").context("the exercises package has no name")?;
    let edition = package.edition().unwrap_or_else(|| "2015".into());
    let bin = |name: &str, path: String| BinTarget {
        package: package_name.clone(),
        name: name.to_string(),
        src_path: work.join(path),
        edition: edition.clone(),
        package_dir: work.to_path_buf(),
    };
    let hosted = |piece: &Piece| host_of(hosts, &piece.entry.name, Variant::Exercise).is_some();
    let bins = pieces
        .iter()
        .filter(|piece| !hosted(piece))
        .map(|piece| bin(&piece.entry.name, piece.entry.exercise_path()))
        .chain(hosts.iter().map(|host| bin(&host.name, host.path())))
        .collect();
    let metadata = Metadata {
        bins,
        target_directory: target.to_path_buf(),
        workspace_root: work.to_path_buf(),
    };
    let parsed = crate::manifest::parse(&manifest_text(pieces))
        .map_err(|e| anyhow::anyhow!("the assembly's manifest: {e}"))?;
    let mut set = ExerciseSet::assemble(work, parsed, metadata, Path::to_path_buf);
    for exercise in &mut set.exercises {
        if let Some((host, module)) = host_of(hosts, exercise.name(), Variant::Exercise) {
            exercise.bin = Some(bin(&host.name, host.path()));
            exercise.scope = Some(module.to_string());
        }
        if let Some((host, module)) = host_of(hosts, exercise.name(), Variant::Solution) {
            exercise.solution_bin = Some(bin(&host.name, host.path()));
            exercise.solution_scope = Some(module.to_string());
        }
    }
    Ok(set)
}

/// The host holding the `variant` file of the piece named `piece`, and its module there.
fn host_of<'h>(hosts: &'h [Host], piece: &str, variant: Variant) -> Option<(&'h Host, &'h str)> {
    hosts
        .iter()
        .find_map(|host| host.module_of(piece, variant).map(|module| (host, module)))
}

/// `mutants/<bin>/` for each piece that has mutants; stale ones are removed.
fn write_mutants(work: &Path, pieces: &[Piece]) -> anyhow::Result<()> {
    let dir = work.join(crate::mutants::MUTANTS_DIR);
    if dir.exists() {
        std::fs::remove_dir_all(&dir).with_context(|| format!("removing {}", dir.display()))?;
    }
    for piece in pieces {
        for (file, text) in &piece.mutants {
            write_if_changed(&dir.join(&piece.entry.name).join(file), text.as_bytes())?;
        }
    }
    Ok(())
}

fn lock_dir(dir: &Path) -> anyhow::Result<File> {
    let path = dir.join(".assembly.lock");
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("opening {}", path.display()))?;
    file.lock()
        .with_context(|| format!("locking {}", path.display()))?;
    Ok(file)
}

/// The assembly's info.toml: the pieces' entries, hints left out.
fn manifest_text(pieces: &[Piece]) -> String {
    let mut text = String::from("# Written by backlings.\nformat_version = 1\n");
    for piece in pieces {
        let entry = &piece.entry;
        let quoted = |s: &str| toml::Value::String(s.to_string()).to_string();
        text.push_str(&format!(
            "\n[[exercises]]\nname = {}\n",
            quoted(&entry.name)
        ));
        if let Some(dir) = &entry.dir {
            text.push_str(&format!("dir = {}\n", quoted(dir)));
        }
        text.push_str(&format!(
            "test = {}\nstrict_clippy = {}\ntimeout_secs = {}\npoints = {}\nmode = \"{}\"\nhint = \"-\"\n",
            entry.test,
            entry.strict_clippy,
            entry.timeout.as_secs().max(1),
            entry.points,
            entry.mode.as_str()
        ));
        if !entry.services.is_empty() {
            let names: Vec<String> = entry.services.iter().map(|s| quoted(s.name())).collect();
            text.push_str(&format!("services = [{}]\n", names.join(", ")));
        }
    }
    text
}

/// Writes only when the content differs, so cargo sees unchanged files as fresh.
fn write_if_changed(path: &Path, content: &[u8]) -> anyhow::Result<()> {
    if std::fs::read(path).is_ok_and(|old| old == content) {
        return Ok(());
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("creating {}", parent.display()))?;
    }
    std::fs::write(path, content).with_context(|| format!("writing {}", path.display()))
}

fn remove_if_present(path: &Path) -> anyhow::Result<()> {
    match std::fs::remove_file(path) {
        Err(err) if err.kind() != std::io::ErrorKind::NotFound => {
            Err(err).with_context(|| format!("removing {}", path.display()))
        }
        _ => Ok(()),
    }
}

/// Removes the hosts of earlier assemblies: `.rs` files at the top (but the build
/// script) that are not `wanted`.
fn remove_stale_hosts(work: &Path, wanted: &[PathBuf]) -> anyhow::Result<()> {
    let Ok(entries) = std::fs::read_dir(work) else {
        return Ok(());
    };
    for path in entries.flatten().map(|e| e.path()) {
        let stale = path.extension().is_some_and(|e| e == "rs")
            && path.file_name().is_some_and(|n| n != "build.rs")
            && path.is_file()
            && !wanted.contains(&path);
        if stale {
            remove_if_present(&path)?;
        }
    }
    Ok(())
}

/// Removes the `.rs` files under `dir` that are not `wanted` (left by earlier assemblies).
fn remove_others(dir: &Path, wanted: &[PathBuf]) -> anyhow::Result<()> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(());
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            remove_others(&path, wanted)?;
        } else if path.extension().is_some_and(|e| e == "rs") && !wanted.contains(&path) {
            remove_if_present(&path)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn piece(name: &str, dir: Option<&str>) -> Piece {
        Piece {
            entry: ExerciseEntry {
                timeout: Duration::from_secs(7),
                ..ExerciseEntry::sample(name, dir)
            },
            text: String::new(),
            mutants: Vec::new(),
            solution: None,
        }
    }

    #[test]
    fn the_manifest_keeps_what_running_needs() {
        let text = manifest_text(&[piece("a", Some("01_x")), piece("b__wrong", None)]);
        let parsed = crate::manifest::parse(&text).expect("a valid manifest");
        let entries = &parsed.manifest.exercises;
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].dir.as_deref(), Some("01_x"));
        assert_eq!(entries[1].timeout, Duration::from_secs(7));
        assert_eq!(entries[1].points, 1);
        assert!(entries[1].test);
    }

    #[test]
    fn hosted_pieces_are_modules_of_their_host_not_bins() {
        let dir = tempfile::tempdir().unwrap();
        let package = PackageTemplate {
            cargo_toml: "[package]\nname = \"exercises\"\nedition = \"2024\"\n".into(),
            lockfile: None,
            build_script: None,
        };
        let pieces = [
            piece("a__x", Some("01")),
            piece("a__y", Some("01")),
            piece("a__z", Some("01")),
        ];
        let mut own = piece("a", Some("01"));
        own.solution = Some("// solved\n".into());
        let pieces = [pieces[0].clone(), pieces[1].clone(), pieces[2].clone(), own];
        let host = Host {
            name: "a__merged".into(),
            text: "pub mod m0;\n".into(),
            modules: vec![
                ("a__x".into(), "m0".into()),
                ("a__y".into(), "m1".into()),
                ("a".into(), "m2".into()),
            ],
            solutions: vec![("a".into(), "m3".into())],
        };
        let work = dir.path().join("work");
        let assembled = assemble_hosted(
            &work,
            &dir.path().join("target"),
            &package,
            &pieces,
            std::slice::from_ref(&host),
            Edits::Once,
        )
        .unwrap();
        let cargo_toml = std::fs::read_to_string(work.join("Cargo.toml")).unwrap();
        assert!(cargo_toml.contains("a__z") && cargo_toml.contains("a__merged"));
        assert!(!cargo_toml.contains("a__x") && !cargo_toml.contains("a__y"));
        assert!(
            work.join("exercises/01/a__x.rs").is_file(),
            "a module's file"
        );
        assert!(work.join("a__merged.rs").is_file(), "at the top");
        assert_eq!(
            std::fs::read_to_string(work.join("solutions/01/a.rs")).unwrap(),
            "// solved\n"
        );
        let set = &assembled.set;
        assert_eq!(set.bin_count, 2);
        let scopes: Vec<(Option<&str>, Option<&str>)> = set
            .exercises
            .iter()
            .map(|e| (e.bin.as_ref().map(|b| b.name.as_str()), e.scope.as_deref()))
            .collect();
        assert_eq!(
            scopes,
            [
                (Some("a__merged"), Some("m0")),
                (Some("a__merged"), Some("m1")),
                (Some("a__z"), None),
                (Some("a__merged"), Some("m2")),
            ]
        );
        let own = &set.exercises[3];
        assert_eq!(
            (
                own.solution_bin.as_ref().map(|b| b.name.as_str()),
                own.solution_scope.as_deref()
            ),
            (Some("a__merged"), Some("m3"))
        );
    }

    #[test]
    fn file_stems_become_bin_names() {
        assert_eq!(bin_suffix("slice-eq.v2"), "slice_eq_v2");
    }

    #[test]
    fn unchanged_files_are_not_rewritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a/b.rs");
        write_if_changed(&path, b"x").unwrap();
        let before = std::fs::metadata(&path).unwrap().modified().unwrap();
        std::thread::sleep(Duration::from_millis(20));
        write_if_changed(&path, b"x").unwrap();
        assert_eq!(
            std::fs::metadata(&path).unwrap().modified().unwrap(),
            before
        );
        write_if_changed(&path, b"y").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"y");
    }
}
