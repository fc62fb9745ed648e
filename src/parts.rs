//! The two parts of an exercise file: the learner's part, above the marker line, and the
//! tests part, from the marker line to the end. Grading takes the learner's part from the
//! learner and the tests part from the reference; `check` compares the tests parts of an
//! exercise and its solution.
//!
//! Sets written for rustlings have no marker; there the tests part starts at the first
//! top-level `#[cfg(test)]` item, which is where rustlings keeps its tests.

use proc_macro2::LineColumn;
use syn::spanned::Spanned;

/// The line that separates the learner's part from the tests.
pub const MARKER: &str = "// Tests: do not edit below this line.";
/// In an exercise where the learner writes the tests (`mode = "tests"`), the line that
/// separates the given implementation from the learner's tests.
pub const TESTS_MARKER: &str = "// Your tests: write them below this line.";

/// Where the tests part of a file starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Boundary {
    /// At the marker line.
    Marker,
    /// At the tests marker: the learner's part is below it.
    LearnerTests,
    /// At the first top-level `#[cfg(test)]` item (no marker in the file).
    CfgTest,
}

/// A file cut in two. `learner` is the text above the boundary and `tests` the text
/// from it on; in a tests-mode exercise the learner's part is the latter (see
/// [`Parts::editable`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Parts<'a> {
    pub learner: &'a str,
    pub tests: &'a str,
    pub boundary: Boundary,
}

impl<'a> Parts<'a> {
    /// The part the learner writes: above the marker, or below the tests marker.
    pub fn editable(&self) -> &'a str {
        match self.boundary {
            Boundary::LearnerTests => self.tests,
            Boundary::Marker | Boundary::CfgTest => self.learner,
        }
    }

    /// The part the set fixes: the tests, or in a tests-mode exercise the implementation.
    pub fn fixed(&self) -> &'a str {
        match self.boundary {
            Boundary::LearnerTests => self.learner,
            Boundary::Marker | Boundary::CfgTest => self.tests,
        }
    }

    /// A file made of `editable` (a learner's) and this file's fixed part.
    pub fn with_editable(&self, editable: &str) -> String {
        let ensure_newline = |text: &str| {
            let mut text = text.to_string();
            if !text.is_empty() && !text.ends_with('\n') {
                text.push('\n');
            }
            text
        };
        match self.boundary {
            Boundary::LearnerTests => {
                let mut text = ensure_newline(self.learner);
                if !editable.starts_with(TESTS_MARKER) {
                    text.push_str(TESTS_MARKER);
                    text.push('\n');
                }
                text.push_str(editable);
                text
            }
            Boundary::Marker | Boundary::CfgTest => {
                let mut text = ensure_newline(editable);
                text.push_str(self.tests);
                text
            }
        }
    }
}

/// Cuts `text` at the marker line, or else before its first top-level `#[cfg(test)]`
/// item. `None` when it has neither (or has no marker and does not parse).
pub fn split(text: &str) -> Option<Parts<'_>> {
    if let Some(at) = marker_offset(text, MARKER) {
        return Some(Parts {
            learner: &text[..at],
            tests: &text[at..],
            boundary: Boundary::Marker,
        });
    }
    if let Some(at) = marker_offset(text, TESTS_MARKER) {
        return Some(Parts {
            learner: &text[..at],
            tests: &text[at..],
            boundary: Boundary::LearnerTests,
        });
    }
    let at = cfg_test_offset(text)?;
    Some(Parts {
        learner: &text[..at],
        tests: &text[at..],
        boundary: Boundary::CfgTest,
    })
}

/// Byte offset of the start of the first line that is `marker`.
fn marker_offset(text: &str, marker: &str) -> Option<usize> {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if line.trim() == marker {
            return Some(offset);
        }
        offset += line.len();
    }
    None
}

/// Byte offset of the start of the line holding the first top-level `#[cfg(test)]` item.
fn cfg_test_offset(text: &str) -> Option<usize> {
    let file = syn::parse_file(text).ok()?;
    let item = file.items.iter().find(|item| is_cfg_test(item))?;
    let start = byte_offset(text, item.span().start())?;
    Some(text[..start].rfind('\n').map_or(0, |newline| newline + 1))
}

fn is_cfg_test(item: &syn::Item) -> bool {
    let attrs: &[syn::Attribute] = match item {
        syn::Item::Mod(m) => &m.attrs,
        syn::Item::Fn(f) => &f.attrs,
        syn::Item::Use(u) => &u.attrs,
        _ => return false,
    };
    attrs.iter().any(|attr| {
        attr.path().is_ident("cfg")
            && attr
                .meta
                .require_list()
                .is_ok_and(|list| list.tokens.to_string() == "test")
    })
}

/// The byte offset of a line/column position (1-based lines, columns in characters).
pub fn byte_offset(text: &str, at: LineColumn) -> Option<usize> {
    let line_start = if at.line <= 1 {
        0
    } else {
        text.match_indices('\n').nth(at.line - 2)?.0 + 1
    };
    let line = &text[line_start..];
    let within = line
        .char_indices()
        .nth(at.column)
        .map_or(line.len(), |(index, _)| index);
    Some(line_start + within)
}

