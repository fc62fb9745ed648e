//! Building the wrong fixes of an exercise as one test binary. Each of the hundreds of
//! wrong fixes of a course is otherwise a test binary of its own, each linking the whole
//! of the course's dependencies: most of a cold `check`. Merged, the wrong fixes of an
//! exercise are one crate, a module each (the same file, at the same path), and each
//! still runs in a process of its own with libtest's filter for its module
//! ([`crate::scope`]).
//!
//! Merging must never change an outcome, so it is kept to what cannot: test exercises
//! (not programs, mutant-killing tests or clippy-checked ones), whose whole file passes
//! [`eligibility`](super::eligibility); a merged crate that does not compile has its
//! wrong fixes built one by one again, so each gets its own verdict.

use std::collections::{BTreeMap, BTreeSet};

use proc_macro2::LineColumn;
use syn::spanned::Spanned;

use super::eligibility::{self, MODULE_PREFIX};
use crate::assembly::{Host, Piece};
use crate::manifest::Mode;
use crate::parts;
use crate::reference::Fnv;

/// The first build of a set's wrong fixes: pieces (hosted ones as modules, their text
/// made fit for it, the others as bins of their own) and the crates hosting them.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub pieces: Vec<Piece>,
    pub hosts: Vec<Host>,
}

impl Plan {
    /// Builds every piece as a bin of its own (merging turned off).
    pub fn separate(pieces: &[Piece]) -> Self {
        Self {
            pieces: pieces.to_vec(),
            hosts: Vec::new(),
        }
    }

    /// Whether the piece named `name` is a module of a merged crate.
    pub fn is_hosted(&self, name: &str) -> bool {
        self.hosts
            .iter()
            .any(|h| h.modules.iter().any(|(piece, _)| piece == name))
    }

    /// Whether the set's exercise named `name` and its solution are modules of a merged
    /// crate (and so not built as the set's own bins).
    pub fn is_own(&self, name: &str) -> bool {
        self.hosts
            .iter()
            .any(|h| h.solutions.iter().any(|(piece, _)| piece == name))
    }
}

/// Plans the build of `pieces` (wrong fixes; `exercise_of` names each one's exercise) and
/// of `own` (a set's exercises as shipped, each named as its exercise, with its solution):
/// the files of one exercise that may merge are modules of one host, when there are two
/// or more. The wrong fixes left are built as before, each a bin; the own pieces left are
/// not in the plan at all (the set builds them, as ever). Wrong fixes keep their order
/// and names, and come first.
pub fn plan(pieces: &[Piece], own: &[Piece], exercise_of: &dyn Fn(&Piece) -> String) -> Plan {
    let taken: BTreeSet<&str> = pieces.iter().map(|p| p.entry.name.as_str()).collect();
    let mut planned = Plan::separate(pieces);
    // An own piece always makes a host (its exercise and solution are two modules).
    planned.pieces.extend(
        own.iter()
            .filter(|p| p.solution.is_some() && mergeable(p))
            .filter(|p| keeps_columns(&p.text) && p.solution.as_deref().is_some_and(keeps_columns))
            .filter(|p| !taken.contains(p.entry.name.as_str()))
            .cloned(),
    );
    let mut groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (index, piece) in planned.pieces.iter().enumerate() {
        if index >= pieces.len() {
            groups
                .entry(piece.entry.name.clone())
                .or_default()
                .push(index);
        } else if mergeable(piece) {
            groups.entry(exercise_of(piece)).or_default().push(index);
        }
    }
    for (exercise, members) in groups {
        let files: usize = members
            .iter()
            .map(|&i| 1 + usize::from(planned.pieces[i].solution.is_some()))
            .sum();
        if files < 2 {
            continue;
        }
        let mut host = Host {
            name: host_name(&exercise, &taken),
            text: String::new(),
            modules: Vec::new(),
            solutions: Vec::new(),
        };
        let mut paths = Vec::new();
        for &index in &members {
            let piece = &mut planned.pieces[index];
            piece.text = allow_dead_main(&piece.text);
            let module = format!("{MODULE_PREFIX}{}", paths.len());
            paths.push((piece.entry.exercise_path(), module.clone()));
            host.modules.push((piece.entry.name.clone(), module));
            if let Some(solution) = &mut piece.solution {
                *solution = allow_dead_main(solution);
                let module = format!("{MODULE_PREFIX}{}", paths.len());
                paths.push((piece.entry.solution_path(), module.clone()));
                host.solutions.push((piece.entry.name.clone(), module));
            }
        }
        let member_pieces: Vec<&Piece> = members.iter().map(|&i| &planned.pieces[i]).collect();
        host.text = host_text(&exercise, &member_pieces, &paths);
        planned.hosts.push(host);
    }
    planned
}

