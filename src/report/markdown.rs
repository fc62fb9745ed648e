//! The report for people reading a CI page: a summary line, then a table per chapter
//! (exercise, verdict, points, time), each chapter's failures with the first lines of their
//! reason. GitHub renders it as a job summary; GitLab and Markdown viewers as a page.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::{Entry, Kind, Report};

/// Lines of a failure's output shown under its chapter.
const REASON_LINES: usize = 8;

/// The report as Markdown.
pub fn to_markdown(report: &Report) -> String {
    let totals = report.totals();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "## {} backlings {}: {} of {} ok{}\n",
        if report.is_ok() { "✅" } else { "❌" },
        report.command,
        totals.ok,
        totals.total,
        if totals.max_score > 0 {
            format!(" · {} / {} points", totals.score, totals.max_score)
        } else {
            String::new()
        }
    );
    for (chapter, entries) in chapters(report) {
        let _ = writeln!(out, "### {chapter}\n");
        let _ = writeln!(out, "| | entry | verdict | points | time |");
        let _ = writeln!(out, "|---|---|---|---:|---:|");
        for entry in &entries {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {:.2} s |",
                if entry.ok { "✅" } else { "❌" },
                cell(&label(entry)),
                cell(&entry.message),
                if entry.max_score > 0 {
                    format!("{}/{}", entry.score, entry.max_score)
                } else {
                    String::new()
                },
                entry.duration.as_secs_f64()
            );
        }
        let failures: Vec<&&Entry> = entries
            .iter()
            .filter(|e| !e.ok && !e.output.trim().is_empty())
            .collect();
        if !failures.is_empty() {
            let _ = writeln!(out, "\n<details><summary>Why {chapter} failed</summary>\n");
            for entry in failures {
                let _ = writeln!(out, "**{}**\n\n```text", label(entry));
                for line in reason_lines(&entry.output) {
                    let _ = writeln!(out, "{}", line.replace("```", "'''"));
                }
                let _ = writeln!(out, "```\n");
            }
            let _ = writeln!(out, "</details>");
        }
        out.push('\n');
    }
    out
}

/// Entries grouped by chapter (the exercise's folder), in the report's order.
fn chapters(report: &Report) -> Vec<(String, Vec<&Entry>)> {
    let mut order: Vec<String> = Vec::new();
    let mut groups: BTreeMap<String, Vec<&Entry>> = BTreeMap::new();
    for entry in &report.entries {
        let chapter = chapter_of(entry);
        if !groups.contains_key(&chapter) {
            order.push(chapter.clone());
        }
        groups.entry(chapter).or_default().push(entry);
    }
    order
        .into_iter()
        .map(|chapter| {
            let entries = groups.remove(&chapter).unwrap_or_default();
            (chapter, entries)
        })
        .collect()
}

/// `exercises/<chapter>/<name>.rs` → the chapter; set-level entries go under "Set".
pub(crate) fn chapter_of(entry: &Entry) -> String {
    if entry.kind == Kind::Set {
        return "Set".into();
    }
    let parts: Vec<&str> = entry.path.split('/').collect();
    match parts.as_slice() {
        [_, chapter, _] | [_, chapter, _, _] => (*chapter).to_string(),
        _ => "Exercises".into(),
    }
}

fn label(entry: &Entry) -> String {
    match entry.kind {
        Kind::Exercise | Kind::Set => entry.name.clone(),
        kind => format!("{} ({})", entry.name, kind.label()),
    }
}

/// The lines that say why: the panic message and what follows it, else the first lines.
fn reason_lines(output: &str) -> Vec<&str> {
    let lines: Vec<&str> = output.lines().filter(|l| !l.trim().is_empty()).collect();
    let start = lines
        .iter()
        .position(|l| l.contains("panicked at") || l.starts_with("error"))
        .unwrap_or(0);
    lines.into_iter().skip(start).take(REASON_LINES).collect()
}

/// Text safe inside a table cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn entry(name: &str, path: &str, ok: bool, output: &str) -> Entry {
        Entry {
            name: name.into(),
            path: path.into(),
            kind: Kind::Exercise,
            ok,
            status: if ok { "passed" } else { "tests_failed" }.into(),
            message: if ok { "passed" } else { "tests failed | badly" }.into(),
            duration: Duration::from_millis(250),
            output: output.into(),
            notes: Vec::new(),
            score: u32::from(ok) * 2,
            max_score: 2,
        }
    }

    #[test]
    fn a_table_per_chapter_with_points_and_reasons() {
        let mut report = Report::new("grade");
        report.entries = vec![
            entry("intro1", "exercises/00_intro/intro1.rs", true, ""),
            entry(
                "sql1",
                "exercises/05_sql/sql1.rs",
                false,
                "running 1 test\nthread 'tests::t' panicked at exercises/05_sql/sql1.rs:9:5:\nthe price must be bound\n",
            ),
        ];
        insta::assert_snapshot!(to_markdown(&report));
    }
}
