//! Renders the watch-mode [`App`] into exactly one screenful of lines. Pure: the terminal
//! module only paints what this returns.

use crate::style;
use crate::watch::app::{App, FIRST_BUILD_CRATES, Filter, ListState, RunState, View, seconds};
use crate::watch::text::sanitize;

const LEGEND_MAIN: &str = "n next · h hint · l list · r run · x reset · c check all · q quit";
const LEGEND_LIST: &str =
    "↑↓/jk move · g/G ends · Enter select · f filter · / search · x reset · Esc back";

/// The screen, one string per row, each at most `width` visible columns.
pub fn render(app: &App) -> Vec<String> {
    let width = usize::from(app.width.max(20));
    let height = usize::from(app.height.max(5));
    let mut lines = match &app.view {
        View::List(list) => list_view(app, list, width, height),
        _ => main_view(app, width, height),
    };
    lines.truncate(height);
    lines.resize(height, String::new());
    lines
}

fn main_view(app: &App, width: usize, height: usize) -> Vec<String> {
    let exercise = app.current_exercise();
    let mut top = header(app, width);
    top.extend(
        wrap_words(&status_text(app), width)
            .into_iter()
            .map(|line| style::dim().apply_to(line).to_string()),
    );

    let mut bottom = wrap_words(&verdict_line(app), width);
    bottom.extend(path_lines(&exercise.rel_path, &exercise.path, width));
    match &app.view {
        View::ConfirmReset { index, .. } => bottom.extend(wrap_words(
            &style::warning()
                .apply_to(format!(
                    "Reset {} to its original? Your version is kept under .backlings/backups/. (y/n)",
                    app.exercises[*index].name
                ))
                .to_string(),
            width,
        )),
        _ => bottom.extend(note_lines(app, width)),
    }
    let legend = legend_lines(LEGEND_MAIN, width);
    // On a very short terminal the note gives way, never the header or the legend.
    let room_for_bottom = height.saturating_sub(top.len() + 2 + legend.len());
    bottom.truncate(room_for_bottom);
    bottom.extend(legend);

    let body_height = height.saturating_sub(top.len() + bottom.len() + 1);
    let body = body_lines(app, width);
    let scroll = app.scroll.min(body.len().saturating_sub(body_height));
    let mut lines = top;
    lines.push(String::new());
    let shown: Vec<String> = body
        .iter()
        .skip(scroll)
        .take(body_height)
        .cloned()
        .collect();
    let hidden_below = body.len().saturating_sub(scroll + shown.len());
    lines.extend(shown);
    while lines.len() < height.saturating_sub(bottom.len()) {
        lines.push(String::new());
    }
    if hidden_below > 0 || scroll > 0 {
        let marker =
            format!("── {hidden_below} more line(s) below, {scroll} above (↑/↓ PgUp/PgDn) ──");
        if let Some(last) = lines.last_mut() {
            *last = style::dim().apply_to(truncate(&marker, width)).to_string();
        }
    }
    lines.extend(bottom);
    lines
}

/// "Current exercise: <path>", the path whole however narrow the terminal: wrapped,
/// each row its own link to the file so every piece stays clickable.
fn path_lines(rel_path: &str, path: &std::path::Path, width: usize) -> Vec<String> {
    const LABEL: &str = "Current exercise: ";
    if console::measure_text_width(LABEL) + console::measure_text_width(rel_path) <= width {
        return vec![format!("{LABEL}{}", style::file_link(rel_path, path))];
    }
    let mut lines = vec![LABEL.trim_end().to_string()];
    lines.extend(
        wrap(rel_path, width)
            .iter()
            .map(|row| style::file_link(row, path)),
    );
    lines
}

/// The note under the output, wrapped (cargo's messages span lines) and kept to a few
/// rows so the output stays in view.
fn note_lines(app: &App, width: usize) -> Vec<String> {
    const MAX_ROWS: usize = 4;
    let Some(note) = &app.note else {
        return vec![String::new()];
    };
    let mut rows: Vec<String> = note
        .lines()
        .filter(|line| !line.trim().is_empty())
        .flat_map(|line| wrap_words(line, width))
        .collect();
    if rows.len() > MAX_ROWS {
        rows.truncate(MAX_ROWS - 1);
        rows.push(style::dim().apply_to("…").to_string());
    }
    if rows.is_empty() {
        rows.push(String::new());
    }
    rows
}

