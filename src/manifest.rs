//! `info.toml`: the exercise set's manifest, in rustlings' community format version 1
//! plus backlings' optional `timeout_secs`.
//!
//! Parsing is pure: text in, a validated [`Manifest`] (with warnings) or every problem
//! found out. Each problem carries the line, column and key it is about.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

/// The only `format_version` this runner understands (rustlings' community format).
pub const FORMAT_VERSION: i64 = 1;
/// Wall-clock limit for running an exercise's tests or program when the manifest sets none.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
const MAX_TIMEOUT_SECS: i64 = 3600;

/// A validated manifest.
#[derive(Debug, Clone, PartialEq)]
pub struct Manifest {
    pub welcome_message: Option<String>,
    pub final_message: Option<String>,
    pub exercises: Vec<ExerciseEntry>,
}

/// What the learner does in an exercise.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Mode {
    /// Fix the code above the marker until the given tests pass (the default).
    #[default]
    Fix,
    /// Write the tests below the marker: they must pass against the given implementation
    /// and fail against every mutant of it (`mutants/<name>/`).
    Tests,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Fix => "fix",
            Mode::Tests => "tests",
        }
    }
}

/// A server an exercise's tests need, which the runner provides (see `services`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Service {
    /// A PostgreSQL server; each run gets a fresh database through `DATABASE_URL`.
    Postgres,
}

impl Service {
    pub const ALL: [Service; 1] = [Service::Postgres];

    /// The name used in `info.toml`.
    pub fn name(self) -> &'static str {
        match self {
            Service::Postgres => "postgres",
        }
    }

    fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.name() == name)
    }
}

/// One `[[exercises]]` table, validated and with defaults applied.
#[derive(Debug, Clone, PartialEq)]
pub struct ExerciseEntry {
    pub name: String,
    /// Chapter folder under `exercises/` (and `solutions/`), if any.
    pub dir: Option<String>,
    /// `true`: run the exercise's `#[test]`s; `false`: run `main`, which must exit 0.
    pub test: bool,
    pub strict_clippy: bool,
    pub hint: String,
    pub skip_check_unsolved: bool,
    pub timeout: Duration,
    /// What passing the exercise is worth in a grade (`points`, else the set's
    /// `default_points`, else 1).
    pub points: u32,
    /// What the learner writes: the fix, or the tests.
    pub mode: Mode,
    /// Servers the tests need (the entry's `services` and its chapter's), sorted.
    pub services: Vec<Service>,
    /// 1-based line of the entry's `name`, for messages that point back at the manifest.
    pub line: usize,
}

impl ExerciseEntry {
    /// An entry with every default, for tests elsewhere in the crate.
    #[cfg(test)]
    pub(crate) fn sample(name: &str, dir: Option<&str>) -> Self {
        Self {
            name: name.into(),
            dir: dir.map(Into::into),
            test: true,
            strict_clippy: false,
            hint: "h".into(),
            skip_check_unsolved: false,
            timeout: DEFAULT_TIMEOUT,
            points: 1,
            mode: Mode::Fix,
            services: Vec::new(),
            line: 1,
        }
    }

    /// Path of the exercise relative to the set root, with `/` separators.
    pub fn exercise_path(&self) -> String {
        self.relative_path("exercises")
    }

    /// Path of the solution relative to the set root, with `/` separators.
    pub fn solution_path(&self) -> String {
        self.relative_path("solutions")
    }

    fn relative_path(&self, top: &str) -> String {
        match &self.dir {
            Some(dir) => format!("{top}/{dir}/{}.rs", self.name),
            None => format!("{top}/{}.rs", self.name),
        }
    }
}

/// A problem (or warning) located in the manifest text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub line: usize,
    pub column: usize,
    /// The key the message is about, e.g. `exercises[3].hint`.
    pub key: Option<String>,
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: ", self.line, self.column)?;
        if let Some(key) = &self.key {
            write!(f, "`{key}`: ")?;
        }
        f.write_str(&self.message)
    }
}

