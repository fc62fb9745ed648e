//! Code in the learner's part that would change what the tests check: a macro named like
//! a standard assertion (textual macro scope reaches the tests below), tests of its own,
//! code switched on `cfg(test)`, crate attributes, and items that shadow the standard
//! prelude the tests rely on. Parsed with `syn`, so spacing and nesting cannot hide them.
//!
//! Each finding is reported, and the top-level item holding it is cut out of the text
//! that is graded, so the reference tests run with the standard macros.

use std::ops::Range;

use proc_macro2::{TokenStream, TokenTree};
use syn::spanned::Spanned;
use syn::visit::{self, Visit};

use crate::parts;

/// Standard-library macros: a learner's macro or import of one of these names would take
/// its place in the tests.
const STD_MACROS: &[&str] = &[
    "assert",
    "assert_eq",
    "assert_ne",
    "assert_matches",
    "debug_assert",
    "debug_assert_eq",
    "debug_assert_ne",
    "debug_assert_matches",
    "panic",
    "unreachable",
    "unimplemented",
    "todo",
    "matches",
    "vec",
    "format",
    "format_args",
    "write",
    "writeln",
    "print",
    "println",
    "eprint",
    "eprintln",
    "dbg",
    "cfg",
    "concat",
    "stringify",
    "include",
    "include_str",
    "include_bytes",
    "env",
    "option_env",
    "line",
    "column",
    "file",
    "module_path",
    "compile_error",
    "thread_local",
];

/// Names of the standard prelude that the tests use unqualified.
const PRELUDE: &[&str] = &[
    "Option",
    "Some",
    "None",
    "Result",
    "Ok",
    "Err",
    "Vec",
    "String",
    "Box",
    "ToString",
    "ToOwned",
    "Clone",
    "Copy",
    "Send",
    "Sync",
    "Sized",
    "Unpin",
    "Drop",
    "Fn",
    "FnMut",
    "FnOnce",
    "PartialEq",
    "Eq",
    "PartialOrd",
    "Ord",
    "Default",
    "From",
    "Into",
    "TryFrom",
    "TryInto",
    "AsRef",
    "AsMut",
    "Iterator",
    "IntoIterator",
    "DoubleEndedIterator",
    "ExactSizeIterator",
    "Extend",
    "FromIterator",
    "drop",
];

/// Crate attributes that only tune lints or docs; anything else is reported.
const HARMLESS_CRATE_ATTRIBUTES: &[&str] = &["allow", "warn", "deny", "forbid", "expect", "doc"];

/// What the inspection of a learner's part found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Inspection {
    /// One short sentence per finding (`defines assert_eq!`).
    pub findings: Vec<String>,
    /// The learner's part with each offending top-level item blanked out (line numbers
    /// are kept, so compiler messages still point at the learner's lines).
    pub graded_text: String,
}

/// Inspects the learner's part of an exercise. Findings in `shipped` (what the reference's
/// own learner part already does, such as an import of `std::fmt::Result`) do not count.
pub fn inspect_against(learner: &str, shipped: &str) -> Inspection {
    let allowed = inspect(shipped).findings;
    let mut inspection = inspect_allowing(learner, &allowed);
    inspection.findings.retain(|f| !allowed.contains(f));
    inspection
}

/// Inspects the learner's part of an exercise.
pub fn inspect(learner: &str) -> Inspection {
    inspect_allowing(learner, &[])
}

fn inspect_allowing(learner: &str, allowed: &[String]) -> Inspection {
    let Ok(file) = syn::parse_file(learner) else {
        // It does not parse: the build will say why, and there is nothing to cut.
        return Inspection {
            findings: Vec::new(),
            graded_text: learner.to_string(),
        };
    };
    let mut findings = Vec::new();
    let mut cut: Vec<Range<usize>> = Vec::new();
    for attr in &file.attrs {
        let name = path_text(attr.path());
        let finding = format!("sets the crate attribute `#![{name}]`");
        if !HARMLESS_CRATE_ATTRIBUTES.contains(&name.as_str()) && !allowed.contains(&finding) {
            findings.push(finding);
        }
    }
    for item in &file.items {
        let mut finder = Finder::default();
        finder.visit_item(item);
        finder.top_level_name(item);
        finder.findings.retain(|f| !allowed.contains(f));
        if finder.findings.is_empty() {
            continue;
        }
        findings.append(&mut finder.findings);
        if let Some(range) = span_range(learner, item.span()) {
            cut.push(range);
        }
    }
    findings.dedup();
    Inspection {
        findings,
        graded_text: blank_out(learner, &cut),
    }
}

