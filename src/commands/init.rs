//! `backlings init [DIR]`: a standalone learner workspace of the bundled course.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};

use crate::course::{self, BUNDLED_MARKER};
use crate::reference::{self, Reference};
use crate::{fsutil, manifest, originals, style, sync};

const GITIGNORE: &str = "/target/\n/.backlings/\n";
const RUST_ANALYZER_TOML: &str = "# rust-analyzer builds into its own target directory, so its `cargo check` on every\n# save never holds the build lock backlings needs.\n[cargo]\ntargetDir = true\n";
const VSCODE_SETTINGS: &str = "{\n  \"rust-analyzer.cargo.targetDir\": true\n}\n";

pub fn run(start: &Path, dir: Option<&Path>) -> anyhow::Result<ExitCode> {
    let dir = start.join(dir.unwrap_or(Path::new("backlings")));
    if dir.exists() {
        bail!(
            "{} already exists; backlings init never overwrites a directory. Pick a new DIR (`backlings init DIR`) or run backlings inside the existing one.",
            dir.display()
        );
    }
    write_workspace(&dir)?;
    println!(
        "Wrote the course to {}.\nStart with:\n  cd {}\n  backlings",
        style::emphasis().apply_to(dir.display()),
        dir.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// Writes a standalone workspace of the bundled course into `dir`.
pub fn write_workspace(dir: &Path) -> anyhow::Result<()> {
    let files = course::files();
    let info = files
        .get("info.toml")
        .copied()
        .context("this backlings was built without a course")?;
    let parsed = manifest::parse(&String::from_utf8_lossy(info))
        .map_err(|e| anyhow::anyhow!("the bundled info.toml is invalid: {e}"))?;

    let mut written: Vec<(PathBuf, Vec<u8>)> = Vec::new();
    let mut add = |rel: &str, content: &[u8]| written.push((dir.join(rel), content.to_vec()));
    for (path, content) in &files {
        if path.starts_with("exercises/") || *path == "info.toml" {
            add(path, content);
        }
    }
    let package = Reference::bundled()?.package;
    let bins = sync::expected_bins(&parsed.manifest.exercises, "", |_| false);
    add(
        "Cargo.toml",
        workspace_manifest(&package.cargo_toml, &bins)?.as_bytes(),
    );
    if let Some(lock) = &package.lockfile {
        add("Cargo.lock", lock.as_bytes());
    }
    add(".gitignore", GITIGNORE.as_bytes());
    add("rust-analyzer.toml", RUST_ANALYZER_TOML.as_bytes());
    add(".vscode/settings.json", VSCODE_SETTINGS.as_bytes());
    add(
        "solutions/README.md",
        b"Solutions appear here as you solve the exercises.\n",
    );
    // Records which course this is, so that `grade` can use the bundled one as reference.
    let version = format!("course {}\n", reference::bundled_course_version());
    add(&format!(".backlings/{BUNDLED_MARKER}"), version.as_bytes());

    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    for (path, content) in &written {
        fsutil::write_atomic(path, content)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    for entry in &parsed.manifest.exercises {
        let rel = entry.exercise_path();
        if let Some(content) = files.get(rel.as_str()) {
            originals::record(dir, &rel, content)
                .with_context(|| format!("keeping the original of {rel}"))?;
        }
    }
    settle_lockfile(dir);
    Ok(())
}

/// The workspace's Cargo.toml: the course package with its bins, under a header that
/// speaks of this workspace.
fn workspace_manifest(template: &str, bins: &[sync::BinSpec]) -> anyhow::Result<String> {
    let mut doc: toml_edit::DocumentMut = sync::with_bins(template, bins)?.parse()?;
    if let Some(package) = doc.get_mut("package").and_then(|p| p.as_table_mut()) {
        package.decor_mut().set_prefix(
            "# The course's exercises, one bin each. The bin list is generated from info.toml\n# by `backlings sync`: edit info.toml, not the [[bin]] tables.\n",
        );
    }
    Ok(doc.to_string())
}

/// Lets cargo write the lockfile in its own form now (the course's lockfile is shared with
/// the runner's crates, so a few entries differ), so the first build leaves it alone. It
/// stays offline: without a local registry cache the first build does the same.
fn settle_lockfile(dir: &Path) {
    let manifest = dir.join("Cargo.toml");
    let job = crate::cargo::cargo_job(&manifest)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--offline",
            "--manifest-path",
        ])
        .arg(&manifest)
        .timeout(std::time::Duration::from_secs(60));
    let _ = crate::supervisor::run_split(&job, (), (), &crate::supervisor::Cancel::new());
}
