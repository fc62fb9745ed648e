//! Plain `backlings`: watch mode.

use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;

use anyhow::bail;

use crate::cli::WatchArgs;

pub fn run(start: &Path, args: &WatchArgs) -> anyhow::Result<ExitCode> {
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        bail!("watch mode needs a terminal; use `backlings run` to run the current exercise once");
    }
    crate::watch::run(start, args)
}
