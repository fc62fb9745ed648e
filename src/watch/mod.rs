//! Watch mode: the learner's loop beside the editor.
//!
//! One event loop, one event type: the file watcher, the keyboard, terminal resizes,
//! signals and run progress all arrive as [`Event`]s on one channel. [`app::App`] decides
//! what they mean; this module carries out its effects (runs, saves, resets) and paints
//! [`ui::render`]'s screen after every event.

pub mod app;
pub mod files;
mod list;
pub mod terminal;
pub mod text;
pub mod ui;

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Sender};
use std::thread;

use anyhow::Context;

use crate::cargo::{BuildEvent, CargoError};
use crate::cli::WatchArgs;
use crate::commands::Learner;
use crate::exercise::ExerciseSet;
use crate::pipeline::{self, Options, Variant};
use crate::services::Services;
use crate::state::Progress;
use crate::state::StateStore;
use crate::supervisor::{self, Cancel};
use crate::{commands, course, style};
use app::{App, Effect, ExerciseInfo, Input};
use files::{FileWatcher, Notice};
use terminal::{TermInput, TerminalGuard};

/// Everything the loop reacts to.
pub enum Event {
    Input(Input),
    Watcher(Notice),
    /// SIGINT, SIGTERM or SIGHUP: stop everything and exit with 128 + the signal.
    Signal(i32),
    /// Another backlings wrote the state file.
    StateChanged,
    /// Time passed: the elapsed times of a run or check move on screen.
    Tick,
}

/// How often a screen with a run in progress is repainted for its elapsed time.
const TICK: std::time::Duration = std::time::Duration::from_millis(200);

/// How often the state file is checked for writes by another backlings.
const STATE_POLL: std::time::Duration = std::time::Duration::from_millis(500);

fn from_notice(notice: Notice) -> Event {
    Event::Watcher(notice)
}

fn from_term(input: TermInput) -> Event {
    Event::Input(match input {
        TermInput::Key(key) => Input::Key(key),
        TermInput::Resize(width, height) => Input::Resize { width, height },
    })
}

pub fn run(start: &Path, args: &WatchArgs) -> anyhow::Result<ExitCode> {
    let learner = Learner::open(start)?;
    let (tx, rx) = mpsc::channel::<Event>();
    let mut session = Session::new(learner, tx.clone());

    let exercises_dir = session.set.root.join("exercises");
    let mut watcher = if args.manual_run {
        session.app.watching = "manual mode: press r to run".into();
        None
    } else {
        let watcher = files::start(&exercises_dir, args.poll, tx.clone(), from_notice)
            .with_context(|| format!("watching {}", exercises_dir.display()))?;
        session.app.watching = watcher.mode.describe();
        Some(watcher)
    };
    spawn_signal_listener(tx.clone())?;
    spawn_state_watcher(&session.store, tx.clone());
    spawn_ticker(tx.clone());

    let _terminal = TerminalGuard::enter().context("setting up the terminal")?;
    terminal::spawn_input(tx.clone(), from_term);
    let (width, height) = terminal::size();
    session.app.handle(Input::Resize { width, height });
    let effects = session.app.start();
    if session.perform(effects) {
        session.shutdown();
        return Ok(ExitCode::SUCCESS);
    }
    session.paint();

    let mut exit = ExitCode::SUCCESS;
    while let Ok(event) = rx.recv() {
        session.app.now = std::time::Instant::now();
        let effects = match event {
            // Nothing moves on an idle screen: no repaint.
            Event::Tick if !session.app.busy() => continue,
            Event::Tick => Vec::new(),
            Event::Signal(signal) => {
                // Everything supervised gets SIGTERM, a grace period, then SIGKILL (at
                // once on a second signal, see the listener); then the runs' threads end.
                supervisor::terminate_all(supervisor::GRACE, &mut || false);
                exit = ExitCode::from(crate::signals::exit_status(signal));
                break;
            }
            Event::StateChanged => {
                session.reload_progress();
                Vec::new()
            }
            Event::Input(input) => session.app.handle(input),
            Event::Watcher(Notice::Saved(paths)) => session.app.handle(Input::Saved(paths)),
            Event::Watcher(Notice::Failed(reason)) => {
                watcher = restart_polling(&exercises_dir, reason, &tx, &mut session.app);
                Vec::new()
            }
        };
        if session.perform(effects) {
            break;
        }
        session.paint();
    }
    drop(watcher);
    session.shutdown();
    Ok(exit)
}

