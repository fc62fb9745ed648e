//! Talking to cargo: which bins a set's packages have (`cargo metadata`), and building
//! many bins in one invocation (`--keep-going`, JSON messages) to learn each bin's
//! executable or compile errors.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::thread;

use serde::Deserialize;

use crate::supervisor::{self, Cancel, Collect, Ending, Job, Sink};

/// One bin target of a package in the set's workspace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BinTarget {
    pub package: String,
    pub name: String,
    pub src_path: PathBuf,
    pub edition: String,
    /// Directory of the package's Cargo.toml (the working directory tests expect).
    pub package_dir: PathBuf,
}

/// What `cargo metadata` says about the set's workspace.
#[derive(Debug, Clone)]
pub struct Metadata {
    pub bins: Vec<BinTarget>,
    pub target_directory: PathBuf,
    pub workspace_root: PathBuf,
}

#[derive(Deserialize)]
struct RawMetadata {
    packages: Vec<RawPackage>,
    target_directory: PathBuf,
    workspace_root: PathBuf,
}

#[derive(Deserialize)]
struct RawPackage {
    name: String,
    manifest_path: PathBuf,
    edition: String,
    targets: Vec<RawTarget>,
}

#[derive(Deserialize)]
struct RawTarget {
    name: String,
    kind: Vec<String>,
    src_path: PathBuf,
}

/// Parses `cargo metadata --no-deps --format-version 1` output.
pub fn parse_metadata(json: &[u8]) -> Result<Metadata, serde_json::Error> {
    let raw: RawMetadata = serde_json::from_slice(json)?;
    let mut bins = Vec::new();
    for package in raw.packages {
        let package_dir = package
            .manifest_path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        for target in package.targets {
            if target.kind.iter().any(|k| k == "bin") {
                bins.push(BinTarget {
                    package: package.name.clone(),
                    name: target.name,
                    src_path: target.src_path,
                    edition: package.edition.clone(),
                    package_dir: package_dir.clone(),
                });
            }
        }
    }
    Ok(Metadata {
        bins,
        target_directory: raw.target_directory,
        workspace_root: raw.workspace_root,
    })
}

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

fn cargo_program() -> PathBuf {
    std::env::var_os("CARGO")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("cargo"))
}

/// Runs `cargo metadata` for the workspace containing `manifest`.
pub fn metadata(manifest: &Path) -> Result<Metadata, CargoError> {
    let job = Job::new(cargo_program())
        .args([
            "metadata",
            "--no-deps",
            "--format-version",
            "1",
            "--manifest-path",
        ])
        .arg(manifest);
    let done = supervisor::run_split(&job, Collect::default(), Collect::default(), &Cancel::new())?;
    if !done.ending.success() {
        return Err(CargoError::Metadata {
            dir: manifest.parent().map(Path::to_path_buf).unwrap_or_default(),
            stderr: String::from_utf8_lossy(&done.stderr.0).trim().to_string(),
        });
    }
    Ok(parse_metadata(&done.stdout.0)?)
}

/// How many compile steps a cold build of `package` takes (its dependency closure plus
/// their build scripts), for a "12/84 crates" progress display. `None` if cargo cannot say.
pub fn compile_steps(manifest: &Path, package: &str) -> Option<usize> {
    let host = Job::new(std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into())).arg("-vV");
    let host = supervisor::run_split(&host, Lines::default(), (), &Cancel::new()).ok()?;
    let triple = host
        .stdout
        .lines
        .iter()
        .find_map(|l| l.strip_prefix("host: "))?
        .to_string();
    let job = Job::new(cargo_program())
        .args([
            "metadata",
            "--format-version",
            "1",
            "--filter-platform",
            &triple,
        ])
        .arg("--manifest-path")
        .arg(manifest);
    let done =
        supervisor::run_split(&job, Collect::default(), Collect::default(), &Cancel::new()).ok()?;
    let graph: DependencyGraph = serde_json::from_slice(&done.stdout.0).ok()?;
    Some(graph.compile_steps(package))
}

#[derive(Deserialize)]
struct DependencyGraph {
    packages: Vec<GraphPackage>,
    resolve: Resolve,
}

#[derive(Deserialize)]
struct GraphPackage {
    id: String,
    name: String,
    targets: Vec<GraphTarget>,
}

#[derive(Deserialize)]
struct GraphTarget {
    kind: Vec<String>,
}

#[derive(Deserialize)]
struct Resolve {
    nodes: Vec<Node>,
}

#[derive(Deserialize)]
struct Node {
    id: String,
    deps: Vec<NodeDep>,
}

#[derive(Deserialize)]
struct NodeDep {
    pkg: String,
    dep_kinds: Vec<DepKind>,
}

#[derive(Deserialize)]
struct DepKind {
    kind: Option<String>,
}