/// Inspects the learner's tests of a tests-mode exercise: tests that read the source (to
/// tell the real implementation from a mutant by its text rather than its behaviour).
pub fn inspect_learner_tests(tests: &str) -> Vec<String> {
    let Ok(file) = syn::parse_file(tests) else {
        return Vec::new();
    };
    let mut finder = SourceReader::default();
    finder.visit_file(&file);
    finder.findings
}

#[derive(Default)]
struct SourceReader {
    findings: Vec<String>,
}

impl SourceReader {
    fn note(&mut self, finding: String) {
        if !self.findings.contains(&finding) {
            self.findings.push(finding);
        }
    }

    fn macro_call(&mut self, name: &str) {
        if ["include_str", "include_bytes", "include", "file"].contains(&name) {
            self.note(format!(
                "reads source code with `{name}!`: tests must check behaviour, not text"
            ));
        }
    }

    fn literal(&mut self, value: &str) {
        if value.trim_end_matches('"').ends_with(".rs") {
            let value = value.trim_matches('"');
            self.note(format!(
                "names a source file (\"{value}\"): tests must check behaviour, not text"
            ));
        }
    }
}

impl<'ast> Visit<'ast> for SourceReader {
    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        self.macro_call(&path_text(&mac.path));
        // Macro arguments are tokens to syn: look inside them too.
        walk_tokens(&mac.tokens, &mut |tree, next| match tree {
            TokenTree::Ident(ident) if next.is_some_and(is_bang) => {
                self.macro_call(&ident.to_string())
            }
            TokenTree::Literal(literal) => self.literal(&literal.to_string()),
            _ => {}
        });
        visit::visit_macro(self, mac);
    }

    fn visit_lit_str(&mut self, lit: &'ast syn::LitStr) {
        self.literal(&lit.value());
    }
}

/// Calls `visit` on every token tree in `tokens`, however deeply grouped, with the tree
/// that follows it.
fn walk_tokens(tokens: &TokenStream, visit: &mut dyn FnMut(&TokenTree, Option<&TokenTree>)) {
    let trees: Vec<TokenTree> = tokens.clone().into_iter().collect();
    for (index, tree) in trees.iter().enumerate() {
        visit(tree, trees.get(index + 1));
        if let TokenTree::Group(group) = tree {
            walk_tokens(&group.stream(), visit);
        }
    }
}

fn is_bang(tree: &TokenTree) -> bool {
    matches!(tree, TokenTree::Punct(punct) if punct.as_char() == '!')
}

#[derive(Default)]
struct Finder {
    findings: Vec<String>,
}

impl Finder {
    fn note(&mut self, finding: String) {
        if !self.findings.contains(&finding) {
            self.findings.push(finding);
        }
    }

    /// A top-level item named like a prelude item shadows it in `use super::*` tests.
    fn top_level_name(&mut self, item: &syn::Item) {
        let ident = match item {
            syn::Item::Struct(i) => Some(&i.ident),
            syn::Item::Enum(i) => Some(&i.ident),
            syn::Item::Type(i) => Some(&i.ident),
            syn::Item::Trait(i) => Some(&i.ident),
            syn::Item::Fn(i) => Some(&i.sig.ident),
            syn::Item::Const(i) => Some(&i.ident),
            syn::Item::Static(i) => Some(&i.ident),
            syn::Item::Union(i) => Some(&i.ident),
            syn::Item::Mod(i) => Some(&i.ident),
            _ => None,
        };
        if let Some(ident) = ident
            && PRELUDE.contains(&ident.to_string().as_str())
        {
            self.note(format!(
                "defines `{ident}`, which would replace the standard one in the tests"
            ));
        }
    }

    fn scan_macro_tokens(&mut self, trees: &[TokenTree]) {
        for (index, tree) in trees.iter().enumerate() {
            match (tree, trees.get(index + 1), trees.get(index + 2)) {
                (TokenTree::Ident(name), Some(bang), Some(TokenTree::Group(args)))
                    if is_bang(bang) && name == "cfg" && mentions_test(&args.stream()) =>
                {
                    self.note("checks `cfg!(test)`: it would behave differently under test".into());
                }
                (TokenTree::Ident(keyword), Some(bang), Some(TokenTree::Ident(name)))
                    if is_bang(bang)
                        && keyword == "macro_rules"
                        && STD_MACROS.contains(&name.to_string().as_str()) =>
                {
                    self.note(format!(
                        "defines `{name}!`, which would replace the standard one in the tests"
                    ));
                }
                _ => {}
            }
            if let TokenTree::Group(group) = tree {
                let inner: Vec<TokenTree> = group.stream().into_iter().collect();
                self.scan_macro_tokens(&inner);
            }
        }
    }