/// The tests part normalized for comparison: tokens only, so formatting and ordinary
/// comments do not count as a change. Text that does not tokenize is compared as written,
/// less surrounding whitespace.
pub fn normalized_tests(tests: &str) -> String {
    match tests.parse::<proc_macro2::TokenStream>() {
        Ok(tokens) => tokens.to_string(),
        Err(_) => tests.trim().to_string(),
    }
}

/// Whether two tests parts say the same thing.
pub fn same_tests(a: &str, b: &str) -> bool {
    normalized_tests(a) == normalized_tests(b)
}

/// How many test functions (`#[test]`, `#[tokio::test]`, ...) a tests part defines.
pub fn count_tests(tests: &str) -> usize {
    let Ok(file) = syn::parse_file(tests) else {
        return 0;
    };
    let mut counter = TestCounter(0);
    syn::visit::Visit::visit_file(&mut counter, &file);
    counter.0
}

struct TestCounter(usize);

impl<'ast> syn::visit::Visit<'ast> for TestCounter {
    fn visit_item_fn(&mut self, item: &'ast syn::ItemFn) {
        if item.attrs.iter().any(is_test_attribute) {
            self.0 += 1;
        }
        syn::visit::visit_item_fn(self, item);
    }
}

/// `#[test]` and test attributes of async runtimes (`#[tokio::test]`).
pub fn is_test_attribute(attr: &syn::Attribute) -> bool {
    attr.path()
        .segments
        .last()
        .is_some_and(|segment| segment.ident == "test")
}

#[cfg(test)]
mod tests {
    use super::*;

    const WITH_MARKER: &str = "fn f() -> i32 {\n    1\n}\n\n// Tests: do not edit below this line.\n#[cfg(test)]\nmod tests {\n    #[test]\n    fn t() {\n        assert_eq!(super::f(), 1);\n    }\n}\n";

    #[test]
    fn cuts_at_the_marker_line() {
        let parts = split(WITH_MARKER).expect("has a marker");
        assert_eq!(parts.boundary, Boundary::Marker);
        assert_eq!(parts.learner, "fn f() -> i32 {\n    1\n}\n\n");
        assert!(parts.tests.starts_with(MARKER));
        assert_eq!(format!("{}{}", parts.learner, parts.tests), WITH_MARKER);
    }

    #[test]
    fn without_a_marker_cuts_before_the_cfg_test_module() {
        let text = "// rustlings style\nfn f() {}\n\n#[cfg(test)]\nmod tests {\n    #[test]\n    fn t() {}\n}\n";
        let parts = split(text).expect("has a cfg(test) module");
        assert_eq!(parts.boundary, Boundary::CfgTest);
        assert_eq!(parts.learner, "// rustlings style\nfn f() {}\n\n");
        assert!(parts.tests.starts_with("#[cfg(test)]"));
    }

    #[test]
    fn in_a_tests_exercise_the_learner_writes_below_the_marker() {
        let text = "fn f() -> i32 {\n    1\n}\n\n// Your tests: write them below this line.\n#[cfg(test)]\nmod tests {}\n";
        let parts = split(text).expect("has the tests marker");
        assert_eq!(parts.boundary, Boundary::LearnerTests);
        assert_eq!(parts.fixed(), "fn f() -> i32 {\n    1\n}\n\n");
        assert!(parts.editable().starts_with(TESTS_MARKER));
        assert_eq!(parts.with_editable(parts.editable()), text);
        let mutant_tests = parts.with_editable("#[test]\nfn t() {}\n");
        assert!(
            mutant_tests.contains(&format!("{TESTS_MARKER}\n#[test]")),
            "{mutant_tests}"
        );
        let fix = split(WITH_MARKER).unwrap();
        assert_eq!(
            fix.with_editable("fn f() -> i32 { 2 }"),
            WITH_MARKER.replace("fn f() -> i32 {\n    1\n}\n\n", "fn f() -> i32 { 2 }\n")
        );
    }

    #[test]
    fn a_file_without_tests_has_no_parts() {
        assert_eq!(split("fn main() {}\n"), None);
    }

    #[test]
    fn formatting_and_comments_are_not_changes() {
        let a = "#[cfg(test)]\nmod tests {\n    #[test]\n    fn t() {\n        assert_eq!(1, 1);\n    }\n}\n";
        let b = "#[cfg(test)] mod tests { #[test] fn t() { assert_eq!(1,1); // same\n } }";
        assert!(same_tests(a, b));
        assert!(!same_tests(
            a,
            &a.replace("assert_eq!(1, 1)", "assert!(true)")
        ));
    }

    #[test]
    fn counts_plain_and_async_tests() {
        let tests = "#[cfg(test)]\nmod tests {\n    #[test]\n    fn a() {}\n    #[tokio::test]\n    async fn b() {}\n    fn helper() {}\n}\n";
        assert_eq!(count_tests(tests), 2);
        assert_eq!(count_tests("mod tests {}"), 0);
    }

    #[test]
    fn offsets_count_characters_not_bytes() {
        let text = "é\nab€c\n";
        let at = LineColumn { line: 2, column: 3 };
        assert_eq!(&text[byte_offset(text, at).unwrap()..], "c\n");
    }
}