fn restart_polling(
    dir: &Path,
    reason: String,
    tx: &Sender<Event>,
    app: &mut App,
) -> Option<FileWatcher> {
    match files::start_polling(
        dir,
        format!("file events failed: {reason}"),
        tx.clone(),
        from_notice,
    ) {
        Ok(watcher) => {
            app.watching = watcher.mode.describe();
            app.set_note(format!("switched to polling: {reason}"));
            Some(watcher)
        }
        Err(err) => {
            app.watching = "manual mode: press r to run".into();
            app.set_note(format!("file watching failed ({err}); press r to re-run"));
            None
        }
    }
}

/// Works out how many crates a cold build compiles, off the loop's thread.
fn spawn_compile_steps(set: &ExerciseSet, tx: Sender<Event>) {
    let Some(package) = set
        .exercises
        .iter()
        .find_map(|e| e.bin.as_ref().map(|b| b.package.clone()))
    else {
        return;
    };
    let manifest = set.cargo_manifest.clone();
    thread::spawn(move || {
        if let Some(steps) = crate::cargo::compile_steps(&manifest, &package) {
            let _ = tx.send(Event::Input(Input::CompileSteps(steps)));
        }
    });
}

/// SIGTERM, SIGHUP and SIGINT end the loop, so the terminal is restored and every run
/// is killed; a second signal kills the runs at once instead of after the grace period.
fn spawn_signal_listener(tx: Sender<Event>) -> anyhow::Result<()> {
    let mut signals = signal_hook::iterator::Signals::new(crate::signals::HANDLED)
        .context("installing signal handlers")?;
    thread::spawn(move || {
        let mut first = true;
        for signal in signals.forever() {
            if first {
                first = false;
                let _ = tx.send(Event::Signal(signal));
            } else {
                supervisor::kill_all_now();
            }
        }
    });
    Ok(())
}

/// Notices writes to the state file by another backlings (a `run` in another terminal),
/// by its identity (inode, size, time), which a rename-on-write always changes.
fn spawn_state_watcher(store: &StateStore, tx: Sender<Event>) {
    let store = StateStore::new(store.path().parent().unwrap_or(Path::new(".")));
    thread::spawn(move || {
        let mut seen = store.version();
        loop {
            thread::sleep(STATE_POLL);
            let now = store.version();
            if now != seen {
                seen = now;
                if tx.send(Event::StateChanged).is_err() {
                    return;
                }
            }
        }
    });
}

fn spawn_ticker(tx: Sender<Event>) {
    thread::spawn(move || {
        while tx.send(Event::Tick).is_ok() {
            thread::sleep(TICK);
        }
    });
}

/// The loop's mutable world: the app, the set, the store, the run in progress.
struct Session {
    app: App,
    set: Arc<ExerciseSet>,
    store: StateStore,
    /// The progress as last read from or written to disk: what the app changed since
    /// is what a save replays on the file.
    saved: Progress,
    tx: Sender<Event>,
    running: Option<Cancel>,
    /// Threads of runs started so far; joined on exit so no child outlives watch mode.
    threads: Vec<thread::JoinHandle<()>>,
    options: Options,
}