/// Every problem that keeps a manifest from being used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{} problem(s) in the manifest", problems.len())]
pub struct ManifestError {
    pub problems: Vec<Diagnostic>,
}

/// A manifest that parsed, and what was odd about it.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    pub manifest: Manifest,
    pub warnings: Vec<Diagnostic>,
}

#[derive(Deserialize)]
struct RawManifest {
    format_version: Option<Spanned<i64>>,
    welcome_message: Option<String>,
    final_message: Option<String>,
    default_points: Option<Spanned<i64>>,
    /// Settings shared by every exercise of a chapter folder (`[chapters.<dir>]`).
    #[serde(default)]
    chapters: BTreeMap<String, Spanned<RawChapter>>,
    #[serde(default)]
    exercises: Vec<Spanned<RawExercise>>,
}

#[derive(Deserialize)]
struct RawChapter {
    services: Option<Spanned<Vec<Spanned<String>>>>,
}

#[derive(Deserialize)]
struct RawExercise {
    name: Option<Spanned<String>>,
    dir: Option<Spanned<String>>,
    test: Option<bool>,
    strict_clippy: Option<bool>,
    hint: Option<Spanned<String>>,
    skip_check_unsolved: Option<bool>,
    timeout_secs: Option<Spanned<i64>>,
    points: Option<Spanned<i64>>,
    mode: Option<Spanned<String>>,
    services: Option<Spanned<Vec<Spanned<String>>>>,
}

/// Parses and validates a manifest as read from disk: it must be UTF-8 (TOML is), and a
/// stray byte is reported with its offset, line and column.
pub fn parse_bytes(bytes: &[u8]) -> Result<Parsed, ManifestError> {
    match std::str::from_utf8(bytes) {
        Ok(text) => parse(text),
        Err(err) => {
            let offset = err.valid_up_to();
            // The valid prefix locates the byte; the rest cannot be read as text.
            let prefix = std::str::from_utf8(&bytes[..offset]).unwrap_or_default();
            let (line, column) = Locator::new(prefix).line_col(offset);
            Err(ManifestError {
                problems: vec![Diagnostic {
                    line,
                    column,
                    key: None,
                    message: format!(
                        "byte {offset} (0x{:02x}) is not valid UTF-8; TOML files are UTF-8: save it as UTF-8 in your editor",
                        bytes[offset]
                    ),
                }],
            })
        }
    }
}

/// Parses and validates manifest text. Returns all problems found, not just the first.
pub fn parse(text: &str) -> Result<Parsed, ManifestError> {
    let locator = Locator::new(text);
    let mut ignored = Vec::new();
    let raw: RawManifest = toml::Deserializer::parse(text)
        .and_then(|de| serde_ignored::deserialize(de, |path| ignored.push(path.to_string())))
        .map_err(|err| ManifestError {
            problems: vec![syntax_problem(&locator, &err)],
        })?;

    let mut warnings: Vec<Diagnostic> = ignored
        .iter()
        .map(|path| unknown_key_warning(&locator, &raw, path))
        .collect();
    warnings.sort_by_key(|w| (w.line, w.column));
    let mut problems = Vec::new();
    check_format_version(&locator, raw.format_version.as_ref(), &mut problems);
    let default_points = points_value(
        &locator,
        raw.default_points.as_ref(),
        "default_points",
        1,
        &mut problems,
    );
    let chapters = validate_chapters(&locator, &raw, &mut problems, &mut warnings);
    let exercises = validate_exercises(
        &locator,
        &raw.exercises,
        default_points,
        &chapters,
        &mut problems,
    );
    if problems.is_empty() && exercises.is_empty() {
        problems.push(Diagnostic {
            line: 1,
            column: 1,
            key: Some("exercises".into()),
            message: "the set lists no exercises; add an [[exercises]] table".into(),
        });
    }
    if !problems.is_empty() {
        return Err(ManifestError { problems });
    }
    Ok(Parsed {
        manifest: Manifest {
            welcome_message: raw.welcome_message,
            final_message: raw.final_message,
            exercises,
        },
        warnings,
    })
}