/// Whether a piece may be a module of a merged crate (its text aside, see
/// [`eligibility`]): only a test exercise's tests can be told apart by libtest's filter;
/// a tests-mode exercise's verdict also needs its file spliced onto mutants, and a
/// clippy-checked one would be linted as the whole merged crate.
fn mergeable(piece: &Piece) -> bool {
    let entry = &piece.entry;
    entry.test
        && entry.mode == Mode::Fix
        && !entry.strict_clippy
        && eligibility::blockers(&piece.text).is_empty()
        && (piece.solution.as_deref()).is_none_or(|s| eligibility::blockers(s).is_empty())
}

/// A bin name for the host of `exercise`'s wrong fixes that no wrong fix has.
fn host_name(exercise: &str, taken: &BTreeSet<&str>) -> String {
    let mut name = format!("{exercise}__merged");
    while taken.contains(name.as_str()) {
        name.push('_');
    }
    name
}

/// The host's crate root: a public module per file (path, module), from the file's own
/// path in the workspace (the host is at its top, so rustc names each file as a set's
/// own build does). Public, because a bin crate's root treats its `pub` items as used:
/// so do they, and its own build's dead-code warnings are what it gets. The digest of
/// the modules' text makes the root change with them (remembered compile errors are
/// keyed on it).
fn host_text(exercise: &str, pieces: &[&Piece], modules: &[(String, String)]) -> String {
    let mut digest = Fnv::default();
    for piece in pieces {
        digest.write(piece.entry.name.as_bytes());
        digest.write(piece.text.as_bytes());
        digest.write(piece.solution.as_deref().unwrap_or("\0").as_bytes());
    }
    let mut text = format!(
        "// Written by backlings: the files of `{exercise}` as one test binary, a module\n\
         // each; each runs in its own process, with libtest's filter for its module.\n\
         // Modules' digest: {:016x}\n",
        digest.0
    );
    for (path, module) in modules {
        text.push_str(&format!("#[path = {path:?}]\npub mod {module};\n"));
    }
    text.push_str("\nfn main() {}\n");
    text
}

/// `text` with `#[allow(dead_code)]` on its top-level `fn main`: a test harness marks the
/// crate root's `main` so (and what only `main` uses is not dead); a module's `main` is
/// an ordinary function. See [`dead_main_allowed`] for where it goes.
fn allow_dead_main(text: &str) -> String {
    dead_main_allowed(text).map_or_else(|| text.to_string(), |(allowed, _)| allowed)
}

/// [`allow_dead_main`]'s text, and whether a column of `main`'s line moved; `None`
/// without a top-level `main`. The attribute takes a blank line before `main` when there
/// is one, or else the end of the line before it when nothing else is there, so that no
/// line or column of the file moves; otherwise it goes on `main`'s line (its columns
/// move: only a wrong fix's diagnostics may, they are not compared with a build of its
/// own).
fn dead_main_allowed(text: &str) -> Option<(String, bool)> {
    const ALLOW: &str = "#[allow(dead_code)]";
    let file = syn::parse_file(text).ok()?;
    let mut previous_end = file
        .attrs
        .last()
        .and_then(|a| offset(text, a.span().end()))
        .unwrap_or(0);
    for item in &file.items {
        let start = offset(text, item.span().start());
        if let (syn::Item::Fn(function), Some(start)) = (item, start)
            && function.sig.ident == "main"
        {
            if let Some(line) = blank_line(text, previous_end..start) {
                let allowed = format!("{}{ALLOW}{}", &text[..line.start], &text[line.end..]);
                return Some((allowed, false));
            }
            let line_end = text[previous_end..start]
                .find('\n')
                .map(|at| previous_end + at)
                .filter(|&end| previous_end > 0 && text[previous_end..end].trim().is_empty());
            return Some(match line_end {
                Some(end) => (format!("{} {ALLOW}{}", &text[..end], &text[end..]), false),
                None => (
                    format!("{}{ALLOW} {}", &text[..start], &text[start..]),
                    true,
                ),
            });
        }
        previous_end = offset(text, item.span().end()).unwrap_or(previous_end);
    }
    None
}

