//! `backlings sync`: make the exercises package's bins match info.toml.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;

use crate::exercise;
use crate::exit::FAILED as EXIT_FAILED;
use crate::{fsutil, style, sync};

pub fn run(start: &Path, check_only: bool) -> anyhow::Result<ExitCode> {
    let root = exercise::find_root(start)?;
    let parsed = exercise::read_manifest(&root)?;
    let cargo_toml = sync::exercises_manifest(&root)?;
    let text = std::fs::read_to_string(&cargo_toml)
        .with_context(|| format!("reading {}", cargo_toml.display()))?;
    let prefix = if cargo_toml.parent() == Some(root.as_path()) {
        ""
    } else {
        "../"
    };
    let wanted = sync::expected_bins(&parsed.manifest.exercises, prefix, |entry| {
        root.join(entry.solution_path()).is_file()
    });
    let declared =
        sync::declared_bins(&text).with_context(|| format!("parsing {}", cargo_toml.display()))?;
    let shown = cargo_toml
        .strip_prefix(&root)
        .unwrap_or(&cargo_toml)
        .display();
    if declared == wanted {
        println!("{shown}: bins are up to date ({} bins).", wanted.len());
        return Ok(ExitCode::SUCCESS);
    }
    if check_only {
        println!(
            "{} {shown}: bins differ from info.toml; run `backlings sync`.",
            style::failure().apply_to("out of date:")
        );
        return Ok(ExitCode::from(EXIT_FAILED));
    }
    let updated = sync::with_bins(&text, &wanted)?;
    let backup = fsutil::keep_copy(
        &exercise::data_dir(&root).join("backups"),
        "Cargo.toml",
        text.as_bytes(),
    )
    .context("keeping a copy of Cargo.toml under .backlings/backups/")?;
    fsutil::write_atomic(&cargo_toml, updated.as_bytes())
        .with_context(|| format!("writing {}", cargo_toml.display()))?;
    println!(
        "{shown}: wrote {} bins (the previous file is kept at {}).",
        wanted.len(),
        backup.strip_prefix(&root).unwrap_or(&backup).display()
    );
    Ok(ExitCode::SUCCESS)
}