/// A syntax or type error, located and with the key it is about: toml points at the
/// offending key (duplicates) or value (wrong types), and [`Locator::key_at`] names it.
fn syntax_problem(locator: &Locator, err: &toml::de::Error) -> Diagnostic {
    let offset = err.span().map(|span| span.start);
    let (line, column) = offset.map_or((1, 1), |offset| locator.line_col(offset));
    let mut message = err.message().trim().to_string();
    if message.starts_with("duplicate key") {
        message.push_str("; each key may appear once in a table: remove or rename one");
    }
    Diagnostic {
        line,
        column,
        key: offset.and_then(|offset| locator.key_at(offset)),
        message,
    }
}

fn check_format_version(
    locator: &Locator,
    version: Option<&Spanned<i64>>,
    problems: &mut Vec<Diagnostic>,
) {
    match version {
        None => problems.push(Diagnostic {
            line: 1,
            column: 1,
            key: Some("format_version".into()),
            message: format!("missing; add `format_version = {FORMAT_VERSION}` at the top"),
        }),
        Some(v) if *v.get_ref() != FORMAT_VERSION => problems.push(locator.at(
            v.span(),
            "format_version",
            format!(
                "version {} is not supported; this backlings reads version {FORMAT_VERSION}",
                v.get_ref()
            ),
        )),
        Some(_) => {}
    }
}

/// A points value (`points`, `default_points`): a whole number from 0 to [`MAX_POINTS`].
fn points_value(
    locator: &Locator,
    value: Option<&Spanned<i64>>,
    key: &str,
    default: u32,
    problems: &mut Vec<Diagnostic>,
) -> u32 {
    match value {
        None => default,
        Some(v) => match u32::try_from(*v.get_ref()) {
            Ok(points) if points <= MAX_POINTS => points,
            _ => {
                problems.push(locator.at(
                    v.span(),
                    key,
                    format!("must be a whole number from 0 to {MAX_POINTS}"),
                ));
                default
            }
        },
    }
}

/// The most points one exercise can be worth.
const MAX_POINTS: u32 = 10_000;

/// The services each chapter folder's exercises need.
type ChapterServices = BTreeMap<String, Vec<Service>>;

fn validate_chapters(
    locator: &Locator,
    raw: &RawManifest,
    problems: &mut Vec<Diagnostic>,
    warnings: &mut Vec<Diagnostic>,
) -> ChapterServices {
    let mut chapters = ChapterServices::new();
    for (dir, chapter) in &raw.chapters {
        let key = format!("chapters.{dir}");
        // The table's own span starts at its first key; its header is the line above.
        let at = locator.header_of(chapter.span().start);
        if let Err(why) = check_dir(dir) {
            problems.push(locator.at(at..at, &key, why));
            continue;
        }
        if !raw
            .exercises
            .iter()
            .any(|e| e.get_ref().dir.as_ref().is_some_and(|d| d.get_ref() == dir))
        {
            warnings.push(locator.at(
                at..at,
                &key,
                format!("no exercise has `dir = \"{dir}\"`, so this table applies to none"),
            ));
        }
        let services = services_value(
            locator,
            chapter.get_ref().services.as_ref(),
            &format!("{key}.services"),
            problems,
        );
        chapters.insert(dir.clone(), services);
    }
    chapters
}

/// A `services` list: known service names, each once.
fn services_value(
    locator: &Locator,
    value: Option<&Spanned<Vec<Spanned<String>>>>,
    key: &str,
    problems: &mut Vec<Diagnostic>,
) -> Vec<Service> {
    let mut services = Vec::new();
    for name in value.map(|v| v.get_ref().as_slice()).unwrap_or_default() {
        match Service::parse(name.get_ref()) {
            Some(service) if !services.contains(&service) => services.push(service),
            Some(_) => problems.push(locator.at(
                name.span(),
                key,
                format!("`{}` is listed twice", name.get_ref()),
            )),
            None => problems.push(locator.at(
                name.span(),
                key,
                format!(
                    "`{}` is not a service backlings provides; known: {}",
                    name.get_ref(),
                    Service::ALL.map(Service::name).join(", ")
                ),
            )),
        }
    }
    services.sort();
    services
}