/// Whether `text` can be a module with no line or column of it moved (a set's own file,
/// whose diagnostics must read as its own build's).
fn keeps_columns(text: &str) -> bool {
    dead_main_allowed(text).is_none_or(|(_, moved)| !moved)
}

fn offset(text: &str, at: LineColumn) -> Option<usize> {
    parts::byte_offset(text, at)
}

/// The last blank line wholly in `gap` (between two items: a comment's line may not be
/// touched, nor may anything in a block comment).
fn blank_line(text: &str, gap: std::ops::Range<usize>) -> Option<std::ops::Range<usize>> {
    let between = text.get(gap.clone())?;
    if between.contains("/*") {
        return None;
    }
    let mut found = None;
    let mut start = 0;
    for line in text.split_inclusive('\n') {
        let content = line.trim_end_matches('\n');
        let range = start..start + content.len();
        if range.start >= gap.start
            && range.end <= gap.end
            && line.ends_with('\n')
            && content.trim().is_empty()
        {
            found = Some(range);
        }
        start += line.len();
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::ExerciseEntry;

    const TESTS: &str = "// Tests: do not edit below this line.\n#[cfg(test)]\nmod tests {\n    use super::*;\n\n    #[test]\n    fn answers() {\n        assert_eq!(answer(), 42);\n    }\n}\n";

    fn piece(name: &str, learner: &str) -> Piece {
        Piece {
            entry: ExerciseEntry::sample(name, Some("01_x")),
            text: format!("{learner}\n{TESTS}"),
            mutants: Vec::new(),
            solution: None,
        }
    }

    fn exercise_of(piece: &Piece) -> String {
        piece
            .entry
            .name
            .split("__")
            .next()
            .unwrap_or_default()
            .to_string()
    }

    #[test]
    fn the_mergeable_wrong_fixes_of_an_exercise_share_a_host() {
        let pieces = [
            piece("a1__off", "fn answer() -> u32 { 43 }\n\nfn main() {}"),
            piece(
                "a1__alloc",
                "#[global_allocator]\nstatic A: std::alloc::System = std::alloc::System;\nfn answer() -> u32 { 41 }",
            ),
            piece("a1__merged", "fn answer() -> u32 { 40 }"),
            piece("b1__only", "fn answer() -> u32 { 0 }"),
        ];
        let plan = plan(&pieces, &[], &exercise_of);
        assert_eq!(plan.pieces.len(), 4, "every piece is still there, in order");
        let names: Vec<&str> = plan.pieces.iter().map(|p| p.entry.name.as_str()).collect();
        assert_eq!(names, ["a1__off", "a1__alloc", "a1__merged", "b1__only"]);
        assert_eq!(
            plan.hosts.len(),
            1,
            "b1 has one wrong fix: nothing to merge"
        );
        let host = &plan.hosts[0];
        assert_eq!(host.name, "a1__merged_", "not a wrong fix's name");
        assert_eq!(host.path(), "a1__merged_.rs", "at the top of the workspace");
        assert_eq!(
            host.modules,
            [
                ("a1__off".to_string(), "backlings_wrong_fix_0".to_string()),
                (
                    "a1__merged".to_string(),
                    "backlings_wrong_fix_1".to_string()
                ),
            ]
        );
        assert!(
            host.text.contains(
                "#[path = \"exercises/01_x/a1__off.rs\"]\npub mod backlings_wrong_fix_0;\n"
            )
        );
        assert!(host.text.ends_with("fn main() {}\n"));
        assert!(plan.is_hosted("a1__off") && !plan.is_hosted("a1__alloc"));
        assert!(
            plan.pieces[0]
                .text
                .contains("#[allow(dead_code)]\nfn main() {}")
        );
        assert_eq!(plan.pieces[1].text, pieces[1].text, "not hosted: as it was");
    }

    #[test]
    fn programs_and_tests_mode_exercises_are_not_merged() {
        let mut program = piece("a1__x", "fn answer() -> u32 { 1 }");
        program.entry.test = false;
        let mut tests_mode = piece("a1__y", "fn answer() -> u32 { 2 }");
        tests_mode.entry.mode = Mode::Tests;
        let mut clippy = piece("a1__z", "fn answer() -> u32 { 3 }");
        clippy.entry.strict_clippy = true;
        let fine = piece("a1__w", "fn answer() -> u32 { 4 }");
        let plan = plan(&[program, tests_mode, clippy, fine], &[], &exercise_of);
        assert!(plan.hosts.is_empty());
    }

    fn own(name: &str, learner: &str, solved: &str) -> Piece {
        Piece {
            solution: Some(piece(name, solved).text),
            ..piece(name, learner)
        }
    }

    #[test]
    fn an_exercise_and_its_solution_join_its_wrong_fixes() {
        let wrong = [piece("a1__off", "fn answer() -> u32 { 43 }")];
        let owned = [
            own(
                "a1",
                "fn answer() -> u32 { 0 }",
                "fn answer() -> u32 { 42 }",
            ),
            own(
                "b1",
                "fn answer() -> u32 { 0 }",
                "fn answer() -> u32 { 42 }",
            ),
            own(
                "c1",
                "fn answer() -> u32 { 0 }",
                "fn answer() -> u32 { module_path!().len() as u32 }",
            ),
        ];
        let planned = plan(&wrong, &owned, &exercise_of);
        let names: Vec<&str> = planned
            .pieces
            .iter()
            .map(|p| p.entry.name.as_str())
            .collect();
        assert_eq!(
            names,
            ["a1__off", "a1", "b1"],
            "c1's solution cannot merge: the set builds c1"
        );
        assert_eq!(
            planned.hosts.len(),
            2,
            "one wrong fix and its exercise merge"
        );
        let a1 = &planned.hosts[0];
        assert_eq!(a1.modules.len(), 2);
        assert_eq!(
            a1.solutions,
            [("a1".to_string(), "backlings_wrong_fix_2".to_string())]
        );
        assert!(
            a1.text
                .contains("#[path = \"solutions/01_x/a1.rs\"]\npub mod backlings_wrong_fix_2;\n"),
            "{}",
            a1.text
        );
        let b1 = &planned.hosts[1];
        assert_eq!((b1.name.as_str(), b1.modules.len()), ("b1__merged", 1));
        assert!(planned.is_own("b1") && !planned.is_hosted("c1"));
        let mut program = own(
            "d1",
            "fn answer() -> u32 { 0 }",
            "fn answer() -> u32 { 42 }",
        );
        program.entry.test = false;
        assert!(plan(&[], &[program], &exercise_of).pieces.is_empty());
    }

    #[test]
    fn the_host_changes_with_its_modules() {
        let a = [
            piece("a1__p", "fn answer() -> u32 { 1 }"),
            piece("a1__q", "fn answer() -> u32 { 2 }"),
        ];
        let mut b = a.clone();
        b[1].text = b[1].text.replace("2", "3");
        assert_ne!(
            plan(&a, &[], &exercise_of).hosts[0].text,
            plan(&b, &[], &exercise_of).hosts[0].text
        );
    }

    #[test]
    fn main_is_allowed_dead_without_moving_a_line() {
        let text = "// wrong fix: x\n#![allow(unused)]\nfn answer() -> u32 { 1 }\n\n/// Runs it.\nfn main() {\n    answer();\n}\n";
        let allowed = allow_dead_main(text);
        assert_eq!(
            allowed,
            text.replace("\n\n/// Runs", "\n#[allow(dead_code)]\n/// Runs")
        );
        assert_eq!(allowed.lines().count(), text.lines().count());
        let tight = "fn answer() -> u32 { 1 }\nfn main() {}\n";
        assert_eq!(
            allow_dead_main(tight),
            "fn answer() -> u32 { 1 } #[allow(dead_code)]\nfn main() {}\n"
        );
        let first = "fn main() {}\n";
        assert_eq!(allow_dead_main(first), "#[allow(dead_code)] fn main() {}\n");
        assert!(keeps_columns(tight) && !keeps_columns(first) && keeps_columns("fn a() {}"));
        let trailing = "fn a() {} // a\nfn main() {}\n";
        assert!(
            !keeps_columns(trailing),
            "the attribute would be in the comment"
        );
        let commented = "fn a() {}\n/*\n\n*/\nfn main() {}\n";
        assert_eq!(
            allow_dead_main(commented),
            "fn a() {} #[allow(dead_code)]\n/*\n\n*/\nfn main() {}\n"
        );
        assert_eq!(allow_dead_main("fn answer() {}\n"), "fn answer() {}\n");
    }
}