/// "backlings ███░░ 12 of 47 done · routing2 (15/47)": how much is done, then which
/// exercise this is and where it sits in the course. On a narrow terminal the bar goes
/// first; the name is never cut (it wraps).
fn header(app: &App, width: usize) -> Vec<String> {
    let done = app.done_count();
    let total = app.exercises.len();
    let exercise = app.current_exercise();
    let text = format!(
        "{done} of {total} done · {} {}",
        style::emphasis().apply_to(&exercise.name),
        style::dim().apply_to(format!("({}/{total})", app.current + 1))
    );
    let title = style::heading().apply_to("backlings").to_string();
    let bar_width = 24.min(width / 4).max(5);
    let without_bar = format!("{title} {text}");
    if console::measure_text_width(&without_bar) + bar_width + 1 > width {
        return wrap_words(&without_bar, width);
    }
    let filled = (bar_width * done).checked_div(total).unwrap_or(0);
    let bar = format!(
        "{}{}",
        style::success().apply_to("█".repeat(filled)),
        style::dim().apply_to("░".repeat(bar_width - filled))
    );
    vec![format!("{title} {bar} {text}")]
}

/// What is happening right now, in the learner's words.
fn status_text(app: &App) -> String {
    let name = &app.current_exercise().name;
    match &app.run {
        RunState::Idle => format!("{}; saves re-run the exercise", app.watching),
        RunState::Building {
            waiting_for_lock: true,
            ..
        } => "waiting for the build lock (another cargo, e.g. your editor's, is building)".into(),
        // A few crates are an ordinary edit's build; more are the dependencies' first build.
        RunState::Building { compiled, .. } if *compiled < FIRST_BUILD_CRATES => {
            format!("compiling {name}")
        }
        RunState::Building { compiled, .. } => match app.compile_steps {
            Some(total) if total >= *compiled => format!(
                "first build: {compiled}/{total} crates (only the first build takes this long)"
            ),
            _ => format!("first build: {compiled} crates"),
        },
        RunState::Running { tests, started } => {
            let elapsed = seconds(app.now.saturating_duration_since(*started));
            let limit = app.current_exercise().timeout.as_secs();
            match tests {
                Some(1) => format!("running 1 test ({elapsed} of {limit} s)"),
                Some(n) => format!("running {n} tests ({elapsed} of {limit} s)"),
                None => format!("running {name} ({elapsed} of {limit} s)"),
            }
        }
        RunState::Checking(check) => {
            let elapsed = seconds(app.now.saturating_duration_since(check.started));
            let step = match (check.compiled, &check.last) {
                (Some(compiled), _) => format!("building ({compiled} crates)"),
                (None, Some(last)) => format!("{last} done"),
                (None, None) => "running".into(),
            };
            format!(
                "check all: {} of {} · {step} · {elapsed}",
                check.finished, check.total
            )
        }
    }
}

fn verdict_line(app: &App) -> String {
    match (&app.run, &app.last) {
        (RunState::Idle, Some(outcome)) if outcome.verdict.passed() => format!(
            "{} — press {} for the next exercise",
            style::success().apply_to("✓ passed"),
            style::emphasis().apply_to("n")
        ),
        (RunState::Idle, Some(outcome)) => style::failure()
            .apply_to(format!("✗ {}", outcome.verdict))
            .to_string(),
        (RunState::Idle, None) => String::new(),
        _ => style::dim().apply_to("… running").to_string(),
    }
}

fn body_lines(app: &App, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    if let Some(panel) = &app.panel {
        let title = if panel.good {
            style::success().apply_to(&panel.title)
        } else {
            style::failure().apply_to(&panel.title)
        };
        lines.extend(wrap_words(&title.to_string(), width));
        for line in &panel.lines {
            lines.extend(wrap_words(line, width));
        }
        lines.extend(wrap_words(
            &style::dim()
                .apply_to("(any key or a save closes this)")
                .to_string(),
            width,
        ));
        lines.push(String::new());
    }
    // The hint scrolls with the output: a long hint on a short terminal stays readable.
    if app.show_hint {
        lines.push(style::heading().apply_to("Hint:").to_string());
        lines.extend(reflow(&app.current_exercise().hint, width));
        lines.push(String::new());
    }
    if app.show_final
        && let Some(message) = &app.final_message
    {
        lines.extend(reflow(message, width));
        lines.push(String::new());
    }
    if let Some(welcome) = &app.welcome {
        lines.extend(reflow(welcome, width));
        lines.push(String::new());
    }
    if let Some(outcome) = &app.last {
        // The exercise's output is untrusted: shown as text, never as terminal commands.
        let text = sanitize(&outcome.output, style::color_stdout());
        let text = if style::color_stdout() {
            text
        } else {
            style::plain(&text)
        };
        lines.extend(text.lines().flat_map(|line| wrap(line, width)));
    }
    if !style::color_stdout() {
        lines = lines.iter().map(|line| style::plain(line)).collect();
    }
    lines
}

