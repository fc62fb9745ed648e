//! Talking to cargo: which bins a set's packages have ([`metadata`]), building many bins
//! in few invocations ([`build`]), linting ([`clippy`]), and reading its JSON messages
//! ([`messages`]).

mod build;
mod clippy;
mod messages;
mod metadata;

use std::path::{Path, PathBuf};

pub use build::{BuildEvent, BuildMode, BuildOutput, BuildUnit, Located, UnitResult, build};
pub use clippy::clippy;
pub use messages::{Message, parse_messages};
pub use metadata::{BinTarget, Metadata, compile_steps, metadata, parse_metadata};

use crate::supervisor::{Job, Sink};

/// Error from running cargo itself (not a compile error in an exercise).
#[derive(Debug, thiserror::Error)]
pub enum CargoError {
    #[error("could not start cargo: {0}; is the Rust toolchain installed and on PATH?")]
    Spawn(#[from] std::io::Error),
    #[error("cargo metadata failed in {dir}:\n{stderr}")]
    Metadata { dir: PathBuf, stderr: String },
    #[error("cargo's output could not be read: {0}")]
    Json(#[from] serde_json::Error),
    #[error("cargo could not build the exercises:\n{stderr}")]
    Build { stderr: String },
    #[error("cancelled")]
    Cancelled,
}

pub(crate) fn cargo_program() -> PathBuf {
    std::env::var_os("CARGO")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("cargo"))
}

/// A cargo invocation for the package at `manifest`, run from the manifest's directory so
/// that cargo reads that workspace's configuration, not that of wherever backlings was
/// started.
pub(crate) fn cargo_job(manifest: &Path) -> Job {
    let job = Job::new(cargo_program());
    match manifest.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => job.cwd(dir),
        _ => job,
    }
}

/// A sink splitting a stream into lines.
#[derive(Debug, Default)]
pub struct Lines {
    pub lines: Vec<String>,
    partial: Vec<u8>,
}

impl Sink for Lines {
    fn feed(&mut self, bytes: &[u8]) {
        for chunk in bytes.split_inclusive(|&b| b == b'\n') {
            self.partial.extend_from_slice(chunk);
            if chunk.ends_with(b"\n") {
                let line = std::mem::take(&mut self.partial);
                self.lines
                    .push(String::from_utf8_lossy(&line).trim_end().to_string());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_sink_joins_chunks() {
        let mut lines = Lines::default();
        lines.feed(b"ab");
        lines.feed(b"c\nde\nf");
        assert_eq!(
            lines.lines,
            ["abc", "de"],
            "an unfinished line waits for its newline"
        );
    }
}