impl DependencyGraph {
    fn compile_steps(&self, package: &str) -> usize {
        let nodes: BTreeMap<&str, &Node> = self
            .resolve
            .nodes
            .iter()
            .map(|n| (n.id.as_str(), n))
            .collect();
        let mut stack: Vec<&str> = self
            .packages
            .iter()
            .filter(|p| p.name == package)
            .map(|p| p.id.as_str())
            .collect();
        let mut seen = std::collections::BTreeSet::new();
        while let Some(id) = stack.pop() {
            if !seen.insert(id) {
                continue;
            }
            let deps = nodes.get(id).map(|n| n.deps.as_slice()).unwrap_or_default();
            // Dev-dependencies are not built for a bin's tests.
            stack.extend(
                deps.iter()
                    .filter(|d| d.dep_kinds.iter().any(|k| k.kind.as_deref() != Some("dev")))
                    .map(|d| d.pkg.as_str()),
            );
        }
        let build_scripts = self
            .packages
            .iter()
            .filter(|p| seen.contains(p.id.as_str()))
            .filter(|p| {
                p.targets
                    .iter()
                    .any(|t| t.kind.iter().any(|k| k == "custom-build"))
            })
            .count();
        seen.len() + build_scripts
    }
}

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
}

impl UnitResult {
    /// Whether cargo got to this unit: it was built, or it failed with a diagnostic.
    pub fn reached(&self) -> bool {
        self.executable.is_some() || self.has_errors
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
    let mut job = Job::new(cargo_program());
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
                } if target == &unit.bin => {
                    result.diagnostics.push_str(rendered);
                    result.has_errors |= level == "error";
                }
                _ => {}
            }
        }
        reached += usize::from(result.reached());
        output.units.insert((*unit).clone(), result);
    }
    reached
}

/// A cargo JSON message, reduced to what the runner uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    Artifact {
        package_id: String,
        target: String,
        test: bool,
        executable: Option<PathBuf>,
    },
    Diagnostic {
        target: String,
        level: String,
        rendered: String,
    },
}

#[derive(Deserialize)]
#[serde(tag = "reason", rename_all = "kebab-case")]
enum RawMessage {
    CompilerArtifact {
        package_id: String,
        target: RawMessageTarget,
        profile: RawProfile,
        executable: Option<PathBuf>,
    },
    CompilerMessage {
        target: RawMessageTarget,
        message: RawDiagnostic,
    },
    #[serde(other)]
    Other,
}

#[derive(Deserialize)]
struct RawMessageTarget {
    name: String,
}

#[derive(Deserialize)]
struct RawProfile {
    test: bool,
}

#[derive(Deserialize)]
struct RawDiagnostic {
    level: String,
    rendered: Option<String>,
}

/// Parses cargo's `--message-format=json` lines; lines that are not JSON are skipped.
pub fn parse_messages(lines: &[String]) -> Vec<Message> {
    lines
        .iter()
        .filter_map(|line| serde_json::from_str::<RawMessage>(line).ok())
        .filter_map(|raw| match raw {
            RawMessage::CompilerArtifact {
                package_id,
                target,
                profile,
                executable,
            } => Some(Message::Artifact {
                package_id,
                target: target.name,
                test: profile.test,
                executable,
            }),
            RawMessage::CompilerMessage { target, message } => Some(Message::Diagnostic {
                target: target.name,
                level: message.level,
                rendered: message.rendered.unwrap_or_default(),
            }),
            RawMessage::Other => None,
        })
        .collect()
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

impl Lines {
    /// Flushes a last line without a newline.
    pub fn finish(mut self) -> Vec<String> {
        if !self.partial.is_empty() {
            let line = std::mem::take(&mut self.partial);
            self.lines.push(String::from_utf8_lossy(&line).into_owned());
        }
        std::mem::take(&mut self.lines)
    }
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

    #[test]
    fn parses_metadata_bins() {
        let json = br#"{"packages":[{"name":"exercises","manifest_path":"/s/Cargo.toml","edition":"2024","targets":[
            {"name":"intro1","kind":["bin"],"src_path":"/s/exercises/intro1.rs"},
            {"name":"lib","kind":["lib"],"src_path":"/s/src/lib.rs"}]}],
            "target_directory":"/s/target","workspace_root":"/s"}"#;
        let m = parse_metadata(json).unwrap();
        assert_eq!(m.bins.len(), 1);
        assert_eq!(m.bins[0].name, "intro1");
        assert_eq!(m.bins[0].package_dir, Path::new("/s"));
        assert_eq!(m.target_directory, Path::new("/s/target"));
    }

    #[test]
    fn counts_compile_steps_of_the_closure() {
        let json = r#"{"packages":[
            {"id":"ex","name":"exercises","targets":[{"kind":["bin"]}]},
            {"id":"a","name":"a","targets":[{"kind":["lib"]},{"kind":["custom-build"]}]},
            {"id":"b","name":"b","targets":[{"kind":["lib"]}]},
            {"id":"dev","name":"dev","targets":[{"kind":["lib"]}]},
            {"id":"other","name":"other","targets":[{"kind":["lib"]}]}],
          "resolve":{"nodes":[
            {"id":"ex","deps":[{"pkg":"a","dep_kinds":[{"kind":null}]},{"pkg":"dev","dep_kinds":[{"kind":"dev"}]}]},
            {"id":"a","deps":[{"pkg":"b","dep_kinds":[{"kind":"build"}]}]},
            {"id":"b","deps":[]},{"id":"dev","deps":[]},{"id":"other","deps":[]}]}}"#;
        let graph: DependencyGraph = serde_json::from_str(json).unwrap();
        // exercises, a, b, plus a's build script.
        assert_eq!(graph.compile_steps("exercises"), 4);
    }

    #[test]
    fn lines_sink_joins_chunks() {
        let mut lines = Lines::default();
        lines.feed(b"ab");
        lines.feed(b"c\nde\nf");
        assert_eq!(lines.finish(), ["abc", "de", "f"]);
    }
}