fn list_view(app: &App, list: &ListState, width: usize, height: usize) -> Vec<String> {
    let visible = app.visible(list);
    let filter = match list.filter {
        Filter::All => "all",
        Filter::Pending => "pending",
        Filter::Done => "done",
    };
    let search = if list.typing_search {
        format!(" · search: {}▏", list.search)
    } else if list.search.is_empty() {
        String::new()
    } else {
        format!(" · search: {}", list.search)
    };
    let legend = legend_lines(LEGEND_LIST, width);
    // Header, column names, then the rows; the note and the legend stay at the bottom.
    let rows_height = height.saturating_sub(2 + 1 + legend.len()).max(1);
    let position = visible
        .iter()
        .position(|&i| i == list.selected)
        .unwrap_or(0);
    let first = position.saturating_sub(rows_height.saturating_sub(1) / 2);
    let first = first.min(visible.len().saturating_sub(rows_height));
    let shown: Vec<usize> = visible
        .iter()
        .skip(first)
        .take(rows_height)
        .copied()
        .collect();
    let range = if shown.is_empty() {
        String::new()
    } else {
        format!(
            " · {}–{} of {}",
            first + 1,
            first + shown.len(),
            visible.len()
        )
    };
    let columns = Columns::fit(
        app.exercises
            .iter()
            .map(|e| (e.name.as_str(), e.chapter.as_str(), e.rel_path.as_str())),
        width.saturating_sub(ROW_PREFIX),
    );
    let mut lines = vec![
        truncate(
            &format!(
                "{} {} of {} done · filter: {filter}{search}{range}",
                style::heading().apply_to("Exercises"),
                app.done_count(),
                app.exercises.len()
            ),
            width,
        ),
        style::dim()
            .apply_to(truncate(
                &format!(
                    "{:ROW_PREFIX$}{}",
                    "",
                    columns.row("STATE", "NAME", "CHAPTER", "PATH")
                ),
                width,
            ))
            .to_string(),
    ];
    for &index in &shown {
        let exercise = &app.exercises[index];
        let done = app.progress.is_done(&exercise.name);
        let state = if done { "done" } else { "pending" };
        // The selection is marked by a character too: without colour, reverse video is
        // all a learner would have to find it.
        let selected = if index == list.selected { ">" } else { " " };
        let current = if index == app.current { "▶" } else { " " };
        let row = format!(
            "{selected}{current} {}",
            columns.row(state, &exercise.name, &exercise.chapter, &exercise.rel_path)
        );
        let row = truncate(&row, width);
        lines.push(if index == list.selected {
            style::emphasis().reverse().apply_to(row).to_string()
        } else if done {
            style::success().apply_to(row).to_string()
        } else {
            row
        });
    }
    if visible.is_empty() {
        lines.push("  (no exercise matches)".into());
    }
    while lines.len() < height.saturating_sub(1 + legend.len()) {
        lines.push(String::new());
    }
    lines.push(truncate(
        app.note
            .as_deref()
            .unwrap_or_default()
            .lines()
            .next()
            .unwrap_or_default(),
        width,
    ));
    lines.extend(legend);
    lines
}

/// Columns before a list row's state: the selection and the current-exercise markers.
const ROW_PREFIX: usize = 3;

/// The list's column widths, taken from the content; when the row does not fit, the
/// path gives way first (it repeats the chapter), then the chapter, the name last.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Columns {
    pub name: usize,
    pub chapter: usize,
    /// 0: no path column.
    pub path: usize,
}

const STATE_WIDTH: usize = 7;
const GAP: usize = 2;
const MIN_CHAPTER: usize = 8;
const MIN_PATH: usize = 16;

