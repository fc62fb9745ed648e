//! The runner's answer to SIGINT, SIGTERM and SIGHUP outside watch mode (which handles
//! them in its event loop): stop every supervised process group (SIGTERM, a grace
//! period, SIGKILL; a second signal skips the grace), sweep orphans, give the terminal
//! its cursor back, and exit with the conventional status, 128 + the signal number.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicI32, Ordering};
use std::thread;

use anyhow::Context;
use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

use crate::supervisor;

/// The signals that end a command cleanly.
pub const HANDLED: [i32; 3] = [SIGINT, SIGTERM, SIGHUP];

/// The exit status of a command ended by `signal`: 130 for SIGINT, 143 for SIGTERM,
/// 129 for SIGHUP, as shells report a process killed by it.
pub fn exit_status(signal: i32) -> u8 {
    u8::try_from(128 + signal).unwrap_or(u8::MAX)
}

/// The signal being handled, 0 before any.
static RECEIVED: AtomicI32 = AtomicI32::new(0);

/// The signal the runner is stopping for, if any. Once set, the command's own result no
/// longer counts: its runs were killed under it.
pub fn received() -> Option<i32> {
    match RECEIVED.load(Ordering::SeqCst) {
        0 => None,
        signal => Some(signal),
    }
}

/// For the main thread once a signal is being handled: waits while the signal thread
/// cleans up and exits the process with the signal's status.
pub fn wait_for_exit() -> ! {
    loop {
        thread::park();
    }
}

/// Installs the handlers and the thread that acts on them.
pub fn install() -> anyhow::Result<()> {
    let mut signals = Signals::new(HANDLED).context("installing signal handlers")?;
    thread::spawn(move || {
        let Some(signal) = signals.forever().next() else {
            return;
        };
        RECEIVED.store(signal, Ordering::SeqCst);
        let mut hurry = || signals.pending().next().is_some();
        supervisor::terminate_all(supervisor::GRACE, &mut hurry);
        restore_terminal();
        std::process::exit(i32::from(exit_status(signal)));
    });
    Ok(())
}

/// Progress bars hide the cursor while they draw; show it again, and end their line.
/// Write errors are ignored: after SIGHUP the terminal may be gone.
fn restore_terminal() {
    let mut stderr = std::io::stderr();
    if stderr.is_terminal() {
        let _ = stderr.write_all(b"\x1b[0m\x1b[?25h\n");
    }
    let _ = writeln!(stderr, "interrupted: stopped every running exercise");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_statuses_are_conventional() {
        assert_eq!(exit_status(SIGINT), 130);
        assert_eq!(exit_status(SIGTERM), 143);
        assert_eq!(exit_status(SIGHUP), 129);
    }
}
