//! The wrong fixes of an exercise built as one test binary give every outcome their
//! separate builds give: verdicts, failing tests, output, timeouts, the tests that never
//! reported, compile errors; and a merged crate that does not compile falls back.

mod common;

use common::*;

const EXERCISE: &str = "fn answer() -> u32 {
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

    #[test]
    fn answers_twice() {
        assert_eq!(answer() * 2, 84, \"twice the answer is 84\");
    }
}
";

fn solved() -> String {
    EXERCISE.replace("    // TODO\n    41\n", "    42\n")
}

/// A wrong fix whose `answer` has `body`, with `items` before it.
fn wrong(what: &str, items: &str, body: &str) -> String {
    format!(
        "// wrong fix: {what}\n{items}fn answer() -> u32 {{\n{body}\n}}\n\nfn main() {{\n    println!(\"{{}}\", answer());\n}}\n"
    )
}

fn fixture() -> Fixture {
    let set = Fixture::new(&[
        Ex::new("a1", EXERCISE)
            .solution(&solved())
            .info("timeout_secs = 3"),
        Ex::new("b1", EXERCISE).solution(&solved()),
        Ex::new("c1", EXERCISE).solution(&solved()),
    ]);
    // a1: every kind of outcome, merged.
    let a1 = [
        ("off_by_one", wrong("returns 43", "", "    43")),
        ("lucky", wrong("hard-codes it", "", "    42")),
        (
            "warns",
            wrong(
                "returns 0",
                "fn unused_helper() {}\n\n",
                "    let spare = 1;\n    0",
            ),
        ),
        ("exits", wrong("exits", "", "    std::process::exit(0)")),
        ("hangs", wrong("never answers", "", "    loop {}")),
        (
            "sets_env",
            wrong(
                "leaves a variable behind",
                "",
                "    unsafe { std::env::set_var(\"ANSWER_SEEN\", \"1\") };\n    40",
            ),
        ),
        (
            "reads_env",
            wrong(
                "answers once another has run",
                "",
                "    if std::env::var(\"ANSWER_SEEN\").is_ok() { 42 } else { 39 }",
            ),
        ),
        (
            "allocator",
            wrong(
                "brings its own allocator (never merged)",
                "#[global_allocator]\nstatic A: std::alloc::System = std::alloc::System;\n\n",
                "    44",
            ),
        ),
    ];
    // b1: two wrong fixes that compile alone but not together (an impl of one makes the
    // other's inference ambiguous).
    let b1 = [
        (
            "meters",
            wrong(
                "compares with meters",
                "pub struct Meters(pub u32);\n\nimpl PartialEq<Meters> for u32 {\n    fn eq(&self, other: &Meters) -> bool {\n        *self == other.0\n    }\n}\n\n",
                "    41",
            ),
        ),
        (
            "parses",
            wrong(
                "parses its answer",
                "",
                "    let n = \"43\".parse().unwrap();\n    if 43u32 == n { 43 } else { 0 }",
            ),
        ),
    ];
    // c1: one wrong fix that does not compile at all, beside one that does.
    let c1 = [
        ("broken", wrong("does not build", "", "    \"no\"")),
        ("fine", wrong("returns 45", "", "    45")),
    ];
    for (exercise, variants) in [("a1", &a1[..]), ("b1", &b1[..]), ("c1", &c1[..])] {
        for (variant, text) in variants {
            set.write(&format!("wrong/{exercise}/{variant}.rs"), text);
        }
    }
    set
}

