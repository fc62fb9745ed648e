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
    let mut top = vec![header(app, width)];
    top.push(status_line(app));

    let mut bottom = Vec::new();
    bottom.push(verdict_line(app));
    bottom.push(format!(
        "Current exercise: {}",
        style::file_link(&exercise.rel_path, &exercise.path)
    ));
    if app.show_hint {
        bottom.push(style::heading().apply_to("Hint:").to_string());
        for line in exercise.hint.lines() {
            bottom.extend(wrap(line, width));
        }
    }
    match &app.view {
        View::ConfirmReset { index, .. } => bottom.push(
            style::warning()
                .apply_to(format!(
                    "Reset {} to its original? Your version is kept under .backlings/backups/. (y/n)",
                    app.exercises[*index].name
                ))
                .to_string(),
        ),
        _ => bottom.extend(note_lines(app, width)),
    }
    bottom.push(style::dim().apply_to(LEGEND_MAIN).to_string());

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
        let marker = format!(
            "── {} more line(s) below, {} above (↑/↓ PgUp/PgDn) ──",
            hidden_below, scroll
        );
        if let Some(last) = lines.last_mut() {
            *last = style::dim().apply_to(marker).to_string();
        }
    }
    lines.extend(bottom);
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
        .flat_map(|line| wrap(line, width))
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

fn header(app: &App, width: usize) -> String {
    let done = app.done_count();
    let total = app.exercises.len();
    let bar_width = 24.min(width / 4).max(5);
    let filled = (bar_width * done).checked_div(total).unwrap_or(0);
    let bar = format!(
        "{}{}",
        style::success().apply_to("█".repeat(filled)),
        style::dim().apply_to("░".repeat(bar_width - filled))
    );
    let exercise = app.current_exercise();
    format!(
        "{} {bar} {done}/{total}  {} {}",
        style::heading().apply_to("backlings"),
        style::emphasis().apply_to(&exercise.name),
        style::dim().apply_to(format!("({})", exercise.chapter))
    )
}

/// What is happening right now, in the learner's words.
fn status_line(app: &App) -> String {
    style::dim().apply_to(status_text(app)).to_string()
}

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
    let mut text = String::new();
    if let Some(panel) = &app.panel {
        let title = if panel.good {
            style::success().apply_to(&panel.title)
        } else {
            style::failure().apply_to(&panel.title)
        };
        text.push_str(&format!("{title}\n"));
        for line in &panel.lines {
            text.push_str(line);
            text.push('\n');
        }
        text.push_str(&format!(
            "{}\n\n",
            style::dim().apply_to("(any key or a save closes this)")
        ));
    }
    if app.show_final
        && let Some(message) = &app.final_message
    {
        text.push_str(message);
        text.push_str("\n\n");
    }
    if let Some(welcome) = &app.welcome {
        text.push_str(welcome);
        text.push_str("\n\n");
    }
    if let Some(outcome) = &app.last {
        // The exercise's output is untrusted: shown as text, never as terminal commands.
        text.push_str(&sanitize(&outcome.output, style::color_stdout()));
    }
    let text = if style::color_stdout() {
        text
    } else {
        style::plain(&text)
    };
    text.lines().flat_map(|line| wrap(line, width)).collect()
}

fn list_view(app: &App, list: &ListState, width: usize, height: usize) -> Vec<String> {
    let visible = app.visible(list);
    let filter = match list.filter {
        Filter::All => "all",
        Filter::Pending => "pending",
        Filter::Done => "done",
    };
    let search = if list.typing_search {
        format!("  search: {}▏", list.search)
    } else if list.search.is_empty() {
        String::new()
    } else {
        format!("  search: {}", list.search)
    };
    let mut lines = vec![
        format!(
            "{} {}/{} done  filter: {filter}{search}",
            style::heading().apply_to("Exercises"),
            app.done_count(),
            app.exercises.len()
        ),
        style::dim()
            .apply_to(format!(
                "  {:7}  {:14} {:22} PATH",
                "STATE", "NAME", "CHAPTER"
            ))
            .to_string(),
    ];
    let rows_height = height.saturating_sub(lines.len() + 2);
    let position = visible
        .iter()
        .position(|&i| i == list.selected)
        .unwrap_or(0);
    let first = position.saturating_sub(rows_height.saturating_sub(1) / 2);
    let first = first.min(visible.len().saturating_sub(rows_height));
    for &index in visible.iter().skip(first).take(rows_height) {
        let exercise = &app.exercises[index];
        let done = app.progress.is_done(&exercise.name);
        let state = if done {
            style::success().apply_to(format!("{:7}", "done"))
        } else {
            style::dim().apply_to(format!("{:7}", "pending"))
        };
        let marker = if index == app.current { "▶" } else { " " };
        let row = format!(
            "{marker} {state}  {:14} {:22} {}",
            exercise.name, exercise.chapter, exercise.rel_path
        );
        let row = truncate(&row, width);
        lines.push(if index == list.selected {
            style::emphasis()
                .reverse()
                .apply_to(style::plain(&row))
                .to_string()
        } else {
            row
        });
    }
    if visible.is_empty() {
        lines.push("  (no exercise matches)".into());
    }
    while lines.len() < height.saturating_sub(2) {
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
    lines.push(
        style::dim()
            .apply_to(truncate(LEGEND_LIST, width))
            .to_string(),
    );
    lines
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
        assert!(screen.contains("0/3"));
        assert!(screen.contains("exercises/01_http/ex0.rs"));
        assert!(screen.contains("q quit"));
    }
}
