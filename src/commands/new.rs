//! `backlings new DIR`: an empty exercise set for a teacher, with one example exercise
//! that already passes `backlings check` (it fails as shipped, its solution passes).

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, bail};

use crate::{fsutil, style};

const INFO_TOML: &str = r#"# The exercise set's manifest (rustlings community format, version 1).
format_version = 1

# Shown on the learner's first start, and when every exercise is done.
welcome_message = """
Welcome! Fix each exercise until its tests pass; backlings re-runs it on every save."""
final_message = """
You finished every exercise. Well done!"""

# One table per exercise, in course order.
[[exercises]]
# File exercises/<dir>/<name>.rs; its solution is solutions/<dir>/<name>.rs.
name = "hello1"
dir = "01_first_chapter"
# true: run the #[test]s (the default); false: run main, which must exit 0.
test = true
# Also require `cargo clippy -- -D warnings` to pass.
strict_clippy = false
# Shown by `backlings hint`; required.
hint = """
The status line of an HTTP response starts with the protocol version."""
# Wall-clock limit for the tests or program, in seconds (backlings extension; default 10).
# timeout_secs = 10
# Set when the exercise passes as shipped (an introduction, say).
# skip_check_unsolved = false
"#;

const CARGO_TOML: &str = r#"[package]
name = "exercises"
version = "0.0.0"
edition = "2024"
publish = false

# Add the crates your exercises use here.
[dependencies]

[profile.dev]
debug = 0

# A workspace of its own, even inside another Cargo project.
[workspace]

# Generated from info.toml by `backlings sync`.
[[bin]]
name = "hello1"
path = "exercises/01_first_chapter/hello1.rs"

[[bin]]
name = "hello1_sol"
path = "solutions/01_first_chapter/hello1.rs"
"#;

const EXERCISE: &str = r#"// An HTTP/1.1 response starts with a status line: version, code, reason.
// Fix `status_line` so the test passes.

fn status_line(code: u16, reason: &str) -> String {
    // TODO: the line must start with the protocol version.
    format!("{code} {reason}\r\n")
}

fn main() {
    print!("{}", status_line(200, "OK"));
}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts_with_the_version() {
        assert_eq!(status_line(404, "Not Found"), "HTTP/1.1 404 Not Found\r\n");
    }
}
"#;

const README: &str = "# My exercise set\n\nRun `backlings` here to work through the exercises, and `backlings check` to verify\nthe set: every exercise fails as shipped, every solution passes.\n\nAdd an exercise: write `exercises/<chapter>/<name>.rs` and `solutions/<chapter>/<name>.rs`,\nadd its `[[exercises]]` table to `info.toml`, then run `backlings sync`.\n";

pub fn run(dir: &Path) -> anyhow::Result<ExitCode> {
    if dir.exists() {
        bail!(
            "{} already exists; `backlings new` only creates a new directory",
            dir.display()
        );
    }
    let solution = EXERCISE
        .replace(
            "    // TODO: the line must start with the protocol version.\n",
            "",
        )
        .replace(
            "format!(\"{code} {reason}\\r\\n\")",
            "format!(\"HTTP/1.1 {code} {reason}\\r\\n\")",
        )
        .replace("// Fix `status_line` so the test passes.\n", "");
    let files: [(&str, &str); 7] = [
        ("info.toml", INFO_TOML),
        ("Cargo.toml", CARGO_TOML),
        ("README.md", README),
        (".gitignore", "/target/\n/.backlings/\n"),
        ("rust-analyzer.toml", "[cargo]\ntargetDir = true\n"),
        ("exercises/01_first_chapter/hello1.rs", EXERCISE),
        ("solutions/01_first_chapter/hello1.rs", &solution),
    ];
    for (rel, content) in files {
        let path = dir.join(rel);
        fsutil::write_atomic(&path, content.as_bytes())
            .with_context(|| format!("writing {}", path.display()))?;
    }
    println!(
        "Created an exercise set in {}.\nNext: cd into it, edit info.toml, and run `backlings check`.",
        style::emphasis().apply_to(dir.display())
    );
    Ok(ExitCode::SUCCESS)
}