impl Session {
    fn new(learner: Learner, tx: Sender<Event>) -> Self {
        let exercises = learner
            .set
            .exercises
            .iter()
            .map(|e| ExerciseInfo {
                name: e.name().to_string(),
                chapter: e.chapter().to_string(),
                rel_path: e.rel_path(),
                path: e.path.clone(),
                hint: e.entry.hint.clone(),
                timeout: e.entry.timeout,
            })
            .collect();
        let saved = learner.progress.clone();
        let mut app = App::new(exercises, learner.progress);
        if learner.load_report.first_start {
            app.welcome = learner.set.welcome_message.clone();
        }
        // Printed before the screen was taken over, they would be gone: keep them in
        // view until the next note.
        if !learner.load_report.notes.is_empty() {
            app.set_note(learner.load_report.notes.join("\n"));
        }
        app.final_message = learner.set.final_message.clone();
        let services = Arc::new(Services::for_set(&learner.set.root));
        Self {
            app,
            set: Arc::new(learner.set),
            store: learner.store,
            saved,
            tx,
            running: None,
            threads: Vec::new(),
            options: Options {
                color: style::color_stdout(),
                // One cluster for the whole session: started on the first exercise that
                // needs it, stopped when watch mode ends.
                services: Some(services),
                ..Options::default()
            },
        }
    }

    fn paint(&self) {
        let _ = terminal::paint(&ui::render(&self.app));
    }

    /// Carries out effects; returns true when the loop must end.
    fn perform(&mut self, effects: Vec<Effect>) -> bool {
        let mut queue = effects;
        while !queue.is_empty() {
            for effect in std::mem::take(&mut queue) {
                match effect {
                    Effect::Quit => return true,
                    Effect::Run { index, generation } => self.start_run(index, generation),
                    Effect::CheckAll { generation } => self.start_check(generation),
                    Effect::SaveProgress => self.save(),
                    Effect::RevealSolution { index } => self.reveal(index),
                    Effect::RevealSolutions { indices } => self.reveal_quietly(&indices),
                    Effect::Reset { index } => queue.extend(self.reset(index)),
                    Effect::EstimateCompileSteps => spawn_compile_steps(&self.set, self.tx.clone()),
                }
            }
        }
        false
    }

    fn cancel_run(&mut self) {
        if let Some(cancel) = self.running.take() {
            cancel.cancel();
        }
        self.threads.retain(|t| !t.is_finished());
    }

    /// Cancels the run in progress and waits for its processes to be killed and reaped.
    fn shutdown(&mut self) {
        self.cancel_run();
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }

    /// Cancels whatever runs and returns the switch for the job about to start.
    fn begin_job(&mut self) -> Cancel {
        self.cancel_run();
        let cancel = Cancel::new();
        self.running = Some(cancel.clone());
        cancel
    }

    fn start_run(&mut self, index: usize, generation: u64) {
        let cancel = self.begin_job();
        let set = Arc::clone(&self.set);
        let tx = self.tx.clone();
        // The learner may have installed PostgreSQL since: each run tries again.
        if let Some(services) = &self.options.services {
            services.forget_failures();
        }
        let options = self.options.clone();
        self.threads.push(thread::spawn(move || {
            let compiled = AtomicUsize::new(0);
            let progress_tx = tx.clone();
            let on_event = move |event: pipeline::Event| {
                let input = match event {
                    pipeline::Event::Build(BuildEvent::Compiled(_)) => Input::Building {
                        generation,
                        compiled: compiled.fetch_add(1, Ordering::SeqCst) + 1,
                    },
                    pipeline::Event::Build(BuildEvent::WaitingForLock) => {
                        Input::WaitingForLock { generation }
                    }
                    pipeline::Event::Built { .. } => Input::Built { generation },
                    pipeline::Event::TestsAnnounced(tests) => {
                        Input::TestsAnnounced { generation, tests }
                    }
                    pipeline::Event::Finished(_) => return,
                };
                let _ = progress_tx.send(Event::Input(input));
            };
            let result =
                pipeline::run_one(&set, index, Variant::Exercise, &options, &cancel, &on_event);
            let input = match result {
                Ok(outcome) => Input::Finished {
                    generation,
                    outcome,
                },
                Err(CargoError::Cancelled) => return,
                Err(err) => Input::RunError {
                    generation,
                    message: err.to_string(),
                },
            };
            let _ = tx.send(Event::Input(input));
        }));
    }

