//! Whether a wrong fix, spliced onto its exercise's tests, may be built as a module of a
//! merged crate rather than as a crate of its own. Merging is an optimisation: it must
//! never change a verdict, so a file is merged only when nothing in it can tell a module
//! from a crate root. Decided on the syntax (`syn`), conservatively: whatever might
//! differ is a blocker, and a blocked wrong fix is built on its own, as ever.

use proc_macro2::{TokenStream, TokenTree};
use syn::visit::{self, Visit};

/// The prefix of the modules a merged crate gives its wrong fixes. A file that spells it
/// anywhere could name (or print) another module's tests, which libtest's substring
/// filter and the output rewrite rely on never happening.
pub const MODULE_PREFIX: &str = "backlings_wrong_fix_";

/// Attributes that only mean something at a crate root, or act on the whole binary.
const ROOT_ATTRIBUTES: &[(&str, &str)] = &[
    // One allocator per binary: every variant would run with it.
    ("global_allocator", "sets the global allocator"),
    // Exported to the crate root: `crate::m!` and clashes between variants.
    ("macro_export", "exports a macro at the crate root"),
    // Symbols of the whole binary: two variants would clash at link time, or one
    // variant's symbol would be what every variant's process calls.
    ("no_mangle", "exports an unmangled symbol"),
    ("export_name", "exports a named symbol"),
    ("link_section", "places an item in a link section"),
    ("used", "keeps a symbol in the binary"),
    ("link", "links a native library"),
    ("link_name", "links a named symbol"),
    ("link_ordinal", "links a symbol by ordinal"),
    ("naked", "writes a naked function"),
    ("panic_handler", "sets the panic handler"),
    ("alloc_error_handler", "sets the allocation error handler"),
    // `#[path]` and out-of-line modules are found relative to the crate root's folder but
    // to a module file's own subfolder.
    ("path", "names a module's file"),
    // Code run before `main` from a registry every variant of the binary shares.
    ("ctor", "runs code before main"),
    ("dtor", "runs code after main"),
    ("distributed_slice", "adds to a binary-wide registry"),
];

/// Macros whose expansion depends on the crate, the file or the binary.
const ROOT_MACROS: &[(&str, &str)] = &[
    ("module_path", "reads its module path"),
    // Text included from elsewhere is not inspected here: it could say anything above.
    // `file!()` names the module's own file, as its own build does, yet code that reads
    // source by it is what `include*!` is: kept out with them, conservatively.
    ("file", "reads its file name"),
    ("include", "includes a file"),
    ("include_str", "includes a file"),
    ("include_bytes", "includes a file"),
    // Symbols of the whole binary.
    ("global_asm", "writes global assembly"),
    ("naked_asm", "writes global assembly"),
    // Binary-wide registries (the `inventory` crate).
    ("submit", "adds to a binary-wide registry"),
];

/// Names that tell a module from a crate root, or one binary from another, at run time.
const ROOT_NAMES: &[(&str, &str)] = &[
    ("type_name", "reads a type's path"),
    ("type_name_of_val", "reads a type's path"),
    // The merged binary is another file, run with a filter argument.
    ("current_exe", "reads the test binary's path"),
    ("args_os", "reads the process arguments"),
    // Function paths, module included.
    ("Backtrace", "captures a backtrace"),
    // Logging filters and printers that go by an event's target: its module path.
    ("EnvFilter", "filters events by target"),
    ("Targets", "filters events by target"),
    ("env_logger", "prints events with their target"),
];

/// Methods that read where an event of `tracing` or `log` was emitted: its target (the
/// module path, by default) or its module path. `tracing::info!` and the like record
/// `module_path!()` in expansions syn does not see; reading it is what would differ.
const PATH_METHODS: &[&str] = &["target", "module_path"];

/// Lints that only a crate root's level decides (missing crate docs, unused dependencies
/// of the crate, reachability from the crate's exports).
const CRATE_LINTS: &[&str] = &[
    "missing_docs",
    "unused_crate_dependencies",
    "unused_extern_crates",
    "unreachable_pub",
    "missing_debug_implementations",
    "missing_copy_implementations",
];

const LINT_LEVELS: &[&str] = &["allow", "warn", "deny", "forbid", "expect"];