fn validate_exercises(
    locator: &Locator,
    raw: &[Spanned<RawExercise>],
    default_points: u32,
    chapters: &ChapterServices,
    problems: &mut Vec<Diagnostic>,
) -> Vec<ExerciseEntry> {
    // Name -> line of its first use; a map, so a large set costs linear time.
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let mut entries = Vec::new();
    for (index, spanned) in raw.iter().enumerate() {
        let key = |field: &str| format!("exercises[{index}].{field}");
        let exercise = spanned.get_ref();
        let table_at = spanned.span();
        let mut ok = true;

        let name = match &exercise.name {
            None => {
                problems.push(locator.at(table_at.clone(), &key("name"), "missing".into()));
                ok = false;
                String::new()
            }
            Some(name) => {
                if let Err(why) = check_name(name.get_ref()) {
                    problems.push(locator.at(name.span(), &key("name"), why));
                    ok = false;
                }
                let line = locator.line_col(name.span().start).0;
                if let Some(first) = seen.get(name.get_ref()) {
                    problems.push(locator.at(
                        name.span(),
                        &key("name"),
                        format!("`{}` is already used on line {first}", name.get_ref()),
                    ));
                    ok = false;
                } else {
                    seen.insert(name.get_ref().clone(), line);
                }
                name.get_ref().clone()
            }
        };

        if let Some(dir) = &exercise.dir
            && let Err(why) = check_dir(dir.get_ref())
        {
            problems.push(locator.at(dir.span(), &key("dir"), why));
            ok = false;
        }

        let hint = match &exercise.hint {
            None => {
                problems.push(locator.at(
                    table_at.clone(),
                    &key("hint"),
                    format!("missing for `{name}`; every exercise needs a hint"),
                ));
                ok = false;
                String::new()
            }
            Some(hint) if hint.get_ref().trim().is_empty() => {
                problems.push(locator.at(
                    hint.span(),
                    &key("hint"),
                    format!("empty for `{name}`; write a hint that points the way"),
                ));
                ok = false;
                String::new()
            }
            Some(hint) => hint.get_ref().trim().to_string(),
        };

        let timeout = match &exercise.timeout_secs {
            None => DEFAULT_TIMEOUT,
            Some(t) if (1..=MAX_TIMEOUT_SECS).contains(t.get_ref()) => {
                Duration::from_secs(*t.get_ref() as u64)
            }
            Some(t) => {
                problems.push(locator.at(
                    t.span(),
                    &key("timeout_secs"),
                    format!("must be between 1 and {MAX_TIMEOUT_SECS} seconds"),
                ));
                ok = false;
                DEFAULT_TIMEOUT
            }
        };

        let points = points_value(
            locator,
            exercise.points.as_ref(),
            &key("points"),
            default_points,
            problems,
        );
        let mode = match exercise.mode.as_ref().map(|m| (m, m.get_ref().as_str())) {
            None | Some((_, "fix")) => Mode::Fix,
            Some((_, "tests")) => Mode::Tests,
            Some((m, other)) => {
                problems.push(locator.at(
                    m.span(),
                    &key("mode"),
                    format!("`{other}` is not a mode: \"fix\" (the default) or \"tests\""),
                ));
                ok = false;
                Mode::Fix
            }
        };

        let mut services = services_value(
            locator,
            exercise.services.as_ref(),
            &key("services"),
            problems,
        );
        if let Some(shared) = exercise
            .dir
            .as_ref()
            .and_then(|d| chapters.get(d.get_ref()))
        {
            services.extend(shared);
            services.sort();
            services.dedup();
        }

        if ok {
            entries.push(ExerciseEntry {
                line: locator
                    .line_col(exercise.name.as_ref().map_or(0, |n| n.span().start))
                    .0,
                name,
                dir: exercise.dir.as_ref().map(|d| d.get_ref().clone()),
                test: exercise.test.unwrap_or(true),
                strict_clippy: exercise.strict_clippy.unwrap_or(false),
                hint,
                skip_check_unsolved: exercise.skip_check_unsolved.unwrap_or(false),
                timeout,
                points,
                mode,
                services,
            });
        }
    }
    entries
}