    fn check_attributes(&mut self, attrs: &[syn::Attribute]) {
        for attr in attrs {
            if parts::is_test_attribute(attr) {
                self.note("declares a test of its own above the marker".into());
            }
            let name = path_text(attr.path());
            if (name == "cfg" || name == "cfg_attr")
                && let syn::Meta::List(list) = &attr.meta
                && mentions_test(&list.tokens)
            {
                self.note(format!(
                    "switches code on `{name}(test)`: it would behave differently under test"
                ));
            }
        }
    }
}

impl<'ast> Visit<'ast> for Finder {
    fn visit_attribute(&mut self, attr: &'ast syn::Attribute) {
        self.check_attributes(std::slice::from_ref(attr));
    }

    fn visit_item_macro(&mut self, item: &'ast syn::ItemMacro) {
        if let Some(ident) = &item.ident
            && STD_MACROS.contains(&ident.to_string().as_str())
        {
            self.note(format!(
                "defines `{ident}!`, which would replace the standard one in the tests"
            ));
        }
        visit::visit_item_macro(self, item);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        if mac.path.is_ident("cfg") && mentions_test(&mac.tokens) {
            self.note("checks `cfg!(test)`: it would behave differently under test".into());
        }
        // Macro arguments are tokens to syn: `cfg!(test)` or a `macro_rules!` can hide
        // inside another macro's call.
        let trees: Vec<TokenTree> = mac.tokens.clone().into_iter().collect();
        self.scan_macro_tokens(&trees);
        visit::visit_macro(self, mac);
    }

    fn visit_item_mod(&mut self, item: &'ast syn::ItemMod) {
        if item.ident == "tests" {
            self.note("declares a `tests` module above the marker".into());
        }
        visit::visit_item_mod(self, item);
    }

    fn visit_use_tree(&mut self, tree: &'ast syn::UseTree) {
        let imported = match tree {
            syn::UseTree::Name(name) => Some(&name.ident),
            syn::UseTree::Rename(rename) => Some(&rename.rename),
            _ => None,
        };
        if let Some(ident) = imported {
            let name = ident.to_string();
            if STD_MACROS.contains(&name.as_str()) || PRELUDE.contains(&name.as_str()) {
                self.note(format!(
                    "imports something named `{name}`, which would replace the standard one in the tests"
                ));
            }
        }
        visit::visit_use_tree(self, tree);
    }
}

fn path_text(path: &syn::Path) -> String {
    path.segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect::<Vec<_>>()
        .join("::")
}

/// Whether `test` appears anywhere in a `cfg` predicate, however nested or spaced.
fn mentions_test(tokens: &TokenStream) -> bool {
    tokens.clone().into_iter().any(|tree| match tree {
        TokenTree::Ident(ident) => ident == "test",
        TokenTree::Group(group) => mentions_test(&group.stream()),
        _ => false,
    })
}

fn span_range(text: &str, span: proc_macro2::Span) -> Option<Range<usize>> {
    let start = parts::byte_offset(text, span.start())?;
    let end = parts::byte_offset(text, span.end())?;
    (start <= end).then_some(start..end)
}

