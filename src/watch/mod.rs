//! Watch mode: the learner's loop beside the editor.

use std::path::Path;
use std::process::ExitCode;

use crate::cli::WatchArgs;

pub fn run(start: &Path, _args: &WatchArgs) -> anyhow::Result<ExitCode> {
    crate::commands::run::run(start, None)
}
