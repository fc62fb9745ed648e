//! `cargo metadata`: the bins of the set's workspace, and the size of a cold build.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::{CargoError, Lines, cargo_job};
use crate::supervisor::{self, Cancel, Collect, Job};

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

/// Runs `cargo metadata` for the workspace containing `manifest`.
pub fn metadata(manifest: &Path) -> Result<Metadata, CargoError> {
    let job = cargo_job(manifest)
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
    let job = cargo_job(manifest)
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