/// Why `text` (a whole exercise file: a wrong fix spliced onto its tests) must be built
/// on its own; empty when it may be a module of a merged crate.
pub fn blockers(text: &str) -> Vec<String> {
    let mut found = Blockers::default();
    if text.contains(MODULE_PREFIX) {
        found.note(format!(
            "spells `{MODULE_PREFIX}`, the merged modules' prefix"
        ));
    }
    let file = match syn::parse_file(text) {
        Ok(file) => file,
        Err(_) => {
            // Its own build will say what is wrong.
            found.note("does not parse".into());
            return found.list;
        }
    };
    for attr in &file.attrs {
        found.crate_attribute(attr);
    }
    for item in &file.items {
        found.visit_item(item);
    }
    found.list
}

#[derive(Default)]
struct Blockers {
    list: Vec<String>,
    /// How many `mod` blocks the visitor is in: `super` may climb that many.
    depth: usize,
}

impl Blockers {
    fn note(&mut self, why: String) {
        if !self.list.contains(&why) {
            self.list.push(why);
        }
    }

    /// A crate-level (inner) attribute: only lint levels act the same on a module, and
    /// not for lints that only the crate root's level decides.
    fn crate_attribute(&mut self, attr: &syn::Attribute) {
        let name = path_text(attr.path());
        if !LINT_LEVELS.contains(&name.as_str()) {
            self.note(format!("sets the crate attribute `#![{name}]`"));
            return;
        }
        let mut lints = Vec::new();
        if let syn::Meta::List(list) = &attr.meta {
            idents(&list.tokens, &mut lints);
        }
        for lint in lints {
            if CRATE_LINTS.contains(&lint.as_str()) || lint == "rustdoc" {
                self.note(format!("sets the crate-level lint `{lint}`"));
            }
        }
    }

    fn attribute(&mut self, attr: &syn::Attribute) {
        // `#[unsafe(no_mangle)]` and `#[cfg_attr(cond, no_mangle)]` name theirs inside.
        let mut names = vec![last_segment(attr.path())];
        if let syn::Meta::List(list) = &attr.meta
            && (attr.path().is_ident("unsafe") || attr.path().is_ident("cfg_attr"))
        {
            idents(&list.tokens, &mut names);
        }
        for name in names {
            if let Some((_, why)) = ROOT_ATTRIBUTES.iter().find(|(n, _)| *n == name) {
                self.note(format!("{why} (`#[{name}]`)"));
            }
        }
    }

    /// A path, as segment names: `crate::…` names the merged crate's root instead; a
    /// `super` above the file's top names it too; and some standard paths read what
    /// differs between the two binaries.
    fn segments(&mut self, segments: &[String]) {
        let supers = segments.iter().take_while(|s| *s == "super").count();
        if segments.first().is_some_and(|s| s == "crate") {
            self.note("names the crate root (`crate::`)".into());
        }
        if supers > self.depth {
            self.note("names the crate root (`super::` at the top)".into());
        }
        for pair in segments.windows(2) {
            match (pair[0].as_str(), pair[1].as_str()) {
                ("env", "args" | "args_os" | "*") => {
                    self.note("reads the process arguments".into());
                }
                ("env", "current_exe") | ("any", "type_name" | "type_name_of_val") => {
                    self.name(&pair[1]);
                }
                ("any", "*") => self.note("reads a type's path (`std::any::*`)".into()),
                ("tracing_subscriber", "fmt" | "filter") => {
                    self.note(format!(
                        "prints or filters events by target (`{}::{}`)",
                        pair[0], pair[1]
                    ));
                }
                ("thread", "current" | "*") => {
                    // Test threads are named after their tests, module included.
                    self.note("reads the current thread's name".into());
                }
                _ => {}
            }
        }
        for segment in segments {
            self.name(segment);
        }
    }

    fn name(&mut self, name: &str) {
        if let Some((_, why)) = ROOT_NAMES.iter().find(|(n, _)| *n == name) {
            self.note(format!("{why} (`{name}`)"));
        }
    }

    fn method(&mut self, name: &str) {
        if PATH_METHODS.contains(&name) {
            self.note(format!("reads where an event was emitted (`.{name}()`)"));
        }
    }