/// The wrong-fix entries of a JSON report, without what varies from run to run, and the
/// progress lines about wrong fixes.
fn wrong_fix_entries(set: &Fixture, extra: &[&str]) -> (Vec<serde_json::Value>, Vec<String>) {
    // One test thread: the tests of a binary report in their order, run after run.
    let output = set
        .cmd()
        .args(["check", "--format", "json"])
        .args(extra)
        .env("RUST_TEST_THREADS", "1")
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", stdout(&output), stderr(&output)));
    let entries = json["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "wrong_fix")
        .map(|e| {
            let mut e = e.clone();
            e["duration"] = serde_json::Value::Null;
            e["output"] = stable(e["output"].as_str().unwrap()).into();
            e
        })
        .collect();
    let mut progress: Vec<String> = stderr(&output)
        .lines()
        .filter(|l| l.contains(" wrong fix "))
        .map(str::to_string)
        .collect();
    progress.sort();
    (entries, progress)
}

/// Output without run times and thread ids.
fn stable(output: &str) -> String {
    output
        .lines()
        .map(|line| {
            let line = match line.find("; finished in ") {
                Some(at) => &line[..at],
                None => line,
            };
            match (line.find("' ("), line.find(") panicked")) {
                (Some(open), Some(close)) if open < close => {
                    format!("{}'{}", &line[..open], &line[close + 1..])
                }
                _ => line.to_string(),
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn entry<'a>(entries: &'a [serde_json::Value], name: &str) -> &'a serde_json::Value {
    entries
        .iter()
        .find(|e| e["name"] == name)
        .unwrap_or_else(|| panic!("no entry {name} in {entries:#?}"))
}

#[test]
fn merged_wrong_fixes_give_the_outcomes_of_separate_ones() {
    let set = fixture();
    let (merged, merged_progress) = wrong_fix_entries(&set, &[]);
    let work = set.path("target/backlings/wrong-fixes");

    // What was merged: a1's wrong fixes but its allocator (and a1's exercise and solution),
    // and b1's and c1's, which fell back to builds of their own.
    let host = std::fs::read_to_string(work.join("a1__merged.rs")).unwrap();
    assert_eq!(
        host.matches("pub mod backlings_wrong_fix_").count(),
        9,
        "{host}"
    );
    assert!(!host.contains("a1__allocator"), "{host}");
    let manifest = std::fs::read_to_string(work.join("Cargo.toml")).unwrap();
    assert_eq!(manifest.matches("[[bin]]").count(), 4, "{manifest}");
    let fallback =
        std::fs::read_to_string(set.path("target/backlings/wrong-fixes-separate/Cargo.toml"))
            .unwrap();
    let fallback_bins: Vec<&str> = fallback
        .lines()
        .filter_map(|l| l.strip_prefix("name = \""))
        .filter(|n| n.contains("__"))
        .collect();
    assert_eq!(
        fallback_bins,
        ["b1__meters\"", "b1__parses\"", "c1__broken\"", "c1__fine\""]
    );

    let (separate, separate_progress) = wrong_fix_entries(&set, &["--no-merge"]);
    assert_eq!(merged.len(), 12);
    for (merged, separate) in merged.iter().zip(&separate) {
        assert_eq!(merged, separate);
        // Live progress too: one line per wrong fix, none for a merged build that fell back.
        assert_eq!(merged_progress.len(), 12, "{merged_progress:#?}");
        assert_eq!(merged_progress, separate_progress);
    }
    assert_eq!(merged, separate);
    // Live progress too: one line per wrong fix, none for a merged build that fell back.
    assert_eq!(merged_progress.len(), 12, "{merged_progress:#?}");
    assert_eq!(merged_progress, separate_progress);

    // And those outcomes are the right ones.
    let message = |name: &str| {
        entry(&merged, name)["message"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(
        message("a1/off_by_one"),
        "rejected by `tests::answers`, `tests::answers_twice`"
    );
    assert!(message("a1/lucky").starts_with("PASSES"));
    assert!(
        message("a1/exits").contains("never finished"),
        "{}",
        message("a1/exits")
    );
    assert!(
        message("a1/hangs")
            .contains("timed out after 3s (still running: tests::answers, tests::answers_twice)"),
        "{}",
        message("a1/hangs")
    );
    assert!(
        message("a1/reads_env").starts_with("rejected by"),
        "each in its own process"
    );
    let warns = entry(&merged, "a1/warns")["output"].as_str().unwrap();
    assert!(warns.contains("unused variable: `spare`"), "{warns}");
    assert!(
        warns.contains("function `unused_helper` is never used"),
        "{warns}"
    );
    assert!(!warns.contains("`main`"), "{warns}");
    assert!(warns.contains("test tests::answers ... FAILED"), "{warns}");
    assert!(!warns.contains("backlings_wrong_fix"), "{warns}");
    assert_eq!(entry(&merged, "c1/broken")["status"], "compile_error");
    assert!(message("c1/fine").starts_with("rejected by"));
    assert!(message("b1/parses").starts_with("rejected by"));
}