impl Columns {
    pub fn fit<'a>(rows: impl Iterator<Item = (&'a str, &'a str, &'a str)>, width: usize) -> Self {
        let (mut name, mut chapter, mut path) = (4, 7, 4);
        for (n, c, p) in rows {
            name = name.max(console::measure_text_width(n));
            chapter = chapter.max(console::measure_text_width(c));
            path = path.max(console::measure_text_width(p));
        }
        let fixed = STATE_WIDTH + 3 * GAP;
        let room = |name: usize, chapter: usize| width.saturating_sub(fixed + name + chapter);
        if room(name, chapter) >= path {
            return Self {
                name,
                chapter,
                path,
            };
        }
        if room(name, chapter) >= MIN_PATH {
            return Self {
                name,
                chapter,
                path: room(name, chapter),
            };
        }
        let chapter_room = width.saturating_sub(fixed + name + MIN_PATH);
        if chapter_room >= MIN_CHAPTER {
            return Self {
                name,
                chapter: chapter.min(chapter_room),
                path: MIN_PATH,
            };
        }
        // No room for a path: the chapter and the name share what there is.
        let chapter = chapter
            .min(width.saturating_sub(STATE_WIDTH + 2 * GAP + name))
            .max(MIN_CHAPTER);
        let name = name.min(width.saturating_sub(STATE_WIDTH + 2 * GAP + chapter));
        Self {
            name,
            chapter,
            path: 0,
        }
    }

    /// One row: state, name, chapter, path, each fitted to its column.
    pub fn row(&self, state: &str, name: &str, chapter: &str, path: &str) -> String {
        let mut row = format!(
            "{}{:GAP$}{}{:GAP$}{}",
            pad(state, STATE_WIDTH),
            "",
            pad(&ellipsis_end(name, self.name), self.name),
            "",
            pad(&ellipsis_end(chapter, self.chapter), self.chapter),
        );
        if self.path > 0 {
            row.push_str(&format!("{:GAP$}{}", "", ellipsis_start(path, self.path)));
        }
        row.trim_end().to_string()
    }
}

fn pad(text: &str, width: usize) -> String {
    let used = console::measure_text_width(text);
    format!("{text}{}", " ".repeat(width.saturating_sub(used)))
}

/// `text` in at most `width` columns, its end replaced by "…" when it is longer.
fn ellipsis_end(text: &str, width: usize) -> String {
    if console::measure_text_width(text) <= width {
        return text.to_string();
    }
    let kept = truncate(text, width.saturating_sub(1));
    format!("{kept}…")
}

/// `text` in at most `width` columns, its start replaced by "…": a path's end (the
/// file) says most.
fn ellipsis_start(text: &str, width: usize) -> String {
    if console::measure_text_width(text) <= width {
        return text.to_string();
    }
    let mut kept: Vec<char> = Vec::new();
    let mut used = 1;
    for c in text.chars().rev() {
        let w = console::measure_text_width(&c.to_string());
        if used + w > width {
            break;
        }
        used += w;
        kept.push(c);
    }
    std::iter::once('…').chain(kept.into_iter().rev()).collect()
}

/// Text from info.toml (hints, welcome and final messages) is hard-wrapped for an
/// 88-column editor: its paragraphs are joined again and wrapped at word boundaries to
/// the terminal's width. Lines that are indented, list items or code fences keep their
/// own row (a list item's indented continuation joins the item).
pub fn reflow(text: &str, width: usize) -> Vec<String> {
    let mut rows = Vec::new();
    let mut paragraph = String::new();
    let mut in_fence = false;
    let flush = |paragraph: &mut String, rows: &mut Vec<String>| {
        if !paragraph.is_empty() {
            rows.extend(wrap_words(paragraph, width));
            paragraph.clear();
        }
    };
    for line in text.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("```") {
            flush(&mut paragraph, &mut rows);
            in_fence = !in_fence;
            rows.extend(wrap(line, width));
            continue;
        }
        let indent = line.len() - trimmed.len();
        let in_item = paragraph.starts_with("- ") || paragraph.starts_with("* ");
        // A list item's hard-wrapped continuation, indented under its text, joins it.
        if in_item && !in_fence && (1..4).contains(&indent) && !trimmed.is_empty() {
            paragraph.push(' ');
            paragraph.push_str(trimmed.trim_end());
            continue;
        }
        let own_row = in_fence
            || line.trim().is_empty()
            || line.starts_with([' ', '\t'])
            || trimmed.starts_with("- ")
            || trimmed.starts_with("* ")
            || trimmed
                .split_once(". ")
                .is_some_and(|(n, _)| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()));
        if own_row {
            flush(&mut paragraph, &mut rows);
            if in_fence || line.starts_with([' ', '\t']) {
                rows.extend(wrap(line, width));
            } else if line.trim().is_empty() {
                rows.push(String::new());
            } else {
                // A list item starts a paragraph of its own; its continuation lines join it.
                paragraph.push_str(line.trim_end());
            }
            continue;
        }
        if !paragraph.is_empty() {
            paragraph.push(' ');
        }
        paragraph.push_str(line.trim());
    }
    flush(&mut paragraph, &mut rows);
    rows
}