/// Names become file names and Cargo bin names: keep them to a safe alphabet.
fn check_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("must not be empty".into());
    }
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(format!(
            "`{name}` may only contain ASCII letters, digits and `_` (it names a file and a Cargo bin)"
        ));
    }
    Ok(())
}

/// A chapter folder must stay inside `exercises/`: one plain path component.
fn check_dir(dir: &str) -> Result<(), String> {
    let plain = !dir.is_empty()
        && dir != "."
        && dir != ".."
        && dir
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if plain && !dir.starts_with('.') {
        Ok(())
    } else {
        Err(format!(
            "`{dir}` must be a single folder name under exercises/ (letters, digits, `_`, `-`; no `/`, `..` or absolute paths)"
        ))
    }
}

fn unknown_key_warning(locator: &Locator, raw: &RawManifest, path: &str) -> Diagnostic {
    // serde_ignored paths look like `exercises.3.tets` or `welcom_message`, with
    // `Spanned`'s private field names in between.
    let mut parts = path
        .split('.')
        .filter(|part| !part.starts_with("$__serde_spanned"));
    let (key, span) = match (parts.next(), parts.next(), parts.next()) {
        (Some("exercises"), Some(index), Some(field)) => {
            let index: usize = index.parse().unwrap_or(0);
            let span = raw.exercises.get(index).map(|e| e.span().start);
            (format!("exercises[{index}].{field}"), span)
        }
        _ => (path.to_string(), None),
    };
    let field = key.rsplit('.').next().unwrap_or(&key).to_string();
    let (line, column) = locator.find_key(&field, span).unwrap_or((1, 1));
    Diagnostic {
        line,
        column,
        key: Some(key),
        message: "unknown key, ignored (check its spelling)".into(),
    }
}

/// Turns byte offsets into 1-based line and column numbers.
struct Locator<'a> {
    text: &'a str,
    line_starts: Vec<usize>,
}

impl<'a> Locator<'a> {
    fn new(text: &'a str) -> Self {
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Self { text, line_starts }
    }

    fn line_col(&self, offset: usize) -> (usize, usize) {
        let line = self.line_starts.partition_point(|&start| start <= offset);
        let start = self.line_starts[line.saturating_sub(1)];
        let column = self
            .text
            .get(start..offset)
            .map_or(1, |s| s.chars().count() + 1);
        (line.max(1), column)
    }

    /// The dotted path of the key whose line holds `offset` (the key itself, or its
    /// value), such as `exercises[2].test`: the key before `=` on that line (or the one
    /// starting at `offset`), inside the last table header above it.
    fn key_at(&self, offset: usize) -> Option<String> {
        let line_index = self.line_col(offset).0.saturating_sub(1);
        let start = *self.line_starts.get(line_index)?;
        let end = self
            .line_starts
            .get(line_index + 1)
            .copied()
            .unwrap_or(self.text.len());
        let line = self.text.get(start..end)?;
        let before = self.text.get(start..offset.min(end))?;
        let key_text = if before.contains('=') {
            before.split_once('=')?.0
        } else {
            line.split_once('=')?.0
        };
        let key = key_text.trim().trim_matches(|c| c == '"' || c == '\'');
        if key.is_empty() || key.starts_with('[') || key.starts_with('#') {
            return None;
        }
        Some(match self.table_at(start) {
            Some(table) => format!("{table}.{key}"),
            None => key.to_string(),
        })
    }

