//! Every colour and text style the runner uses, in one place. Styles are plain when
//! output is not a terminal or `NO_COLOR` is set (console decides both).

use std::path::Path;

use console::Style;

/// Whether stdout gets colours.
pub fn color_stdout() -> bool {
    console::colors_enabled()
}

pub fn success() -> Style {
    Style::new().green().bold()
}

pub fn failure() -> Style {
    Style::new().red().bold()
}

pub fn warning() -> Style {
    Style::new().yellow().bold()
}

pub fn emphasis() -> Style {
    Style::new().bold()
}

pub fn dim() -> Style {
    Style::new().dim()
}

pub fn heading() -> Style {
    Style::new().cyan().bold()
}

/// A verdict word styled by whether it passed.
pub fn verdict(text: &str, passed: bool) -> String {
    if passed {
        success().apply_to(text).to_string()
    } else {
        failure().apply_to(text).to_string()
    }
}

/// `shown` as an OSC 8 hyperlink to `path` when colours (and so a capable terminal) are on.
pub fn file_link(shown: &str, path: &Path) -> String {
    if !color_stdout() || std::env::var_os("BACKLINGS_NO_LINKS").is_some() {
        return shown.to_string();
    }
    let absolute = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    format!(
        "\x1b]8;;file://{}\x1b\\{}\x1b]8;;\x1b\\",
        absolute.display(),
        emphasis().apply_to(shown)
    )
}

/// Removes colour codes from text produced with colours on (compiler output, say).
pub fn plain(text: &str) -> String {
    console::strip_ansi_codes(text).into_owned()
}