    fn macro_name(&mut self, name: &str, args: Option<&TokenStream>) {
        if let Some((_, why)) = ROOT_MACROS.iter().find(|(n, _)| *n == name) {
            self.note(format!("{why} (`{name}!`)"));
        }
        if name == "env" || name == "option_env" {
            // Cargo's variables name the crate and the binary (`CARGO_BIN_NAME`,
            // `CARGO_CRATE_NAME`); a name that is not a plain literal could be one.
            let first = args.and_then(|a| a.clone().into_iter().next());
            let plain = matches!(&first, Some(TokenTree::Literal(lit))
                if lit.to_string().starts_with('"') && !lit.to_string().starts_with("\"CARGO_"));
            if !plain {
                self.note(format!("reads a Cargo variable at build time (`{name}!`)"));
            }
        }
    }

    /// Macro arguments are tokens to syn: the same rules, read from the tokens.
    fn tokens(&mut self, tokens: &TokenStream) {
        let trees: Vec<TokenTree> = tokens.clone().into_iter().collect();
        let mut path: Vec<String> = Vec::new();
        for (index, tree) in trees.iter().enumerate() {
            match tree {
                TokenTree::Ident(ident) => {
                    let name = ident.to_string();
                    if index > 0 && is_punct(&trees[index - 1], '.') {
                        self.method(&name);
                    }
                    let next = trees.get(index + 1);
                    if next.is_some_and(|t| is_punct(t, '!')) {
                        let args = match trees.get(index + 2) {
                            Some(TokenTree::Group(group)) => Some(group.stream()),
                            _ => None,
                        };
                        self.macro_name(&name, args.as_ref());
                    }
                    path.push(name);
                    // `$crate`, `crate::`, and `pub(crate)` alike: conservative.
                    if path.last().is_some_and(|s| s == "crate") {
                        self.note("names the crate root (`crate`)".into());
                    }
                }
                TokenTree::Punct(p) if p.as_char() == ':' => continue,
                TokenTree::Group(group) => {
                    self.segments(&std::mem::take(&mut path));
                    self.tokens(&group.stream());
                    continue;
                }
                _ => {}
            }
            // A path goes on through `::` only.
            let continues = matches!(tree, TokenTree::Ident(_))
                && trees.get(index + 1).is_some_and(|t| is_punct(t, ':'));
            if !continues {
                self.segments(&std::mem::take(&mut path));
            }
        }
        self.segments(&path);
    }
}

impl<'ast> Visit<'ast> for Blockers {
    fn visit_attribute(&mut self, attr: &'ast syn::Attribute) {
        self.attribute(attr);
        visit::visit_attribute(self, attr);
    }

    fn visit_item_extern_crate(&mut self, item: &'ast syn::ItemExternCrate) {
        // At the root it adds to every module's extern prelude; in a module, to its own.
        self.note("declares `extern crate`".into());
        visit::visit_item_extern_crate(self, item);
    }

    fn visit_item_foreign_mod(&mut self, item: &'ast syn::ItemForeignMod) {
        // Declarations of one binary: linked once, and checked against each other.
        self.note("declares foreign functions (`extern` block)".into());
        visit::visit_item_foreign_mod(self, item);
    }

    fn visit_item_mod(&mut self, item: &'ast syn::ItemMod) {
        if item.content.is_none() {
            self.note(format!(
                "declares the out-of-line module `{}` (found from a module file's own folder)",
                item.ident
            ));
        }
        self.depth += 1;
        visit::visit_item_mod(self, item);
        self.depth -= 1;
    }

    fn visit_expr_method_call(&mut self, call: &'ast syn::ExprMethodCall) {
        self.method(&call.method.to_string());
        // `thread::current().id()` reads no name: the thread's id is the same either way.
        if call.method == "id"
            && let syn::Expr::Call(current) = &*call.receiver
            && current.args.is_empty()
            && let syn::Expr::Path(path) = &*current.func
            && path.path.segments.len() >= 2
            && path
                .path
                .segments
                .iter()
                .rev()
                .take(2)
                .map(|s| s.ident.to_string())
                .eq(["current", "thread"])
        {
            let segments: Vec<String> = path
                .path
                .segments
                .iter()
                .map(|s| s.ident.to_string())
                .collect();
            self.segments(&segments[..segments.len() - 1]);
            for arg in &call.args {
                self.visit_expr(arg);
            }
            return;
        }
        visit::visit_expr_method_call(self, call);
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
        self.segments(&segments);
        visit::visit_path(self, path);
    }