    /// The table the line starting at `line_start` is in: `exercises[3]` for the fourth
    /// `[[exercises]]`, `name` for `[name]`, `None` at the top level.
    fn table_at(&self, line_start: usize) -> Option<String> {
        let above = self.text.get(..line_start)?;
        let header = above.lines().map(str::trim).rfind(|l| l.starts_with('['))?;
        if let Some(name) = header
            .strip_prefix("[[")
            .and_then(|h| h.split_once("]]"))
            .map(|(name, _)| name.trim())
        {
            let count = above
                .lines()
                .map(str::trim)
                .filter(|l| {
                    l.strip_prefix("[[")
                        .and_then(|h| h.split_once("]]"))
                        .is_some_and(|(n, _)| n.trim() == name)
                })
                .count();
            return Some(format!("{name}[{}]", count.saturating_sub(1)));
        }
        let name = header.strip_prefix('[')?.split_once(']')?.0.trim();
        Some(name.to_string())
    }

    /// The start of the nearest table header (`[...]`) at or above `offset`.
    fn header_of(&self, offset: usize) -> usize {
        let line = self.line_col(offset).0;
        (0..line)
            .rev()
            .map(|index| self.line_starts[index])
            .find(|&start| self.text[start..].trim_start().starts_with('['))
            .unwrap_or(offset)
    }

    fn at(&self, span: Range<usize>, key: &str, message: String) -> Diagnostic {
        let (line, column) = self.line_col(span.start);
        Diagnostic {
            line,
            column,
            key: Some(key.to_string()),
            message,
        }
    }

    /// Where `key = ...` starts a line: in the table starting at `table_start`, or at the
    /// top level when `None`.
    fn find_key(&self, key: &str, table_start: Option<usize>) -> Option<(usize, usize)> {
        let start = table_start.unwrap_or(0);
        let mut offset = start;
        for (index, line) in self.text.get(start..)?.split_inclusive('\n').enumerate() {
            let trimmed = line.trim_start();
            if trimmed.starts_with('[') && (index > 0 || table_start.is_none()) {
                return None;
            }
            if let Some(rest) = trimmed.strip_prefix(key)
                && rest.trim_start().starts_with('=')
            {
                return Some(self.line_col(offset + (line.len() - trimmed.len())));
            }
            offset += line.len();
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"format_version = 1
welcome_message = "hi"

[[exercises]]
name = "intro1"
dir = "00_intro"
test = false
hint = "read it"

[[exercises]]
name = "routing1"
dir = "02_axum_routing"
hint = "look at the path"
timeout_secs = 20
"#;

    fn problems(text: &str) -> Vec<Diagnostic> {
        parse(text).expect_err("should be rejected").problems
    }

    #[test]
    fn parses_a_valid_manifest_with_defaults() {
        let parsed = parse(GOOD).unwrap();
        assert!(parsed.warnings.is_empty());
        let m = parsed.manifest;
        assert_eq!(m.welcome_message.as_deref(), Some("hi"));
        assert_eq!(m.exercises.len(), 2);
        let intro = &m.exercises[0];
        assert!(!intro.test);
        assert_eq!(intro.exercise_path(), "exercises/00_intro/intro1.rs");
        assert_eq!(intro.solution_path(), "solutions/00_intro/intro1.rs");
        assert_eq!(intro.timeout, DEFAULT_TIMEOUT);
        assert_eq!(intro.line, 5);
        let routing = &m.exercises[1];
        assert!(routing.test && !routing.strict_clippy && !routing.skip_check_unsolved);
        assert_eq!(routing.timeout, Duration::from_secs(20));
    }

    #[test]
    fn services_come_from_the_entry_and_its_chapter() {
        let text = r#"format_version = 1

[chapters.25_postgres]
services = ["postgres"]

[[exercises]]
name = "pg1"
dir = "25_postgres"
hint = "h"

[[exercises]]
name = "own"
services = ["postgres"]
hint = "h"

[[exercises]]
name = "plain"
dir = "00_intro"
hint = "h"
"#;
        let parsed = parse(text).unwrap();
        assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
        let services: Vec<&[Service]> = parsed
            .manifest
            .exercises
            .iter()
            .map(|e| e.services.as_slice())
            .collect();
        assert_eq!(
            services,
            [&[Service::Postgres][..], &[Service::Postgres], &[]]
        );
    }

    #[test]
    fn unknown_or_repeated_services_are_located() {
        let p = problems(
            "format_version = 1\n[[exercises]]\nname = \"a\"\nhint = \"h\"\nservices = [\"redis\", \"postgres\", \"postgres\"]\n",
        );
        assert_eq!(p.len(), 2, "{p:#?}");
        assert_eq!((p[0].line, p[0].column), (5, 13));
        assert_eq!(p[0].key.as_deref(), Some("exercises[0].services"));
        assert!(
            p[0].message.contains("`redis` is not a service"),
            "{}",
            p[0]
        );
        assert!(p[0].message.contains("known: postgres"), "{}", p[0]);
        assert!(p[1].message.contains("listed twice"), "{}", p[1]);

        let p = problems(
            "format_version = 1\n[chapters.x]\nservices = [\"mysql\"]\n[[exercises]]\nname = \"a\"\ndir = \"x\"\nhint = \"h\"\n",
        );
        assert_eq!(p.len(), 1, "{p:?}");
        assert_eq!(p[0].line, 3);
        assert_eq!(p[0].key.as_deref(), Some("chapters.x.services"));
    }

    #[test]
    fn a_chapter_table_for_no_exercise_is_a_warning() {
        let parsed = parse(
            "format_version = 1\n[chapters.typo]\nservices = [\"postgres\"]\n[[exercises]]\nname = \"a\"\ndir = \"x\"\nhint = \"h\"\n",
        )
        .unwrap();
        assert_eq!(parsed.warnings.len(), 1);
        assert_eq!(parsed.warnings[0].line, 2);
        assert!(parsed.warnings[0].message.contains("applies to none"));
        assert!(parsed.manifest.exercises[0].services.is_empty());
    }

    #[test]
    fn syntax_error_has_line_and_column() {
        let p = problems("format_version = 1\n[[exercises]]\nname = \"a\nhint = \"x\"\n");
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].line, 3, "{p:?}");
    }

