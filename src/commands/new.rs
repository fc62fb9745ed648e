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
        assert_eq!(
            status_line(404, "Not Found"),
            "HTTP/1.1 404 Not Found\r\n",
            "a status line is `HTTP/1.1 <code> <reason>` and CRLF"
        );
        assert_eq!(
            status_line(200, "OK"),
            "HTTP/1.1 200 OK\r\n",
            "every status line starts with the version, not only the one tested first"
        );
    }
}
"#;

/// A known wrong fix of the example, which `backlings check` proves the tests reject.
const WRONG_FIX: &str = r#"// wrong fix: special-cases the input the first assertion uses instead of fixing the format
// An HTTP/1.1 response starts with a status line: version, code, reason.
// Fix `status_line` so the test passes.

fn status_line(code: u16, reason: &str) -> String {
    if code == 404 {
        return "HTTP/1.1 404 Not Found\r\n".to_string();
    }
    format!("{code} {reason}\r\n")
}

fn main() {
    print!("{}", status_line(200, "OK"));
}
"#;

const README: &str = "# My exercise set

Run `backlings` here to work through the exercises, and `backlings check` to verify the
set: every exercise fails as shipped, every solution passes with the very tests of its
exercise and without warnings, and every known wrong fix is rejected by the tests.

## Adding an exercise
1. Write `exercises/<chapter>/<name>.rs`: the learner's part first, then the line
   `// Tests: do not edit below this line.`, then the tests and everything they rely on
   (helpers, fixtures). `backlings grade` takes only the text above that line from a
   learner; the tests always come from your set.
2. Write its solution at `solutions/<chapter>/<name>.rs`, with the same text below the line.
3. Add its `[[exercises]]` table to `info.toml`, then run `backlings sync` (it writes the
   Cargo bins).
4. Write the fixes a hurried learner would try (the laziest change that turns the tests
   green, the anti-pattern the lesson warns about, one that special-cases the test's
   inputs) as `wrong/<name>/<variant>.rs`: the learner's part only, its first line a
   comment naming the mistake. `backlings check` splices each onto the tests and reports
   any that passes. Add the wrong fixes you meet in your students' work.
5. `backlings check`.
";

pub fn run(dir: &Path) -> anyhow::Result<ExitCode> {
    let empty = std::fs::read_dir(dir).is_ok_and(|mut entries| entries.next().is_none());
    if dir.exists() && !empty {
        bail!(
            "{} already exists and is not empty; `backlings new` writes only into a new or empty directory",
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
    let files: [(&str, &str); 8] = [
        ("info.toml", INFO_TOML),
        ("Cargo.toml", CARGO_TOML),
        ("README.md", README),
        (".gitignore", "/target/\n/.backlings/\n"),
        ("rust-analyzer.toml", "[cargo]\ntargetDir = true\n"),
        ("exercises/01_first_chapter/hello1.rs", EXERCISE),
        ("solutions/01_first_chapter/hello1.rs", &solution),
        ("wrong/hello1/special_cases_the_test.rs", WRONG_FIX),
    ];
    for (rel, content) in files {
        let path = dir.join(rel);
        fsutil::write_atomic(&path, content.as_bytes())
            .with_context(|| format!("writing {}", path.display()))?;
    }
    println!(
        "Created an exercise set in {}.\nNext: cd into it and read README.md; after each change to info.toml run `backlings sync`, then `backlings check` (exercises fail, solutions pass, wrong fixes are rejected).",
        style::emphasis().apply_to(dir.display())
    );
    Ok(ExitCode::SUCCESS)
}
