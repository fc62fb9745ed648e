//! `cargo clippy -D warnings` for the exercises whose manifest entry asks for it.

use std::collections::BTreeMap;
use std::path::Path;

use super::build::BuildUnit;
use super::messages::{Message, parse_messages};
use super::{CargoError, Lines, cargo_job};
use crate::supervisor::{self, Cancel, Ending};

/// Runs clippy with `-D warnings` on `bins`; returns the diagnostics of each bin that fails.
pub fn clippy(
    manifest: &Path,
    bins: &[BuildUnit],
    color: bool,
    cancel: &Cancel,
) -> Result<BTreeMap<String, String>, CargoError> {
    let format = if color {
        "--message-format=json-diagnostic-rendered-ansi"
    } else {
        "--message-format=json"
    };
    let mut job = cargo_job(manifest)
        .args(["clippy", "--profile", "test", "--keep-going", format])
        .arg("--manifest-path")
        .arg(manifest);
    for unit in bins {
        job = job.args(["-p", &unit.package, "--bin", &unit.bin]);
    }
    job = job.args(["--", "-D", "warnings"]);
    let done = supervisor::run_split(&job, Lines::default(), Lines::default(), cancel)?;
    if done.ending == Ending::Cancelled {
        return Err(CargoError::Cancelled);
    }
    let mut failures: BTreeMap<String, String> = BTreeMap::new();
    for message in parse_messages(&done.stdout.lines) {
        if let Message::Diagnostic {
            target,
            level,
            rendered,
            ..
        } = message
            && (level == "error" || level == "warning")
        {
            failures.entry(target).or_default().push_str(&rendered);
        }
    }
    failures.retain(|_, text| !text.is_empty());
    Ok(failures)
}
