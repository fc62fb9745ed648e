//! Building many bins in as few cargo invocations as possible, with live progress.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::thread;

use super::messages::{Message, parse_messages};
use super::{CargoError, Lines, cargo_job};
use crate::supervisor::{self, Cancel, Ending, Job, Sink};

/// How a bin is built: as its test harness, or as the plain program.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum BuildMode {
    Test,
    Program,
}

/// One bin to build.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BuildUnit {
    pub package: String,
    pub bin: String,
    pub mode: BuildMode,
}

/// What the build produced for one unit.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnitResult {
    pub executable: Option<PathBuf>,
    /// Rendered compiler diagnostics (errors and warnings), with ANSI colours.
    pub diagnostics: String,
    pub has_errors: bool,
    /// Compiler warnings about the unit's own code.
    pub warnings: usize,
    /// Each diagnostic of `diagnostics` with the file it is about, in order.
    pub located: Vec<Located>,
}

/// One compiler diagnostic and the file it is about (`None`: about no file).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Located {
    pub file: Option<String>,
    pub rendered: String,
    /// A warning that counts (not rustc's closing tally).
    pub warning: bool,
}

impl UnitResult {
    /// Whether cargo got to this unit: it was built, or it failed with a diagnostic.
    pub fn reached(&self) -> bool {
        self.executable.is_some() || self.has_errors
    }

    /// The result as one module of a merged crate sees it: only the diagnostics about
    /// `file` (as rustc names it), what its own build would have shown.
    pub fn for_file(&self, file: &str) -> UnitResult {
        let mine: Vec<Located> = self
            .located
            .iter()
            .filter(|d| d.file.as_deref() == Some(file))
            .cloned()
            .collect();
        UnitResult {
            executable: self.executable.clone(),
            diagnostics: mine.iter().map(|d| d.rendered.as_str()).collect(),
            has_errors: self.has_errors,
            warnings: mine.iter().filter(|d| d.warning).count(),
            located: mine,
        }
    }
}

/// The outcome of building a batch of units.
#[derive(Debug, Default)]
pub struct BuildOutput {
    pub units: BTreeMap<BuildUnit, UnitResult>,
    /// cargo's own messages (e.g. a broken Cargo.toml), shown when a unit has nothing else.
    pub cargo_stderr: String,
}

/// Progress reports while cargo builds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BuildEvent {
    /// A crate finished compiling (dependencies included).
    Compiled(String),
    /// Another process (an editor's cargo check, say) holds the build directory lock.
    WaitingForLock,
}

