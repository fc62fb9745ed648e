//! Bounded capture of a child's output: the head and the tail are kept, the middle is
//! counted and dropped, so a program printing forever cannot grow the runner's memory.
//! Also follows libtest's progress lines to know which tests finished.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// Default bytes kept at each end of a captured stream.
pub const DEFAULT_HALF_CAP: usize = 32 * 1024;

/// Output kept from a run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Captured {
    pub head: Vec<u8>,
    pub tail: Vec<u8>,
    /// Bytes dropped between head and tail.
    pub omitted: u64,
}

impl Captured {
    /// The kept output as text, with a marker where bytes were cut.
    pub fn text(&self) -> String {
        let mut out = String::from_utf8_lossy(&self.head).into_owned();
        if self.omitted > 0 {
            if !out.ends_with('\n') {
                out.push('\n');
            }
            out.push_str(&format!(
                "... [{} bytes of output omitted] ...\n",
                self.omitted
            ));
        }
        out.push_str(&String::from_utf8_lossy(&self.tail));
        out
    }

    pub fn total_len(&self) -> u64 {
        self.head.len() as u64 + self.tail.len() as u64 + self.omitted
    }
}

/// Accumulates a stream into a [`Captured`] with a fixed memory bound.
#[derive(Debug)]
pub struct HeadTail {
    half_cap: usize,
    head: Vec<u8>,
    tail: VecDeque<u8>,
    omitted: u64,
}

impl HeadTail {
    pub fn new(half_cap: usize) -> Self {
        Self {
            half_cap,
            head: Vec::new(),
            tail: VecDeque::new(),
            omitted: 0,
        }
    }

    pub fn push(&mut self, mut bytes: &[u8]) {
        let room = self.half_cap - self.head.len();
        if room > 0 {
            let taken = room.min(bytes.len());
            self.head.extend_from_slice(&bytes[..taken]);
            bytes = &bytes[taken..];
        }
        if bytes.len() >= self.half_cap {
            // The whole tail is replaced; everything before the last half_cap bytes goes.
            self.omitted += (self.tail.len() + bytes.len() - self.half_cap) as u64;
            self.tail.clear();
            self.tail.extend(&bytes[bytes.len() - self.half_cap..]);
            return;
        }
        let overflow = (self.tail.len() + bytes.len()).saturating_sub(self.half_cap);
        self.tail.drain(..overflow);
        self.omitted += overflow as u64;
        self.tail.extend(bytes);
    }

    pub fn finish(self) -> Captured {
        Captured {
            head: self.head,
            tail: self.tail.into(),
            omitted: self.omitted,
        }
    }
}

/// How one test ended, as libtest reported it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestResult {
    Ok,
    Failed,
    Ignored,
}

/// libtest's closing line: `test result: ok. 3 passed; 0 failed; 0 ignored; ...`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    pub ok: bool,
    pub passed: usize,
    pub failed: usize,
    pub ignored: usize,
}

/// Follows libtest's human output (`test name ... ok`) line by line.
#[derive(Debug, Default)]
pub struct TestProgress {
    partial: Vec<u8>,
    results: BTreeMap<String, TestResult>,
    announced: Option<usize>,
    summary: Option<Summary>,
}

impl TestProgress {
    pub fn push(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            if byte == b'\n' {
                let line = std::mem::take(&mut self.partial);
                // With `--color always` the outcome word is wrapped in colour codes.
                self.line(&console::strip_ansi_codes(&String::from_utf8_lossy(&line)));
            } else if self.partial.len() < 4096 {
                self.partial.push(byte);
            }
        }
    }

    fn line(&mut self, line: &str) {
        let line = line.trim_end();
        if let Some(count) = line
            .strip_prefix("running ")
            .and_then(|rest| rest.strip_suffix(" tests").or(rest.strip_suffix(" test")))
            .and_then(|n| n.parse().ok())
        {
            self.announced = Some(count);
            return;
        }
        if let Some(rest) = line.strip_prefix("test result: ") {
            self.summary = parse_summary(rest);
            return;
        }
        let Some(rest) = line.strip_prefix("test ") else {
            return;
        };
        let Some((name, outcome)) = rest.rsplit_once(" ... ") else {
            return;
        };
        let result = if outcome.starts_with("ok") {
            TestResult::Ok
        } else if outcome.starts_with("FAILED") {
            TestResult::Failed
        } else if outcome.starts_with("ignored") {
            TestResult::Ignored
        } else {
            return;
        };
        self.results.insert(name.trim().to_string(), result);
    }

    /// Every test that reported, with how it ended.
    pub fn results(&self) -> &BTreeMap<String, TestResult> {
        &self.results
    }

    /// Names of the tests that reported a result.
    pub fn finished(&self) -> BTreeSet<String> {
        self.results.keys().cloned().collect()
    }

    /// The closing summary line, if the harness got to print it.
    pub fn summary(&self) -> Option<Summary> {
        self.summary
    }

    /// How many tests libtest said it would run.
    pub fn announced(&self) -> Option<usize> {
        self.announced
    }

    /// libtest announced that it runs no test at all.
    pub fn ran_none(&self) -> bool {
        self.announced == Some(0) && self.results.is_empty()
    }
}