    #[test]
    fn missing_hint_names_the_key_and_line() {
        let p = problems("format_version = 1\n\n[[exercises]]\nname = \"a\"\n");
        assert_eq!(p[0].key.as_deref(), Some("exercises[0].hint"));
        assert!(p[0].line >= 3, "{p:?}");
    }

    #[test]
    fn empty_hint_is_rejected() {
        let p = problems("format_version = 1\n[[exercises]]\nname = \"a\"\nhint = \"  \"\n");
        assert_eq!(p[0].key.as_deref(), Some("exercises[0].hint"));
        assert_eq!(p[0].line, 4);
    }

    #[test]
    fn duplicate_names_point_at_both() {
        let text = "format_version = 1\n[[exercises]]\nname = \"a\"\nhint = \"h\"\n[[exercises]]\nname = \"a\"\nhint = \"h\"\n";
        let p = problems(text);
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].line, 6);
        assert!(p[0].message.contains("line 3"), "{}", p[0].message);
    }

    #[test]
    fn names_and_dirs_cannot_escape() {
        for (field, value) in [
            ("name", "../x"),
            ("name", "a/b"),
            ("name", "with space"),
            ("dir", ".."),
            ("dir", "/etc"),
            ("dir", "a/b"),
            ("dir", ".hidden"),
        ] {
            let text = if field == "name" {
                format!("format_version = 1\n[[exercises]]\nname = \"{value}\"\nhint = \"h\"\n")
            } else {
                format!(
                    "format_version = 1\n[[exercises]]\nname = \"a\"\ndir = \"{value}\"\nhint = \"h\"\n"
                )
            };
            let p = problems(&text);
            assert_eq!(p[0].key.as_deref(), Some(&*format!("exercises[0].{field}")));
        }
    }

    #[test]
    fn wrong_or_missing_format_version() {
        let p = problems("format_version = 2\n[[exercises]]\nname = \"a\"\nhint = \"h\"\n");
        assert_eq!(p[0].key.as_deref(), Some("format_version"));
        assert_eq!(p[0].line, 1);
        let p = problems("[[exercises]]\nname = \"a\"\nhint = \"h\"\n");
        assert_eq!(p[0].key.as_deref(), Some("format_version"));
    }

    #[test]
    fn wrong_type_is_a_located_error() {
        let p = problems(
            "format_version = 1\n[[exercises]]\nname = \"a\"\nhint = \"h\"\ntest = \"yes\"\n",
        );
        assert_eq!(p[0].line, 5, "{p:?}");
    }

    #[test]
    fn type_errors_and_duplicate_keys_name_the_key() {
        let ex = "[[exercises]]\nname = \"a\"\nhint = \"h\"\n";
        for (text, key, line) in [
            (
                format!("format_version = 1\n{ex}test = \"yes\"\n"),
                "exercises[0].test",
                5,
            ),
            (
                format!("format_version = 1\n{ex}{ex}timeout_secs = 1.5\n"),
                "exercises[1].timeout_secs",
                8,
            ),
            (
                format!("format_version = 1\n{ex}name = \"b\"\n"),
                "exercises[0].name",
                5,
            ),
            (
                format!("format_version = 1\nformat_version = 1\n{ex}"),
                "format_version",
                2,
            ),
            (format!("format_version = \"1\"\n{ex}"), "format_version", 1),
            (
                format!("format_version = 1\nwelcome_message = 3\n{ex}"),
                "welcome_message",
                2,
            ),
            (
                "format_version = 1\nexercises = 3\n".to_string(),
                "exercises",
                2,
            ),
            (
                format!(
                    "format_version = 1\n{}hint = [\"h\"]\n",
                    "[[exercises]]\nname = \"a\"\n"
                ),
                "exercises[0].hint",
                4,
            ),
        ] {
            let p = problems(&text);
            assert_eq!(p.len(), 1, "{text}: {p:?}");
            assert_eq!(p[0].key.as_deref(), Some(key), "{text}: {p:?}");
            assert_eq!(p[0].line, line, "{text}: {p:?}");
        }
    }

    #[test]
    fn non_utf8_gives_the_byte_offset() {
        let p = parse_bytes(b"format_version = 1\n# caf\xe9\n")
            .expect_err("rejected")
            .problems;
        assert_eq!(p.len(), 1);
        assert_eq!((p[0].line, p[0].column), (2, 6));
        assert!(p[0].message.contains("byte 24"), "{}", p[0].message);
    }

    #[test]
    fn unknown_keys_are_warnings_with_location() {
        let text = "format_version = 1\nwelcom_message = \"x\"\n[[exercises]]\nname = \"a\"\nhint = \"h\"\ntets = false\n";
        let parsed = parse(text).unwrap();
        let keys: Vec<_> = parsed
            .warnings
            .iter()
            .map(|w| w.key.clone().unwrap())
            .collect();
        assert_eq!(
            keys,
            ["welcom_message", "exercises[0].tets"],
            "{:?}",
            parsed.warnings
        );
        assert_eq!(parsed.warnings[0].line, 2);
        assert_eq!(parsed.warnings[1].line, 6);
    }

    #[test]
    fn all_problems_are_reported_at_once() {
        let text = "format_version = 1\n[[exercises]]\nname = \"a\"\n[[exercises]]\nname = \"b c\"\nhint = \"h\"\ntimeout_secs = 0\n";
        assert_eq!(problems(text).len(), 3);
    }

    #[test]
    fn an_empty_set_is_an_error() {
        let p = problems("format_version = 1\n");
        assert_eq!(p[0].key.as_deref(), Some("exercises"));
    }
}