    fn visit_visibility(&mut self, vis: &'ast syn::Visibility) {
        // `pub(crate)` means the same in a module of a binary; `pub(super)` and
        // `pub(in …)` are paths.
        if let syn::Visibility::Restricted(restricted) = vis
            && !(restricted.in_token.is_none() && restricted.path.is_ident("crate"))
        {
            self.visit_path(&restricted.path);
        }
    }

    fn visit_use_tree(&mut self, tree: &'ast syn::UseTree) {
        let mut leaves = Vec::new();
        use_paths(tree, &mut Vec::new(), &mut leaves);
        for leaf in leaves {
            self.segments(&leaf);
        }
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        self.macro_name(&last_segment(&mac.path), Some(&mac.tokens));
        self.tokens(&mac.tokens);
        visit::visit_macro(self, mac);
    }
}

/// Each path a `use` tree imports, as segment names (`*` for a glob); a renamed import of
/// a watched module (`use std::env as e`) keeps the module's name last, so it is judged
/// as that module.
fn use_paths(tree: &syn::UseTree, prefix: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    let leaf = |prefix: &Vec<String>, name: String| {
        let mut path = prefix.clone();
        path.push(name);
        path
    };
    match tree {
        syn::UseTree::Path(path) => {
            prefix.push(path.ident.to_string());
            use_paths(&path.tree, prefix, out);
            prefix.pop();
        }
        syn::UseTree::Name(name) => out.push(leaf(prefix, name.ident.to_string())),
        syn::UseTree::Rename(rename) => {
            let mut path = leaf(prefix, rename.ident.to_string());
            if ["env", "any", "thread"].contains(&rename.ident.to_string().as_str()) {
                // Later paths through the new name escape the pair rules: block now.
                path.push("*".into());
            }
            out.push(path);
        }
        syn::UseTree::Glob(_) => out.push(leaf(prefix, "*".into())),
        syn::UseTree::Group(group) => {
            for tree in &group.items {
                use_paths(tree, prefix, out);
            }
        }
    }
}

fn idents(tokens: &TokenStream, out: &mut Vec<String>) {
    for tree in tokens.clone() {
        match tree {
            TokenTree::Ident(ident) => out.push(ident.to_string()),
            TokenTree::Group(group) => idents(&group.stream(), out),
            _ => {}
        }
    }
}

fn is_punct(tree: &TokenTree, c: char) -> bool {
    matches!(tree, TokenTree::Punct(p) if p.as_char() == c)
}

fn last_segment(path: &syn::Path) -> String {
    path.segments
        .last()
        .map(|s| s.ident.to_string())
        .unwrap_or_default()
}

fn path_text(path: &syn::Path) -> String {
    path.segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect::<Vec<_>>()
        .join("::")
}

#[cfg(test)]
mod tests {
    use super::*;

    const TESTS: &str = "// Tests: do not edit below this line.\n#[cfg(test)]\nmod tests {\n    use super::*;\n\n    #[tokio::test]\n    async fn answers() {\n        assert_eq!(super::answer(), 42, \"{}\", line!());\n    }\n}\n";

    fn with_tests(learner: &str) -> Vec<String> {
        blockers(&format!("{learner}\n{TESTS}"))
    }

    #[test]
    fn ordinary_code_merges() {
        let honest = "#![allow(dead_code, clippy::all)]\nfn log() { tracing::info!(id = 1, \"loaded\"); }\n// wrong fix: x\nuse std::collections::HashMap;\nuse std::sync::OnceLock;\n\nstatic CACHE: OnceLock<u32> = OnceLock::new();\n\npub(crate) fn answer() -> u32 {\n    let _ = std::env::var(\"HOME\");\n    let _ = env!(\"PATH\");\n    let args = vec![1];\n    format!(\"{args:?}\").len() as u32\n}\n\nmod inner {\n    pub(super) fn f() -> u32 { super::answer() }\n}\n\n#[derive(Debug, serde::Serialize)]\n#[serde(rename_all = \"camelCase\")]\nstruct S;\n\nmacro_rules! twice { ($e:expr) => { $e * 2 }; }\n\nfn main() { let _ = twice!(inner::f()); let _: HashMap<u8, u8> = HashMap::new(); }\n";
        assert_eq!(with_tests(honest), Vec::<String>::new());
    }

