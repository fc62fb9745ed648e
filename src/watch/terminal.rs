//! The terminal side of watch mode: raw mode and the alternate screen for exactly as long
//! as watch mode runs (restored on every exit path, panics included), key and resize
//! events as inputs, and painting a rendered screen without flicker.

use std::io::{self, Write};
use std::sync::mpsc::Sender;
use std::thread;

use crossterm::event::{self, Event as TermEvent, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use crossterm::{cursor, execute, queue, style, terminal};

use crate::watch::app::Key;

/// Holds the terminal in raw mode on the alternate screen; dropping it restores both.
pub struct TerminalGuard;

/// Saves the window title on the terminal's title stack (xterm `XTWINOPS` 22), so that
/// leaving restores the learner's own title whatever was shown meanwhile.
const PUSH_TITLE: &str = "\x1b[22;0t";
const POP_TITLE: &str = "\x1b[23;0t";

impl TerminalGuard {
    pub fn enter() -> io::Result<Self> {
        terminal::enable_raw_mode()?;
        let guard = TerminalGuard;
        execute!(
            io::stdout(),
            style::Print(PUSH_TITLE),
            terminal::EnterAlternateScreen,
            cursor::Hide
        )?;
        install_panic_hook();
        Ok(guard)
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore();
    }
}

/// Puts every mode back as a shell expects it, whatever reached the screen meanwhile:
/// mouse reporting and bracketed paste off, plain text, cursor shown, main screen, the
/// learner's title.
fn restore() {
    let _ = execute!(
        io::stdout(),
        event::DisableMouseCapture,
        event::DisableBracketedPaste,
        style::SetAttribute(style::Attribute::Reset),
        style::ResetColor,
        cursor::Show,
        terminal::LeaveAlternateScreen,
        style::Print(POP_TITLE)
    );
    let _ = terminal::disable_raw_mode();
}

fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore();
        previous(info);
    }));
}

/// Terminal events as watch-mode inputs.
pub enum TermInput {
    Key(Key),
    Resize(u16, u16),
}

/// Reads keys and resizes on a thread of its own until the receiver is gone.
pub fn spawn_input<T: Send + 'static>(tx: Sender<T>, wrap: fn(TermInput) -> T) {
    thread::spawn(move || {
        while let Ok(event) = event::read() {
            let input = match event {
                TermEvent::Key(key) if key.kind != KeyEventKind::Release => match map_key(key) {
                    Some(key) => TermInput::Key(key),
                    None => continue,
                },
                TermEvent::Resize(width, height) => TermInput::Resize(width, height),
                _ => continue,
            };
            if tx.send(wrap(input)).is_err() {
                return;
            }
        }
    });
}

fn map_key(key: KeyEvent) -> Option<Key> {
    if key.modifiers.contains(KeyModifiers::CONTROL) {
        return matches!(key.code, KeyCode::Char('c') | KeyCode::Char('d')).then_some(Key::CtrlC);
    }
    Some(match key.code {
        KeyCode::Char(c) => Key::Char(c),
        KeyCode::Enter => Key::Enter,
        KeyCode::Esc => Key::Esc,
        KeyCode::Backspace => Key::Backspace,
        KeyCode::Up => Key::Up,
        KeyCode::Down => Key::Down,
        KeyCode::PageUp => Key::PageUp,
        KeyCode::PageDown => Key::PageDown,
        KeyCode::Home => Key::Home,
        KeyCode::End => Key::End,
        _ => return None,
    })
}

/// The terminal's size; 80x24 when it reports none (some pseudo-terminals start at 0x0).
pub fn size() -> (u16, u16) {
    match terminal::size() {
        Ok((width, height)) if width > 0 && height > 0 => (width, height),
        _ => (80, 24),
    }
}

/// Paints `lines` over the previous screen in one synchronized update: each row is
/// overwritten and cleared to its end, so nothing blinks.
pub fn paint(lines: &[String]) -> io::Result<()> {
    let mut out = io::stdout().lock();
    queue!(out, terminal::BeginSynchronizedUpdate)?;
    for (row, line) in lines.iter().enumerate() {
        queue!(
            out,
            cursor::MoveTo(0, row as u16),
            style::Print(line),
            style::ResetColor,
            style::SetAttribute(style::Attribute::Reset),
            terminal::Clear(terminal::ClearType::UntilNewLine)
        )?;
    }
    queue!(
        out,
        terminal::Clear(terminal::ClearType::FromCursorDown),
        terminal::EndSynchronizedUpdate
    )?;
    out.flush()
}