/// The key legend, wrapped between its entries so a key never parts from its action.
fn legend_lines(legend: &str, width: usize) -> Vec<String> {
    let mut rows: Vec<String> = Vec::new();
    for item in legend.split(" · ") {
        match rows.last_mut() {
            Some(row)
                if console::measure_text_width(row) + 3 + console::measure_text_width(item)
                    <= width =>
            {
                row.push_str(" · ");
                row.push_str(item);
            }
            _ => rows.extend(wrap_words(item, width)),
        }
    }
    rows.into_iter()
        .map(|row| style::dim().apply_to(row).to_string())
        .collect()
}

/// Wraps at spaces to rows of at most `width` display columns; a word longer than a row
/// (a path, CJK text without spaces) is split by [`wrap`].
pub fn wrap_words(line: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut rows = Vec::new();
    let mut row = String::new();
    let mut used = 0;
    for word in line.split(' ') {
        let w = console::measure_text_width(word);
        let space = usize::from(used > 0);
        if used + space + w <= width {
            if space == 1 {
                row.push(' ');
            }
            row.push_str(word);
            used += space + w;
            continue;
        }
        // A word longer than a row fills the current row first; a shorter one moves on.
        let mut pieces = if w > width {
            let combined = if used > 0 {
                format!("{row} {word}")
            } else {
                word.to_string()
            };
            row.clear();
            wrap(&combined, width)
        } else {
            if used > 0 {
                rows.push(std::mem::take(&mut row));
            }
            vec![word.to_string()]
        };
        let last = pieces.pop().unwrap_or_default();
        rows.extend(pieces);
        used = console::measure_text_width(&last);
        row = last;
    }
    rows.push(row);
    rows
}

/// Splits a line with ANSI escapes into rows of at most `width` visible columns.
pub fn wrap(line: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut rows = Vec::new();
    let mut row = String::new();
    let mut columns = 0;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            row.push(c);
            copy_escape(&mut chars, &mut row);
            continue;
        }
        let (text, w) = match c {
            '\t' => ("    ".to_string(), 4),
            c if c.is_control() => continue,
            // Wide characters (CJK, most emoji) take two columns.
            c => {
                let text = c.to_string();
                let w = console::measure_text_width(&text);
                (text, w)
            }
        };
        if columns + w > width {
            rows.push(std::mem::take(&mut row));
            columns = 0;
        }
        row.push_str(&text);
        columns += w;
    }
    rows.push(row);
    rows
}

fn copy_escape(chars: &mut std::iter::Peekable<std::str::Chars>, out: &mut String) {
    match chars.next() {
        Some('[') => {
            out.push('[');
            for c in chars.by_ref() {
                out.push(c);
                if ('\x40'..='\x7e').contains(&c) {
                    break;
                }
            }
        }
        Some(']') => {
            out.push(']');
            while let Some(c) = chars.next() {
                out.push(c);
                if c == '\x07' {
                    break;
                }
                if c == '\x1b' && chars.peek() == Some(&'\\') {
                    if let Some(backslash) = chars.next() {
                        out.push(backslash);
                    }
                    break;
                }
            }
        }
        Some(other) => out.push(other),
        None => {}
    }
}