    fn start_check(&mut self, generation: u64) {
        let cancel = self.begin_job();
        let set = Arc::clone(&self.set);
        let tx = self.tx.clone();
        let options = Options {
            color: false,
            ..self.options.clone()
        };
        self.threads.push(thread::spawn(move || {
            let items = pipeline::all_exercises(&set);
            let compiled = AtomicUsize::new(0);
            let progress_tx = tx.clone();
            // Check-all takes a while: every step moves its counter.
            let on_event = move |event: pipeline::Event| {
                let input = match event {
                    pipeline::Event::Build(BuildEvent::Compiled(_)) => Input::Building {
                        generation,
                        compiled: compiled.fetch_add(1, Ordering::SeqCst) + 1,
                    },
                    pipeline::Event::Built { .. } => Input::Built { generation },
                    pipeline::Event::Finished(outcome) => Input::CheckProgress {
                        generation,
                        name: outcome.name,
                    },
                    _ => return,
                };
                let _ = progress_tx.send(Event::Input(input));
            };
            let input = match pipeline::run_batch(&set, &items, &options, &cancel, &on_event) {
                Ok(outcomes) => {
                    let (passed, failed): (Vec<_>, Vec<_>) =
                        outcomes.into_iter().partition(|o| o.verdict.passed());
                    Input::Checked {
                        generation,
                        passed: passed.into_iter().map(|o| o.name).collect(),
                        failed: failed
                            .into_iter()
                            .map(|o| (o.name, o.verdict.to_string()))
                            .collect(),
                    }
                }
                Err(CargoError::Cancelled) => return,
                Err(err) => Input::CheckFailed {
                    generation,
                    message: format!("check failed: {err}"),
                },
            };
            let _ = tx.send(Event::Input(input));
        }));
    }

    /// Replays what the learner changed on the state on disk, which another backlings
    /// may have changed meanwhile, and takes in the merged result.
    fn save(&mut self) {
        let changes = self.app.progress.changes_since(&self.saved);
        if changes.is_empty() {
            return;
        }
        match self.store.apply(self.set.names(), &changes) {
            Ok(merged) => self.take_progress(merged),
            Err(err) => {
                self.app.set_note(format!(
                    "could not save progress to {}: {err}",
                    self.store.path().display()
                ));
            }
        }
    }

    /// Another backlings wrote the state: show its completions.
    fn reload_progress(&mut self) {
        let (fresh, _) = self.store.load(self.set.names());
        if fresh.done != self.saved.done {
            self.app.set_note("progress updated by another backlings");
        }
        self.take_progress(fresh);
    }

    /// Adopts `progress` from disk, keeping the exercise this session shows as current.
    fn take_progress(&mut self, progress: Progress) {
        self.app.progress.done.clone_from(&progress.done);
        self.saved = progress;
    }

    fn reveal(&mut self, index: usize) {
        let exercise = &self.set.exercises[index];
        match course::reveal_solution(&self.set, exercise) {
            Ok(Some((shown, path))) => {
                self.app.set_note(format!(
                    "solved! compare with the reference solution: {}",
                    style::file_link(&shown, &path)
                ));
            }
            Ok(None) => {}
            Err(err) => self
                .app
                .set_note(format!("could not write the solution: {err:#}")),
        }
    }

    /// Check-all's passes: their solutions appear, as after a single pass; only a failure
    /// to write one is worth a note.
    fn reveal_quietly(&mut self, indices: &[usize]) {
        for &index in indices {
            if let Err(err) = course::reveal_solution(&self.set, &self.set.exercises[index]) {
                self.app
                    .set_note(format!("could not write a solution: {err:#}"));
                return;
            }
        }
    }

    fn reset(&mut self, index: usize) -> Vec<Effect> {
        let exercise = &self.set.exercises[index];
        match commands::reset::reset(&self.set, exercise) {
            Ok(outcome) => {
                let rewrote = outcome.backup.is_some();
                let note = match outcome.backup {
                    Some(backup) => format!(
                        "{} reset; your version is kept at {}",
                        exercise.rel_path(),
                        self.set.display_path(&backup)
                    ),
                    None => format!("{} was already as shipped", exercise.rel_path()),
                };
                self.app.reset_done(index, note, rewrote)
            }
            Err(err) => {
                self.app.set_note(format!("reset failed: {err:#}"));
                Vec::new()
            }
        }
    }
}
