//! Remembers compile errors. cargo caches what built but never what failed, so an
//! exercise that does not compile as shipped would be recompiled by every `check`. A
//! failed unit's diagnostics are kept under the target dir, keyed by everything that can
//! change the outcome: the source file, the Cargo manifests and lockfile, the toolchain,
//! the flags, and the build mode.
//!
//! Exercises are single files; one that pulls in other files (`mod`, `include!`) could be
//! served a stale error until its own file changes.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use crate::cargo::{BuildMode, UnitResult};
use crate::fsutil;

/// A store of compile errors for one set and toolchain.
#[derive(Debug, Clone)]
pub struct CompileCache {
    dir: PathBuf,
    context: u64,
}

impl CompileCache {
    /// `inputs` are the files whose content affects every build (manifests, lockfile);
    /// the toolchain and flag environment variables are added here.
    pub fn new(target_dir: &Path, inputs: &[PathBuf], color: bool) -> Self {
        let mut hasher = DefaultHasher::new();
        env!("CARGO_PKG_VERSION").hash(&mut hasher);
        toolchain_version().hash(&mut hasher);
        color.hash(&mut hasher);
        for var in [
            "RUSTFLAGS",
            "CARGO_ENCODED_RUSTFLAGS",
            "RUSTC",
            "RUSTC_WRAPPER",
        ] {
            std::env::var_os(var).hash(&mut hasher);
        }
        for input in inputs {
            input.hash(&mut hasher);
            std::fs::read(input).ok().hash(&mut hasher);
        }
        Self {
            dir: target_dir.join("backlings").join("compile-errors"),
            context: hasher.finish(),
        }
    }

    fn entry(&self, source: &Path, bin: &str, mode: BuildMode) -> Option<PathBuf> {
        let content = std::fs::read(source).ok()?;
        let mut hasher = DefaultHasher::new();
        self.context.hash(&mut hasher);
        source.hash(&mut hasher);
        bin.hash(&mut hasher);
        mode.hash(&mut hasher);
        content.hash(&mut hasher);
        Some(self.dir.join(format!("{bin}-{:016x}.txt", hasher.finish())))
    }

    /// The remembered failure of this unit, if its inputs are unchanged.
    pub fn lookup(&self, source: &Path, bin: &str, mode: BuildMode) -> Option<UnitResult> {
        let diagnostics = std::fs::read_to_string(self.entry(source, bin, mode)?).ok()?;
        Some(UnitResult {
            executable: None,
            diagnostics,
            has_errors: true,
            ..UnitResult::default()
        })
    }

    /// Remembers a failure that came with diagnostics (a failure without any, such as an
    /// interrupted build, says nothing about the source).
    pub fn store(&self, source: &Path, bin: &str, mode: BuildMode, result: &UnitResult) {
        if result.executable.is_some() || result.diagnostics.trim().is_empty() {
            return;
        }
        if let Some(path) = self.entry(source, bin, mode) {
            // A cache that cannot be written only costs time.
            let _ = fsutil::write_atomic(&path, result.diagnostics.as_bytes());
        }
    }
}

/// `rustc -vV`, computed once per process.
fn toolchain_version() -> &'static str {
    static VERSION: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    VERSION.get_or_init(|| {
        let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
        std::process::Command::new(rustc)
            .arg("-vV")
            .stdin(std::process::Stdio::null())
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure() -> UnitResult {
        UnitResult {
            executable: None,
            diagnostics: "error[E0308]: mismatched types\n".into(),
            has_errors: true,
            ..UnitResult::default()
        }
    }

    #[test]
    fn remembers_until_the_source_or_the_manifest_changes() {
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("ex1.rs");
        let manifest = dir.path().join("Cargo.toml");
        std::fs::write(&source, "fn main() { let x: u32 = \"\"; }").unwrap();
        std::fs::write(&manifest, "[package]").unwrap();
        let target = dir.path().join("target");
        let cache = CompileCache::new(&target, std::slice::from_ref(&manifest), false);

        assert!(cache.lookup(&source, "ex1", BuildMode::Test).is_none());
        cache.store(&source, "ex1", BuildMode::Test, &failure());
        assert_eq!(
            cache.lookup(&source, "ex1", BuildMode::Test),
            Some(failure())
        );
        assert!(cache.lookup(&source, "ex1", BuildMode::Program).is_none());

        std::fs::write(&source, "fn main() {}").unwrap();
        assert!(cache.lookup(&source, "ex1", BuildMode::Test).is_none());

        std::fs::write(&source, "fn main() { let x: u32 = \"\"; }").unwrap();
        std::fs::write(&manifest, "[package]\n[dependencies]").unwrap();
        let changed = CompileCache::new(&target, std::slice::from_ref(&manifest), false);
        assert!(changed.lookup(&source, "ex1", BuildMode::Test).is_none());
    }

    #[test]
    fn successes_and_silent_failures_are_not_stored() {
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("ex1.rs");
        std::fs::write(&source, "fn main() {}").unwrap();
        let cache = CompileCache::new(dir.path(), &[], false);
        let built = UnitResult {
            executable: Some("/bin/true".into()),
            ..UnitResult::default()
        };
        cache.store(&source, "ex1", BuildMode::Test, &built);
        let silent = UnitResult {
            has_errors: true,
            ..UnitResult::default()
        };
        cache.store(&source, "ex1", BuildMode::Test, &silent);
        assert!(cache.lookup(&source, "ex1", BuildMode::Test).is_none());
    }
}