/// The first row of `wrap`, for lines that must stay on one row.
fn truncate(line: &str, width: usize) -> String {
    wrap(line, width).into_iter().next().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::Progress;
    use crate::watch::app::{ExerciseInfo, Input, Key};
    use std::path::PathBuf;

    #[test]
    fn wrap_counts_only_visible_columns() {
        let red = "\x1b[31mabcdef\x1b[0m";
        let rows = wrap(red, 4);
        assert_eq!(rows.len(), 2);
        assert_eq!(style::plain(&rows[0]), "abcd");
        assert_eq!(style::plain(&rows[1]), "ef");
        let link = "\x1b]8;;file:///x\x1b\\ab\x1b]8;;\x1b\\";
        assert_eq!(wrap(link, 2).len(), 1);
        assert_eq!(wrap("日本語", 4), ["日本", "語"]);
    }

    #[test]
    fn hostile_output_and_long_notes_keep_the_screen() {
        let mut app = app(2);
        app.last = Some(crate::pipeline::Outcome {
            name: "ex0".into(),
            variant: crate::pipeline::Variant::Exercise,
            verdict: crate::pipeline::Verdict::TestsFailed,
            output: "\x1b[?1049l\x1b[?1000h\x1b]0;pwned\x07\x1b[2Jvisible\n".into(),
            duration: std::time::Duration::ZERO,
            failed_tests: Vec::new(),
            warnings: 0,
        });
        app.note = Some("error: could not compile\nnote: line two\nline three\n".repeat(3));
        let lines = render(&app);
        assert_eq!(lines.len(), 24);
        let screen = lines.join("\n");
        assert!(!screen.contains("\x1b[?"), "{screen:?}");
        assert!(!screen.contains("pwned"), "{screen:?}");
        assert!(screen.contains("visible"));
        assert!(screen.contains("note: line two"));
        assert!(screen.contains("q quit"), "the legend stays: {screen}");
    }

    fn app(n: usize) -> App {
        let exercises = (0..n)
            .map(|i| ExerciseInfo {
                name: format!("ex{i}"),
                chapter: "01_http".into(),
                rel_path: format!("exercises/01_http/ex{i}.rs"),
                path: PathBuf::from(format!("/nonexistent/ex{i}.rs")),
                hint: "a long hint ".repeat(20),
                timeout: std::time::Duration::from_secs(10),
            })
            .collect();
        let mut app = App::new(exercises, Progress::default());
        app.width = 80;
        app.height = 24;
        app
    }

    #[test]
    fn every_screen_fits_80x24() {
        let mut app = app(60);
        app.start();
        app.handle(Input::Key(Key::Char('h')));
        for lines in [render(&app), {
            app.handle(Input::Key(Key::Char('l')));
            render(&app)
        }] {
            assert_eq!(lines.len(), 24);
            for line in &lines {
                assert!(
                    console::measure_text_width(&style::plain(line)) <= 80,
                    "{line}"
                );
            }
        }
    }

    #[test]
    fn list_screen_snapshot() {
        let mut app = app(4);
        app.progress.mark_done("ex1");
        app.handle(Input::Key(Key::Char('l')));
        app.handle(Input::Key(Key::Down));
        let screen: Vec<String> = render(&app).iter().map(|l| style::plain(l)).collect();
        insta::assert_snapshot!(screen.join("\n"));
    }

    #[test]
    fn main_screen_shows_legend_progress_and_path() {
        let app = app(3);
        let screen = render(&app).join("\n");
        assert!(screen.contains("0 of 3 done · ex0 (1/3)"));
        assert!(screen.contains("exercises/01_http/ex0.rs"));
        assert!(screen.contains("q quit"));
    }

    /// A set like a community one: chapter folders of up to 70 characters.
    fn long_app(width: u16, height: u16) -> App {
        let chapter = "03_building_a_rest_api_with_authentication_and_rate_limiting_in_axum__";
        assert_eq!(chapter.len(), 70);
        let exercises = (0..30)
            .map(|i| ExerciseInfo {
                name: format!("routing{i}"),
                chapter: chapter.into(),
                rel_path: format!("exercises/{chapter}/routing{i}.rs"),
                path: PathBuf::from(format!("/nonexistent/routing{i}.rs")),
                hint: "Handlers are plain async functions. Look at the extractor order:\nthe body must come last, because it consumes the request.\n\n- `Path` before `Json`\n- 日本語のヒントも表示幅で折り返されます。日本語のヒントも表示幅で折り返されます。\n\n    let app = Router::new();\n".into(),
                timeout: std::time::Duration::from_secs(10),
            })
            .collect();
        let mut app = App::new(exercises, Progress::default());
        app.width = width;
        app.height = height;
        for i in 0..12 {
            app.progress.mark_done(&format!("routing{i}"));
        }
        app.current = 14;
        app
    }

    fn plain_screen(app: &App) -> String {
        let lines = render(app);
        assert_eq!(lines.len(), usize::from(app.height));
        for line in &lines {
            let width = console::measure_text_width(&style::plain(line));
            assert!(width <= usize::from(app.width), "{width}: {line}");
        }
        lines
            .iter()
            .map(|l| style::plain(l).trim_end().to_string())
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn with_panel(mut app: App) -> App {
        app.handle(Input::Key(Key::Char('h')));
        app.panel = Some(crate::watch::app::Panel {
            title: "check all: 28 of 30 pass, 2 fail (19.0 s)".into(),
            lines: vec![
                "✗ routing14: tests failed".into(),
                "✗ routing20: compile error".into(),
                "28 of 30 done".into(),
            ],
            good: false,
        });
        app
    }

    #[test]
    fn main_screen_60x20() {
        let screen = plain_screen(&with_panel(long_app(60, 20)));
        let header = screen.lines().next().unwrap_or_default();
        assert!(header.starts_with("backlings "), "{header}");
        assert!(
            header.ends_with("12 of 30 done · routing14 (15/30)"),
            "{header}"
        );
        insta::assert_snapshot!(screen);
    }

    #[test]
    fn main_screen_120x40() {
        let screen = plain_screen(&with_panel(long_app(120, 40)));
        insta::assert_snapshot!(screen);
    }

    #[test]
    fn list_screen_60x20() {
        let mut app = long_app(60, 20);
        app.handle(Input::Key(Key::Char('l')));
        app.handle(Input::Key(Key::Down));
        let screen = plain_screen(&app);
        assert!(
            screen.contains("> "),
            "the selection has a marker: {screen}"
        );
        insta::assert_snapshot!(screen);
    }

    #[test]
    fn list_screen_120x40() {
        let mut app = long_app(120, 40);
        app.handle(Input::Key(Key::Char('l')));
        insta::assert_snapshot!(plain_screen(&app));
    }

    #[test]
    fn the_whole_path_shows_however_narrow() {
        let app = long_app(60, 20);
        let screen = plain_screen(&app).replace('\n', "");
        assert!(
            screen.contains(&app.current_exercise().rel_path),
            "{screen}"
        );
    }

    #[test]
    fn reflow_joins_hard_wrapped_paragraphs_and_keeps_lists_and_code() {
        let text = "one two\nthree four\n\n- item one\n  more\n    code line\n";
        assert_eq!(
            reflow(text, 40),
            ["one two three four", "", "- item one more", "    code line"]
        );
        assert_eq!(reflow("aaa bbb ccc", 7), ["aaa bbb", "ccc"]);
        assert_eq!(wrap_words("日本語 日本語", 8), ["日本語", "日本語"]);
    }

    #[test]
    fn columns_shorten_the_path_then_the_chapter_never_first_the_name() {
        let rows = [(
            "routing2",
            "a_very_long_chapter_name_indeed",
            "exercises/a_very_long_chapter_name_indeed/routing2.rs",
        )];
        let wide = Columns::fit(rows.iter().copied(), 200);
        assert_eq!((wide.name, wide.chapter, wide.path), (8, 31, 53));
        let narrow = Columns::fit(rows.iter().copied(), 60);
        assert_eq!(narrow.name, 8);
        assert!(narrow.chapter < 31 && narrow.path == MIN_PATH, "{narrow:?}");
        let row = narrow.row("done", "routing2", rows[0].1, rows[0].2);
        assert!(row.contains(&rows[0].1[..narrow.chapter - 1]));
        assert!(row.contains('…') && row.ends_with("routing2.rs"), "{row}");
    }

    #[test]
    fn status_says_what_runs() {
        let mut app = app(1);
        app.start();
        assert_eq!(status_text(&app), "compiling ex0");
        let started = app.now;
        app.run = RunState::Running {
            tests: Some(4),
            started,
        };
        app.now = started + std::time::Duration::from_millis(3100);
        assert_eq!(status_text(&app), "running 4 tests (3.1 s of 10 s)");
        app.run = RunState::Building {
            compiled: 23,
            waiting_for_lock: false,
        };
        app.compile_steps = Some(84);
        assert!(status_text(&app).starts_with("first build: 23/84 crates"));
    }
}