fn parse_summary(rest: &str) -> Option<Summary> {
    let (status, counts) = rest.split_once(". ")?;
    let mut summary = Summary {
        ok: status == "ok",
        ..Summary::default()
    };
    for part in counts.split(';') {
        let mut words = part.split_whitespace();
        let (Some(number), Some(label)) = (words.next(), words.next()) else {
            continue;
        };
        let Ok(number) = number.parse() else { continue };
        match label {
            "passed" => summary.passed = number,
            "failed" => summary.failed = number,
            "ignored" => summary.ignored = number,
            _ => {}
        }
    }
    Some(summary)
}

/// Test names from `--list --format terse` output (`name: test`).
pub fn parse_test_list(listing: &str) -> Vec<String> {
    listing
        .lines()
        .filter_map(|line| line.strip_suffix(": test"))
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_output_is_kept_whole() {
        let mut cap = HeadTail::new(8);
        cap.push(b"hello ");
        cap.push(b"you");
        let c = cap.finish();
        assert_eq!(c.text(), "hello you");
        assert_eq!(c.omitted, 0);
        assert_eq!(c.total_len(), 9);
    }

    #[test]
    fn long_output_keeps_head_and_tail() {
        let mut cap = HeadTail::new(4);
        for chunk in [&b"abcdef"[..], b"ghij", b"k", b"lmnopqrstuvwxyz"] {
            cap.push(chunk);
        }
        let c = cap.finish();
        assert_eq!(c.head, b"abcd");
        assert_eq!(c.tail, b"wxyz");
        assert_eq!(c.total_len(), 26);
        assert!(c.text().contains("[18 bytes of output omitted]"));
    }

    #[test]
    fn byte_at_a_time_matches_bulk() {
        let data: Vec<u8> = (0..=255u8).cycle().take(10_000).collect();
        let mut bulk = HeadTail::new(100);
        bulk.push(&data);
        let mut drip = HeadTail::new(100);
        for b in &data {
            drip.push(std::slice::from_ref(b));
        }
        assert_eq!(bulk.finish(), drip.finish());
    }

    #[test]
    fn follows_finished_tests_across_chunks() {
        let mut p = TestProgress::default();
        p.push(b"running 3 tests\ntest tests::a ... ok\ntest tests::b ... FAI");
        p.push(b"LED\ntest tests::c has been running for over 60 seconds\n");
        p.push(b"test tests::d ... \x1b[32mok\x1b[0m\n");
        let names: Vec<_> = p.finished().into_iter().collect();
        assert_eq!(names, ["tests::a", "tests::b", "tests::d"]);
        assert_eq!(p.results()["tests::b"], TestResult::Failed);
        assert!(!p.ran_none());
        let mut empty = TestProgress::default();
        empty.push(b"\nrunning 0 tests\n\ntest result: ok. 0 passed\n");
        assert!(empty.ran_none());
    }

    #[test]
    fn reads_the_summary_line() {
        let mut p = TestProgress::default();
        p.push(b"running 2 tests\ntest a ... ok\ntest b ... ignored, slow\n\n");
        p.push(b"test result: \x1b[32mok\x1b[0m. 1 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.00s\n");
        assert_eq!(
            p.summary(),
            Some(Summary {
                ok: true,
                passed: 1,
                failed: 0,
                ignored: 1
            })
        );
        assert_eq!(p.results()["b"], TestResult::Ignored);
        let mut cut = TestProgress::default();
        cut.push(b"running 2 tests\ntest a ... ok\n");
        assert_eq!(cut.summary(), None);
    }

    #[test]
    fn parses_terse_listing() {
        let list = "tests::a: test\ntests::b: test\n\n2 tests, 0 benchmarks\n";
        assert_eq!(parse_test_list(list), ["tests::a", "tests::b"]);
    }
}
