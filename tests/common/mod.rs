//! Exercise sets built in temp dirs, and the real `backlings` binary to run on them.
#![allow(dead_code)]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use tempfile::TempDir;

/// One exercise of a fixture set.
#[derive(Clone)]
pub struct Ex {
    pub name: String,
    pub dir: Option<String>,
    pub code: String,
    pub solution: Option<String>,
    /// Extra lines for the exercise's info.toml table.
    pub info: String,
}

impl Ex {
    pub fn new(name: &str, code: &str) -> Self {
        Self {
            name: name.into(),
            dir: Some("01_basics".into()),
            code: code.into(),
            solution: None,
            info: String::new(),
        }
    }

    pub fn solution(mut self, code: &str) -> Self {
        self.solution = Some(code.into());
        self
    }

    pub fn info(mut self, line: &str) -> Self {
        self.info.push_str(line);
        self.info.push('\n');
        self
    }

    pub fn rel_path(&self, top: &str) -> String {
        match &self.dir {
            Some(dir) => format!("{top}/{dir}/{}.rs", self.name),
            None => format!("{top}/{}.rs", self.name),
        }
    }
}

/// A set on disk.
pub struct Fixture {
    pub dir: TempDir,
}

impl Fixture {
    /// A rustlings-style set: the root Cargo.toml is the exercises package.
    pub fn new(exercises: &[Ex]) -> Self {
        let fixture = Self::empty();
        fixture.write("info.toml", &info_toml(exercises));
        fixture.write("Cargo.toml", &cargo_toml(exercises, ""));
        for ex in exercises {
            fixture.write(&ex.rel_path("exercises"), &ex.code);
            if let Some(solution) = &ex.solution {
                fixture.write(&ex.rel_path("solutions"), solution);
            }
        }
        fixture
    }

    pub fn empty() -> Self {
        Self {
            dir: tempfile::Builder::new()
                .prefix("backlings-test")
                .tempdir()
                .expect("temp dir"),
        }
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn write(&self, rel: &str, content: &str) {
        let path = self.path(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).unwrap()
    }

    /// `backlings -C <root>` with colours off and a shared target dir for speed.
    pub fn cmd(&self) -> Command {
        let mut cmd = backlings();
        cmd.arg("-C").arg(self.root());
        cmd
    }
}

/// The binary under test, with a clean environment for predictable output.
pub fn backlings() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_backlings"));
    cmd.env("NO_COLOR", "1")
        // Grading builds in backlings' cache: one for the whole suite, not the user's.
        .env("BACKLINGS_CACHE_DIR", cache_dir())
        .env_remove("RUST_BACKTRACE")
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("CARGO_BUILD_TARGET_DIR");
    cmd
}

/// backlings' cache for the test suite (grading workspaces and their target directory).
pub fn cache_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("backlings-cache")
}

pub fn info_toml(exercises: &[Ex]) -> String {
    let mut out = String::from("format_version = 1\n");
    for ex in exercises {
        let _ = write!(out, "\n[[exercises]]\nname = \"{}\"\n", ex.name);
        if let Some(dir) = &ex.dir {
            let _ = writeln!(out, "dir = \"{dir}\"");
        }
        out.push_str(&ex.info);
        if !ex.info.contains("hint") {
            out.push_str("hint = \"look closer\"\n");
        }
    }
    out
}

pub fn cargo_toml(exercises: &[Ex], prefix: &str) -> String {
    let mut out = String::from(
        "[package]\nname = \"exercises\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n[profile.dev]\ndebug = 0\n",
    );
    if prefix.is_empty() {
        out.push_str("\n[workspace]\n");
    }
    for ex in exercises {
        let _ = write!(
            out,
            "\n[[bin]]\nname = \"{}\"\npath = \"{prefix}{}\"\n",
            ex.name,
            ex.rel_path("exercises")
        );
        if ex.solution.is_some() {
            let _ = write!(
                out,
                "\n[[bin]]\nname = \"{}_sol\"\npath = \"{prefix}{}\"\n",
                ex.name,
                ex.rel_path("solutions")
            );
        }
    }
    out
}

/// A test module asserting `expr`.
pub fn tests_asserting(expr: &str) -> String {
    format!(
        "fn main() {{}}\n\n#[cfg(test)]\nmod tests {{\n    #[test]\n    fn it_works() {{\n        assert!({expr});\n    }}\n}}\n"
    )
}

pub const PASSING: &str = "fn answer() -> u32 {\n    42\n}\n\nfn main() {\n    println!(\"{}\", answer());\n}\n\n#[cfg(test)]\nmod tests {\n    use super::*;\n\n    #[test]\n    fn answers() {\n        assert_eq!(answer(), 42);\n    }\n}\n";

pub fn failing() -> String {
    PASSING.replace("    42\n}\n\nfn main", "    41\n}\n\nfn main")
}

/// Processes whose command line mentions `needle` (our fixture's path).
pub fn processes_mentioning(needle: &str) -> Vec<u32> {
    let me = std::process::id();
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|&pid| pid != me && !process_gone(pid))
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .map(|c| String::from_utf8_lossy(&c).contains(needle))
                .unwrap_or(false)
        })
        .collect()
}

/// Whether a process is gone (or a zombie nobody reaped, which runs no code).
pub fn process_gone(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit(')')
            .next()
            .is_some_and(|rest| rest.trim_start().starts_with('Z')),
    }
}

pub fn stdout(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// An exercise with the marker line: `answer` must return 42.
pub const MARKED: &str = "fn answer() -> u32 {
    // TODO
    41
}

fn main() {
    println!(\"{}\", answer());
}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers() {
        assert_eq!(answer(), 42, \"the answer is 42\");
    }
}
";

/// [`MARKED`], solved.
pub fn marked_solved() -> String {
    MARKED.replace("    // TODO\n    41\n", "    42\n")
}

/// Copies a fixture's files (not its target directory) to `to`.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            if entry.file_name() != "target" {
                copy_dir(&entry.path(), &target);
            }
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}
