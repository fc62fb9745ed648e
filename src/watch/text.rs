//! An exercise's output as text for the watch screen. Programs print what they like,
//! including sequences that would clear the screen, leave the alternate screen, turn on
//! mouse reporting or set the window title; painted as they are, they corrupt the screen
//! and outlive watch mode. A terminal parser (vte) reads the output as a terminal would,
//! and only printable text, line breaks, tabs and SGR colour sequences come out. Pure.

use vte::{Params, Parser, Perform};

/// `text` with every control sequence removed except SGR (colours and attributes), which
/// is kept when `keep_colour` is set.
pub fn sanitize(text: &str, keep_colour: bool) -> String {
    let mut out = Sanitizer {
        text: String::with_capacity(text.len()),
        keep_colour,
    };
    let mut parser = Parser::new();
    parser.advance(&mut out, text.as_bytes());
    out.text
}

struct Sanitizer {
    text: String,
    keep_colour: bool,
}

impl Perform for Sanitizer {
    fn print(&mut self, c: char) {
        self.text.push(c);
    }

    fn execute(&mut self, byte: u8) {
        // Line feeds and tabs lay text out; every other C0 control (carriage return,
        // backspace, bell...) would move the cursor or make noise on the watch screen.
        if matches!(byte, b'\n' | b'\t') {
            self.text.push(char::from(byte));
        }
    }

    fn csi_dispatch(&mut self, params: &Params, intermediates: &[u8], ignore: bool, action: char) {
        if !self.keep_colour || ignore || action != 'm' || !intermediates.is_empty() {
            return;
        }
        let rendered: Vec<String> = params
            .iter()
            .map(|param| {
                param
                    .iter()
                    .map(u16::to_string)
                    .collect::<Vec<_>>()
                    .join(":")
            })
            .collect();
        self.text.push_str("\x1b[");
        self.text.push_str(&rendered.join(";"));
        self.text.push('m');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_sequences_are_removed_and_text_kept() {
        let hostile = "before\x1b[?1049l\x1b[?1000h\x1b]0;pwned\x07\x1b[2J\x1b[Hafter\r\n\x1bPq#0\x1b\\done\x07\n";
        assert_eq!(sanitize(hostile, true), "beforeafter\ndone\n");
    }

    #[test]
    fn colours_are_kept_only_when_asked() {
        let red = "\x1b[1;31merror\x1b[0m: \x1b[38:5:208mx\x1b[m";
        assert_eq!(sanitize(red, true), red.replace("[m", "[0m"));
        assert_eq!(sanitize(red, false), "error: x");
    }

    #[test]
    fn unicode_and_tabs_pass_through() {
        assert_eq!(
            sanitize("✓ passed\tok — fin\n", true),
            "✓ passed\tok — fin\n"
        );
    }
}