/// Builds `units` with as few cargo invocations as possible. `package_bins` is the number
/// of bins in the packages involved: a test batch covering most of them is built with
/// `cargo build --tests --keep-going` (every test harness, never stopping at an error);
/// a smaller one with `cargo test --no-run`, which stops at the first failing bin, so it
/// is repeated for the bins that were not reached.
pub fn build(
    manifest: &Path,
    units: &[BuildUnit],
    package_bins: usize,
    color: bool,
    cancel: &Cancel,
    on_event: &mut dyn FnMut(BuildEvent),
) -> Result<BuildOutput, CargoError> {
    let mut output = BuildOutput::default();
    for mode in [BuildMode::Test, BuildMode::Program] {
        let mut pending: Vec<&BuildUnit> = units.iter().filter(|u| u.mode == mode).collect();
        while !pending.is_empty() {
            let strategy = match mode {
                BuildMode::Program => Strategy::KeepGoing,
                BuildMode::Test if pending.len() * 4 >= package_bins * 3 => Strategy::AllTests,
                BuildMode::Test => Strategy::StopAtError,
            };
            let job = build_job(manifest, strategy, &pending, color);
            let (succeeded, messages, stderr) = run_cargo(job, cancel, on_event)?;
            let reached = collect_units(&pending, mode, &messages, &mut output);
            output.cargo_stderr.push_str(&stderr);
            if reached == 0 && !succeeded {
                return Err(CargoError::Build { stderr });
            }
            let retry = strategy == Strategy::StopAtError && !succeeded;
            pending.retain(|unit| retry && !output.units[*unit].reached());
            for unit in &pending {
                output.units.remove(*unit);
            }
        }
    }
    for result in output.units.values_mut() {
        result.has_errors |= result.executable.is_none();
    }
    Ok(output)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Strategy {
    KeepGoing,
    AllTests,
    StopAtError,
}

/// Runs cargo, reporting progress live; returns success, the JSON messages and stderr.
fn run_cargo(
    job: Job,
    cancel: &Cancel,
    on_event: &mut dyn FnMut(BuildEvent),
) -> Result<(bool, Vec<Message>, String), CargoError> {
    let (tx, rx) = mpsc::channel();
    let thread_cancel = cancel.clone();
    let cargo = thread::spawn(move || {
        let stdout = Forward::new(tx.clone(), false);
        let stderr = Forward::new(tx, true);
        supervisor::run_split(&job, stdout, stderr, &thread_cancel).map(|done| done.ending)
    });
    let mut stdout_lines = Vec::new();
    let mut stderr = String::new();
    for (is_stderr, line) in rx {
        if is_stderr {
            // The package cache lock is held briefly by any cargo; only the build
            // directory lock means another build (an editor's) is in the way.
            if line.contains("waiting for file lock on build directory")
                || line.contains("waiting for file lock on artifact directory")
            {
                on_event(BuildEvent::WaitingForLock);
            }
            stderr.push_str(&line);
            stderr.push('\n');
        } else {
            // cargo reports fresh (cached) units too; only real compiles are progress.
            if line.contains(r#""reason":"compiler-artifact""#) && line.contains(r#""fresh":false"#)
            {
                on_event(BuildEvent::Compiled(String::new()));
            }
            stdout_lines.push(line);
        }
    }
    let ending = cargo.join().map_err(|_| CargoError::Build {
        stderr: "cargo's supervisor thread panicked".into(),
    })??;
    if ending == Ending::Cancelled {
        return Err(CargoError::Cancelled);
    }
    Ok((ending.success(), parse_messages(&stdout_lines), stderr))
}

/// A sink forwarding complete lines to the thread that started cargo.
struct Forward {
    tx: mpsc::Sender<(bool, String)>,
    is_stderr: bool,
    lines: Lines,
}

impl Forward {
    fn new(tx: mpsc::Sender<(bool, String)>, is_stderr: bool) -> Self {
        Self {
            tx,
            is_stderr,
            lines: Lines::default(),
        }
    }
}

impl Sink for Forward {
    fn feed(&mut self, bytes: &[u8]) {
        self.lines.feed(bytes);
        for line in self.lines.lines.drain(..) {
            let _ = self.tx.send((self.is_stderr, line));
        }
    }
}

fn build_job(manifest: &Path, strategy: Strategy, batch: &[&BuildUnit], color: bool) -> Job {
    let message_format = if color {
        "--message-format=json-diagnostic-rendered-ansi"
    } else {
        "--message-format=json"
    };
    let mut job = cargo_job(manifest);
    job = match strategy {
        Strategy::KeepGoing => job.args(["build", "--keep-going"]),
        Strategy::AllTests => job.args(["build", "--tests", "--keep-going"]),
        Strategy::StopAtError => job.args(["test", "--no-run"]),
    };
    job = job
        .args([message_format, "--manifest-path"])
        .arg(manifest)
        .env("CARGO_TERM_COLOR", if color { "always" } else { "never" })
        .env("CARGO_TERM_PROGRESS_WHEN", "never");
    let mut packages: Vec<&str> = batch.iter().map(|u| u.package.as_str()).collect();
    packages.sort_unstable();
    packages.dedup();
    for package in packages {
        job = job.args(["-p", package]);
    }
    if strategy != Strategy::AllTests {
        for unit in batch {
            job = job.args(["--bin", &unit.bin]);
        }
    }
    job
}

/// Records what `messages` say about each unit; returns how many were reached (built,
/// or failed with a diagnostic).
fn collect_units(
    batch: &[&BuildUnit],
    mode: BuildMode,
    messages: &[Message],
    output: &mut BuildOutput,
) -> usize {
    let mut reached = 0;
    for unit in batch {
        let mut result = UnitResult::default();
        for message in messages {
            match message {
                Message::Artifact {
                    target,
                    test,
                    executable,
                    ..
                } if target == &unit.bin && *test == (mode == BuildMode::Test) => {
                    result.executable.clone_from(executable);
                }
                Message::Diagnostic {
                    target,
                    rendered,
                    level,
                    file,
                } if target == &unit.bin => {
                    let warning = level == "warning" && !is_tally(rendered);
                    result.diagnostics.push_str(rendered);
                    result.has_errors |= level == "error";
                    result.warnings += usize::from(warning);
                    result.located.push(Located {
                        file: file.clone(),
                        rendered: rendered.clone(),
                        warning,
                    });
                }
                _ => {}
            }
        }
        reached += usize::from(result.reached());
        output.units.insert((*unit).clone(), result);
    }
    reached
}

/// rustc's closing "N warnings emitted" line, which is not a warning of its own.
fn is_tally(rendered: &str) -> bool {
    let text = rendered.trim();
    text.starts_with("warning: ")
        && (text.ends_with(" warning emitted") || text.ends_with(" warnings emitted"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_artifacts_and_diagnostics() {
        let lines: Vec<String> = [
            r#"{"reason":"compiler-artifact","package_id":"path+file:///x#exercises@0.0.0","target":{"name":"a","kind":["bin"]},"profile":{"test":true},"executable":"/t/a-123"}"#,
            r#"{"reason":"compiler-message","package_id":"p","target":{"name":"b","kind":["bin"]},"message":{"level":"error","rendered":"error[E0308]: mismatched types\n"}}"#,
            r#"{"reason":"build-finished","success":false}"#,
            "not json",
        ]
        .map(String::from)
        .to_vec();
        let messages = parse_messages(&lines);
        assert_eq!(messages.len(), 2);
        let units = [
            BuildUnit {
                package: "exercises".into(),
                bin: "a".into(),
                mode: BuildMode::Test,
            },
            BuildUnit {
                package: "exercises".into(),
                bin: "b".into(),
                mode: BuildMode::Test,
            },
        ];
        let mut output = BuildOutput::default();
        collect_units(
            &units.iter().collect::<Vec<_>>(),
            BuildMode::Test,
            &messages,
            &mut output,
        );
        let a = &output.units[&units[0]];
        assert_eq!(a.executable.as_deref(), Some(Path::new("/t/a-123")));
        assert!(!a.has_errors);
        let b = &output.units[&units[1]];
        assert!(b.has_errors && b.executable.is_none() && b.reached());
        assert!(b.diagnostics.contains("E0308"));
    }
}