/// `text` with every character in `ranges` but newlines replaced by spaces.
fn blank_out(text: &str, ranges: &[Range<usize>]) -> String {
    text.char_indices()
        .map(|(index, c)| {
            if c != '\n' && ranges.iter().any(|r| r.contains(&index)) {
                ' '
            } else {
                c
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn findings(text: &str) -> Vec<String> {
        inspect(text).findings
    }

    #[test]
    fn honest_code_has_no_findings() {
        let text = "#![allow(dead_code)]\nuse std::collections::HashMap;\n\nfn add(a: i32, b: i32) -> i32 {\n    assert!(a >= 0, \"positive\");\n    a + b\n}\n\nmacro_rules! my_helper {\n    () => {};\n}\n";
        assert_eq!(findings(text), Vec::<String>::new());
        assert_eq!(inspect(text).graded_text, text);
    }

    #[test]
    fn a_shadowed_assertion_is_found_and_cut() {
        let text =
            "fn f() {}\n\nmacro_rules! assert_eq {\n    ($($t:tt)*) => {};\n}\n\nfn g() {}\n";
        let inspection = inspect(text);
        assert_eq!(
            inspection.findings,
            ["defines `assert_eq!`, which would replace the standard one in the tests"]
        );
        assert!(!inspection.graded_text.contains("macro_rules"));
        assert!(inspection.graded_text.contains("fn f() {}"));
        assert!(inspection.graded_text.contains("fn g() {}"));
        assert_eq!(inspection.graded_text.lines().count(), text.lines().count());
    }

    #[test]
    fn nested_and_imported_macros_are_found() {
        let nested = "#[macro_use]\nmod sneaky {\n    macro_rules! assert {\n        ($($t:tt)*) => {};\n    }\n}\n";
        assert_eq!(findings(nested).len(), 1, "{:?}", findings(nested));
        let imported = "mod m { macro_rules! yes { ($($t:tt)*) => {} } pub(crate) use yes; }\nuse m::yes as assert;\n";
        assert_eq!(findings(imported).len(), 1, "{:?}", findings(imported));
    }

    #[test]
    fn cfg_test_in_any_spelling_is_found() {
        for text in [
            "#[cfg(test)]\nfn f() {}\n",
            "#[cfg( test )]\nfn f() {}\n",
            "#[cfg(any(test))]\nfn f() {}\n",
            "#[cfg(not(test))]\nfn f() {}\n",
            "#[cfg_attr(test, allow(unused))]\nfn f() {}\n",
            "fn f() -> bool {\n    if cfg!(test) { return true; }\n    false\n}\n",
            "fn f() {\n    #[cfg(all(unix, test))]\n    let _x = 1;\n}\n",
            "fn f() {\n    println!(\"{}\", cfg!(test));\n}\n",
            "fn f() -> bool {\n    matches!(Some(cfg!(any(test))), Some(true))\n}\n",
        ] {
            assert_eq!(findings(text).len(), 1, "{text}: {:?}", findings(text));
        }
    }

    #[test]
    fn a_macro_defined_through_another_macro_is_found() {
        let text = "macro_rules! make {\n    () => {\n        macro_rules! assert_eq { ($($t:tt)*) => {}; }\n    };\n}\nmake!();\n";
        assert_eq!(findings(text).len(), 1, "{:?}", findings(text));
    }

    #[test]
    fn tests_of_its_own_are_found() {
        assert!(!findings("#[test]\nfn t() {}\n").is_empty());
        assert!(!findings("mod tests {}\n").is_empty());
        assert!(!findings("#[tokio::test]\nasync fn t() {}\n").is_empty());
    }

    #[test]
    fn crate_attributes_and_prelude_shadows_are_found() {
        assert_eq!(findings("#![no_implicit_prelude]\n").len(), 1);
        assert_eq!(findings("struct Vec;\n").len(), 1);
        assert_eq!(findings("use std::io::Result;\n").len(), 1);
        assert_eq!(findings("enum Option { Some, None }\n").len(), 1);
    }

    #[test]
    fn what_the_reference_ships_is_not_a_finding() {
        let shipped = "use std::fmt::Result;\nfn f() {}\n";
        let learner = "use std::fmt::Result;\nfn f() { g() }\nstruct Vec;\n";
        let inspection = inspect_against(learner, shipped);
        assert_eq!(inspection.findings.len(), 1, "{:?}", inspection.findings);
        assert!(inspection.graded_text.starts_with("use std::fmt::Result;"));
    }

    #[test]
    fn tests_that_read_the_source_are_found() {
        let honest = "#[cfg(test)]\nmod tests {\n    #[test]\n    fn t() {\n        assert_eq!(super::f(), 1, \"one\");\n    }\n}\n";
        assert!(inspect_learner_tests(honest).is_empty());
        let textual = honest.replace(
            "assert_eq!(super::f(), 1, \"one\");",
            "assert!(include_str!(file!()).len() > 1000);",
        );
        assert_eq!(inspect_learner_tests(&textual).len(), 2);
        let by_name = honest.replace(
            "\"one\"",
            "\"{}\", std::fs::read_to_string(\"exercises/x.rs\").unwrap().len()",
        );
        assert_eq!(inspect_learner_tests(&by_name).len(), 1);
    }

    #[test]
    fn unparsable_code_is_left_to_the_compiler() {
        let text = "fn f( {\n";
        assert_eq!(
            inspect(text),
            Inspection {
                findings: vec![],
                graded_text: text.into()
            }
        );
    }
}
