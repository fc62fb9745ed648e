//! Running one module of a merged test binary as if it were a binary of its own. The
//! wrong fixes of an exercise are built as one crate, one module each (see
//! [`wrong_fixes`](crate::wrong_fixes)); each still runs in a process of its own, with
//! libtest's filter for its module, so no process-global state (allocator, tracing's
//! subscriber, environment, statics) is shared between them. What the run prints is read
//! as its own binary would have printed it: test names without the module, and no test
//! filtered out.

/// Lines longer than this are passed on as they are: a rewrite needs the whole line, and
/// memory stays bounded whatever the code under test prints.
const MAX_LINE: usize = 64 * 1024;

/// The module of a merged test binary that one exercise's tests are under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    /// `module::`, the filter and the prefix of every test name.
    prefix: String,
}

impl Scope {
    pub fn new(module: &str) -> Self {
        Self {
            prefix: format!("{module}::"),
        }
    }

    /// libtest's filter that runs (or lists) this module's tests only. It is a substring
    /// filter: module names are chosen so that none is found in another's test names.
    pub fn filter(&self) -> &str {
        &self.prefix
    }

    /// A test name as the module's own binary would give it.
    pub fn test_name(&self, name: &str) -> String {
        name.strip_prefix(&self.prefix).unwrap_or(name).to_string()
    }

    /// One line of the run's output as its own binary would have printed it: the module
    /// left out of test names (libtest's lines, panic messages' thread names), and the
    /// closing count with no test filtered out (its own binary runs unfiltered).
    pub fn rewrite_line(&self, line: &str) -> String {
        let line = line.replace(&self.prefix, "");
        if !console::strip_ansi_codes(&line).starts_with("test result: ") {
            return line;
        }
        match filtered_count(&line) {
            Some(range) => format!("{}0{}", &line[..range.start], &line[range.end..]),
            None => line,
        }
    }

    /// A sink adapter that rewrites whole lines (see [`Scope::rewrite_line`]).
    pub fn rewriter(&self) -> Rewriter {
        Rewriter {
            scope: self.clone(),
            partial: Vec::new(),
        }
    }
}

/// Where the number in `; N filtered out` is.
fn filtered_count(line: &str) -> Option<std::ops::Range<usize>> {
    let end = line.find(" filtered out")?;
    let start = line[..end].rfind(|c: char| !c.is_ascii_digit())? + 1;
    (start < end).then_some(start..end)
}

/// Cuts a byte stream into lines and rewrites each for its scope.
#[derive(Debug)]
pub struct Rewriter {
    scope: Scope,
    partial: Vec<u8>,
}

impl Rewriter {
    /// The rewritten lines completed by `bytes` (each with its newline).
    pub fn push(&mut self, bytes: &[u8]) -> Vec<Vec<u8>> {
        let mut done = Vec::new();
        for chunk in bytes.split_inclusive(|&b| b == b'\n') {
            self.partial.extend_from_slice(chunk);
            if chunk.ends_with(b"\n") {
                let line = std::mem::take(&mut self.partial);
                done.push(self.rewrite(line));
            } else if self.partial.len() > MAX_LINE {
                done.push(std::mem::take(&mut self.partial));
            }
        }
        done
    }

    /// What is left of an unfinished last line.
    pub fn finish(&mut self) -> Vec<u8> {
        let rest = std::mem::take(&mut self.partial);
        if rest.is_empty() {
            rest
        } else {
            self.rewrite(rest)
        }
    }

    fn rewrite(&self, line: Vec<u8>) -> Vec<u8> {
        match String::from_utf8(line) {
            Ok(text) => self.scope.rewrite_line(&text).into_bytes(),
            // Not text: passed on untouched, as the terminal would show it.
            Err(err) => err.into_bytes(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_read_as_the_modules_own_binary_would_print_them() {
        let scope = Scope::new("backlings_wrong_fix_1");
        assert_eq!(scope.filter(), "backlings_wrong_fix_1::");
        assert_eq!(
            scope.rewrite_line("test backlings_wrong_fix_1::tests::a ... FAILED\n"),
            "test tests::a ... FAILED\n"
        );
        assert_eq!(
            scope.rewrite_line(
                "thread 'backlings_wrong_fix_1::tests::a' panicked at exercises/a1__x.rs:3:5:\n"
            ),
            "thread 'tests::a' panicked at exercises/a1__x.rs:3:5:\n"
        );
        assert_eq!(
            scope.rewrite_line(
                "test result: FAILED. 1 passed; 1 failed; 0 ignored; 0 measured; 12 filtered out; finished in 0.01s\n"
            ),
            "test result: FAILED. 1 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.01s\n"
        );
        assert_eq!(scope.rewrite_line("12 filtered out\n"), "12 filtered out\n");
        assert_eq!(
            scope.test_name("backlings_wrong_fix_1::tests::a"),
            "tests::a"
        );
    }

    #[test]
    fn lines_are_rewritten_whole_across_chunks() {
        let mut rewriter = Scope::new("m").rewriter();
        assert!(rewriter.push(b"test m::te").is_empty());
        assert_eq!(
            rewriter.push(b"sts::a ... ok\ntest m::"),
            [b"test tests::a ... ok\n".to_vec()]
        );
        assert_eq!(rewriter.finish(), b"test ".to_vec());
        assert!(rewriter.finish().is_empty());
        let long = vec![b'x'; MAX_LINE + 1];
        assert_eq!(rewriter.push(&long), vec![long]);
    }
}