    #[test]
    fn what_a_crate_root_means_blocks() {
        for learner in [
            "#[global_allocator]\nstatic A: std::alloc::System = std::alloc::System;\n",
            "#[macro_export]\nmacro_rules! m { () => {} }\n",
            "#[unsafe(no_mangle)]\npub extern \"C\" fn f() {}\n",
            "#[no_mangle]\npub extern \"C\" fn f() {}\n",
            "#[cfg_attr(unix, unsafe(export_name = \"f\"))]\npub fn f() {}\n",
            "#[unsafe(link_section = \".init_array\")]\nstatic F: u8 = 0;\n",
            "#[used]\nstatic F: u8 = 0;\n",
            "extern crate serde;\n",
            "unsafe extern \"C\" { fn abs(x: i32) -> i32; }\n",
            "#![feature(test)]\n",
            "#![no_implicit_prelude]\n",
            "#![deny(missing_docs)]\n",
            "mod helpers;\n",
            "#[path = \"x.rs\"]\nmod helpers { }\n",
            "fn f() { crate::g() }\nfn g() {}\n",
            "use crate::g;\n",
            "use super::*;\n",
            "pub(super) fn f() {}\n",
            "pub(in crate::m) fn f() {}\n",
            "fn f() -> &'static str { module_path!() }\n",
            "fn f() -> &'static str { file!() }\n",
            "const S: &str = include_str!(\"a.txt\");\n",
            "fn f() -> &'static str { env!(\"CARGO_BIN_NAME\") }\n",
            "fn f() -> Option<&'static str> { option_env!(\"CARGO_CRATE_NAME\") }\n",
            "fn f() -> &'static str { std::any::type_name::<u8>() }\n",
            "use std::any::type_name;\n",
            "use std::any::*;\n",
            "fn f() { let _ = std::env::current_exe(); }\n",
            "fn f() { let _ = std::env::args().count(); }\n",
            "use std::env::args;\n",
            "use std::env as e;\n",
            "fn f() { let _ = std::thread::current().name().map(str::len); }\n",
            "fn f() { let t = std::thread::current(); let _ = t.id(); }\n",
            "macro_rules! m { () => { $crate::f() }; }\n",
            "fn f() { println!(\"{}\", module_path!()); }\n",
            "fn f() { println!(\"{:?}\", std::env::args()); }\n",
            "fn f() { vec![crate::g()]; }\n",
            "fn f() { vec![super::g()]; }\n",
            "#[ctor::ctor]\nfn init() {}\n",
            "inventory::submit! { 1 }\n",
            "std::arch::global_asm!(\"\");\n",
            "fn f(e: &tracing::Event) -> &str { e.metadata().target() }\n",
            "fn f(r: &log::Record) { println!(\"{}\", r.module_path().unwrap_or(\"\")); }\n",
            "fn f() { tracing_subscriber::fmt().init(); }\n",
            "fn f() { let _ = tracing_subscriber::EnvFilter::new(\"x=debug\"); }\n",
            "fn f() { println!(\"{}\", std::backtrace::Backtrace::force_capture()); }\n",
            "const X: &str = \"backlings_wrong_fix_3::tests\";\n",
            "fn f( {\n",
        ] {
            assert!(!with_tests(learner).is_empty(), "{learner}");
        }
    }

    #[test]
    fn a_threads_id_is_no_name() {
        assert!(with_tests("fn f() { let _ = std::thread::current().id(); }\n").is_empty());
        assert!(with_tests("fn f() { let _ = thread::current().id(); }\n").is_empty());
    }

    #[test]
    fn super_may_climb_to_the_files_top() {
        assert!(
            with_tests("mod a { mod b { fn f() { super::super::g() } } }\nfn g() {}\n").is_empty()
        );
        assert!(!with_tests("mod a { fn f() { super::super::g() } }\n").is_empty());
        assert!(!with_tests("mod a { fn f() { vec![super::super::g()]; } }\n").is_empty());
    }

    #[test]
    fn the_tests_part_counts_too() {
        let tests = TESTS.replace("use super::*;", "use crate::*;");
        assert!(!blockers(&format!("fn answer() -> u32 {{ 42 }}\n{tests}")).is_empty());
        let allocator = TESTS.replace(
            "    use super::*;\n",
            "    use super::*;\n    #[global_allocator]\n    static A: std::alloc::System = std::alloc::System;\n",
        );
        assert_eq!(
            blockers(&format!("fn answer() -> u32 {{ 42 }}\n{allocator}")),
            ["sets the global allocator (`#[global_allocator]`)"]
        );
    }
}
