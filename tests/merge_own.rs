//! `check` builds each exercise (as shipped) and its solution as modules of the merged
//! crate of its wrong fixes (or of their own, with none): every entry of the report is
//! what separate builds give (`--no-merge`): verdicts, failed tests, output, warnings,
//! timeouts, tests that never reported, no tests at all, compile errors (which fall back to the set's own
//! bins), programs (never merged).

mod common;

use common::*;

const TESTS: &str = "
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

/// An exercise file: `items`, then `answer` with `body`, `main`, and the tests.
fn file(items: &str, body: &str) -> String {
    format!(
        "{items}fn answer() -> u32 {{\n{body}\n}}\n\nfn main() {{\n    println!(\"{{}}\", answer());\n}}\n{TESTS}"
    )
}

fn fixture() -> Fixture {
    let solved = file("", "    42");
    let set = Fixture::new(&[
        // Fails as shipped, solved; with wrong fixes to merge with.
        Ex::new("p1", &file("", "    // TODO\n    41")).solution(&solved),
        // A solution that passes with warnings (unused, dead and public code).
        Ex::new("w1", &file("", "    todo!()")).solution(&file(
            "pub fn public_unused() {}\n\nfn unused_helper() {}\n\n",
            "    let spare = 1;\n    42",
        )),
        // Does not compile as shipped: falls back, with its wrong fix.
        Ex::new("e1", &file("", "    \"forty-two\"")).solution(&solved),
        // Hangs as shipped.
        Ex::new("t1", &file("", "    loop {}"))
            .solution(&solved)
            .info("timeout_secs = 2"),
        // Leaves before its tests report.
        Ex::new("x1", &file("", "    std::process::exit(0)")).solution(&solved),
        // A solution that fails.
        Ex::new("s1", &file("", "    0")).solution(&file("", "    43")),
        // No tests at all, in either file.
        Ex::new(
            "n1",
            "// No tests.\n\nfn main() {}\n\n#[cfg(test)]\nmod tests {}\n",
        )
        .solution("// No tests.\n\nfn main() {}\n\n#[cfg(test)]\nmod tests {}\n"),
        // A program: never merged.
        Ex::new(
            "r1",
            "fn main() {\n    // TODO\n    std::process::exit(1);\n}\n",
        )
        .solution("fn main() {\n    println!(\"done\");\n}\n")
        .info("test = false"),
    ]);
    set.write(
        "wrong/p1/off.rs",
        "// wrong fix: off\nfn answer() -> u32 {\n    43\n}\n",
    );
    set.write(
        "wrong/e1/zero.rs",
        "// wrong fix: zero\nfn answer() -> u32 {\n    0\n}\n",
    );
    set
}

/// Every exercise, solution and wrong fix entry of a JSON report, without what varies
/// from run to run, and the progress lines.
fn entries(set: &Fixture, extra: &[&str]) -> (Vec<serde_json::Value>, Vec<String>) {
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
        .filter(|e| e["kind"] != "set")
        .map(|e| {
            let mut e = e.clone();
            e["duration"] = serde_json::Value::Null;
            e["output"] = stable(e["output"].as_str().unwrap_or_default()).into();
            e
        })
        .collect();
    let mut progress: Vec<String> = stderr(&output)
        .lines()
        .filter(|l| !l.starts_with("built in") && !l.contains("waiting for the build lock"))
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

fn entry<'a>(entries: &'a [serde_json::Value], kind: &str, name: &str) -> &'a serde_json::Value {
    entries
        .iter()
        .find(|e| e["kind"] == kind && e["name"] == name)
        .unwrap_or_else(|| panic!("no {kind} entry {name} in {entries:#?}"))
}

#[test]
fn merged_exercises_and_solutions_give_the_outcomes_of_their_own_bins() {
    let set = fixture();
    let (merged, merged_progress) = entries(&set, &[]);
    let work = set.path("target/backlings/wrong-fixes");
    // Every test exercise is merged with its solution (and wrong fixes); the program is not.
    for name in ["p1", "w1", "e1", "t1", "x1", "s1", "n1"] {
        let host = std::fs::read_to_string(work.join(format!("{name}__merged.rs")))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(
            host.contains(&format!("#[path = \"solutions/01_basics/{name}.rs\"]")),
            "{host}"
        );
    }
    assert!(!work.join("r1__merged.rs").exists());
    let manifest = std::fs::read_to_string(work.join("Cargo.toml")).unwrap();
    assert_eq!(manifest.matches("[[bin]]").count(), 7, "{manifest}");
    // The set built only the program and the exercise that did not compile merged (its
    // solution; itself failed): the others ran as modules.
    let built: Vec<String> = std::fs::read_dir(set.path("target/debug/deps"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !n.contains('.') && !n.contains("__merged"))
        .filter_map(|n| Some(n.split_once('-')?.0.to_string()))
        .collect();
    for name in ["e1_sol", "r1", "r1_sol"] {
        assert!(built.iter().any(|n| n == name), "{name}: {built:?}");
    }
    for name in ["w1", "w1_sol", "p1", "p1_sol"] {
        assert!(!built.iter().any(|n| n == name), "{name}: {built:?}");
    }

    let (separate, separate_progress) = entries(&set, &["--no-merge"]);
    assert!(!work.join("w1__merged.rs").exists(), "nothing merged");
    assert_eq!(merged.len(), 18, "{merged:#?}");
    for (merged, separate) in merged.iter().zip(&separate) {
        assert_eq!(merged, separate);
    }
    assert_eq!(merged, separate);
    assert_eq!(merged_progress, separate_progress);

    // And those outcomes are the right ones.
    let status = |kind: &str, name: &str| entry(&merged, kind, name)["status"].clone();
    for name in ["p1", "w1", "e1", "t1", "x1", "s1", "r1"] {
        assert_eq!(entry(&merged, "exercise", name)["ok"], true, "{name}");
    }
    let warned = entry(&merged, "solution", "w1");
    assert_eq!(warned["status"], "warnings");
    let message = warned["message"].as_str().unwrap();
    assert!(message.contains("2 compiler warning(s)"), "{message}");
    let output = warned["output"].as_str().unwrap();
    assert!(output.contains("solutions/01_basics/w1.rs"), "{output}");
    assert!(!output.contains("backlings_wrong_fix"), "{output}");
    assert!(!output.contains("`main`"), "{output}");
    assert_eq!(status("exercise", "e1"), "compile_error");
    assert_eq!(status("exercise", "t1"), "timed_out");
    assert_eq!(status("solution", "n1"), "no_tests");
    assert_eq!(entry(&merged, "solution", "s1")["ok"], false);
    let failed = entry(&merged, "exercise", "p1")["output"].as_str().unwrap();
    assert!(
        failed.contains("test tests::answers ... FAILED"),
        "{failed}"
    );
    assert!(failed.contains("exercises/01_basics/p1.rs"), "{failed}");
    for name in ["p1", "e1", "t1", "x1", "r1"] {
        assert_eq!(entry(&merged, "solution", name)["ok"], true, "{name}");
    }
    assert_eq!(entry(&merged, "wrong_fix", "e1/zero")["ok"], true);
}
