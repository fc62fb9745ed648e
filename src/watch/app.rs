//! Watch mode's state machine: every input (key, save, run progress) goes in, effects
//! (start a run, save progress, quit, ...) come out. No I/O here, so every rule of the
//! learner's loop is unit-tested.

use std::path::PathBuf;
use std::time::{Duration, Instant};

pub use super::list::{Filter, ListState};
use crate::pipeline::{Outcome, Verdict};
use crate::state::Progress;

/// A key press, independent of the terminal library.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    Char(char),
    Enter,
    Esc,
    Backspace,
    Up,
    Down,
    PageUp,
    PageDown,
    Home,
    End,
    CtrlC,
}

/// One exercise as watch mode shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExerciseInfo {
    pub name: String,
    pub chapter: String,
    pub rel_path: String,
    pub path: PathBuf,
    pub hint: String,
    /// How long its binary may run, shown beside the elapsed time while it runs.
    pub timeout: Duration,
}

/// Something that happened.
#[derive(Debug, Clone)]
pub enum Input {
    Key(Key),
    Resize {
        width: u16,
        height: u16,
    },
    /// Files were saved (debounced).
    Saved(Vec<PathBuf>),
    /// Progress of the run `generation`.
    Building {
        generation: u64,
        compiled: usize,
    },
    WaitingForLock {
        generation: u64,
    },
    /// The build of run `generation` is done; its binaries run now.
    Built {
        generation: u64,
    },
    /// The test binary of run `generation` announced how many tests it runs.
    TestsAnnounced {
        generation: u64,
        tests: usize,
    },
    Finished {
        generation: u64,
        outcome: Outcome,
    },
    /// A run could not even start (cargo missing, broken Cargo.toml).
    RunError {
        generation: u64,
        message: String,
    },
    /// One exercise of check-all `generation` has its verdict.
    CheckProgress {
        generation: u64,
        name: String,
    },
    /// Check-all finished: names that pass, and names that fail with their verdict.
    Checked {
        generation: u64,
        passed: Vec<String>,
        failed: Vec<(String, String)>,
    },
    /// Check-all `generation` could not run (cargo missing, say).
    CheckFailed {
        generation: u64,
        message: String,
    },
    /// How many crates a cold build compiles, for the first-start progress display.
    CompileSteps(usize),
    /// A message for the status line (watcher fell back to polling, reset done, ...).
    Note(String),
}

/// What the I/O side must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Cancel any run in progress and run exercise `index`.
    Run {
        index: usize,
        generation: u64,
    },
    /// Cancel any run and check every exercise.
    CheckAll {
        generation: u64,
    },
    Reset {
        index: usize,
    },
    SaveProgress,
    RevealSolution {
        index: usize,
    },
    /// Reveal the solutions of exercises that check-all found passing, without a note
    /// each (the check's panel says what passed).
    RevealSolutions {
        indices: Vec<usize>,
    },
    /// Ask cargo how many crates a cold build compiles (for the progress display).
    EstimateCompileSteps,
    Quit,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunState {
    Idle,
    Building {
        compiled: usize,
        waiting_for_lock: bool,
    },
    /// The binary runs; `tests` once the test harness announced them.
    Running {
        tests: Option<usize>,
        started: Instant,
    },
    Checking(CheckProgress),
}

/// How far check-all got, for the live counter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckProgress {
    pub total: usize,
    /// Exercises with a verdict so far.
    pub finished: usize,
    /// The exercise that got its verdict last (the build has no "current" one).
    pub last: Option<String>,
    /// Crates compiled while the build phase lasts; None once the binaries run.
    pub compiled: Option<usize>,
    pub started: Instant,
}

/// A result that stays on screen until the learner presses a key or saves: check-all's
/// summary outlasts the re-run of the current exercise that follows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Panel {
    pub title: String,
    pub lines: Vec<String>,
    /// Whether the title is good news (styled as success) or not.
    pub good: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum View {
    Main,
    List(ListState),
    /// Asking y/n before resetting exercise `index`; `from_list` returns there after.
    ConfirmReset {
        index: usize,
        from_list: Option<ListState>,
    },
}

/// Everything watch mode shows.
#[derive(Debug, Clone)]
pub struct App {
    pub exercises: Vec<ExerciseInfo>,
    pub progress: Progress,
    pub current: usize,
    pub run: RunState,
    /// The last finished run of the current exercise.
    pub last: Option<Outcome>,
    pub show_hint: bool,
    pub view: View,
    /// The message line. It answers a key or an event and stays until the next key or
    /// save, so a learner who looked away still reads it.
    pub note: Option<String>,
    /// The note is about the run in progress ("wait for the run to finish"): the end of
    /// the run makes it stale.
    note_until_run_ends: bool,
    pub panel: Option<Panel>,
    /// The clock, set by the loop before every input: rendering stays pure.
    pub now: Instant,
    pub scroll: usize,
    pub width: u16,
    pub height: u16,
    /// Shown until the first run of the first exercise finishes or a key is pressed.
    pub welcome: Option<String>,
    pub final_message: Option<String>,
    pub show_final: bool,
    /// "watching", "polling (why)", or "manual".
    pub watching: String,
    /// Crates a cold build compiles (known shortly after start).
    pub compile_steps: Option<usize>,
    estimate_requested: bool,
    generation: u64,
    /// Reset rewrote this file: its save notice is ours, not the learner's, and must not
    /// wipe the reset's message.
    own_write: Option<PathBuf>,
}

impl App {
    pub fn new(exercises: Vec<ExerciseInfo>, progress: Progress) -> Self {
        let current = progress
            .current
            .as_deref()
            .and_then(|c| exercises.iter().position(|e| e.name == c))
            .unwrap_or(0);
        Self {
            exercises,
            progress,
            current,
            run: RunState::Idle,
            last: None,
            show_hint: false,
            view: View::Main,
            note: None,
            note_until_run_ends: false,
            panel: None,
            now: Instant::now(),
            scroll: 0,
            width: 80,
            height: 24,
            welcome: None,
            final_message: None,
            show_final: false,
            watching: "watching".into(),
            compile_steps: None,
            estimate_requested: false,
            generation: 0,
            own_write: None,
        }
    }

    pub fn current_exercise(&self) -> &ExerciseInfo {
        &self.exercises[self.current]
    }

    pub fn done_count(&self) -> usize {
        self.exercises
            .iter()
            .filter(|e| self.progress.is_done(&e.name))
            .count()
    }

    /// The effects of starting up: run the current exercise.
    pub fn start(&mut self) -> Vec<Effect> {
        vec![self.run_current()]
    }

    fn run_current(&mut self) -> Effect {
        self.generation += 1;
        self.run = RunState::Building {
            compiled: 0,
            waiting_for_lock: false,
        };
        Effect::Run {
            index: self.current,
            generation: self.generation,
        }
    }

    pub fn handle(&mut self, input: Input) -> Vec<Effect> {
        match input {
            Input::Key(key) => self.key(key),
            Input::Resize { width, height } if width > 0 && height > 0 => {
                self.width = width;
                self.height = height;
                Vec::new()
            }
            Input::Saved(paths) => self.saved(&paths),
            Input::Building {
                generation,
                compiled,
            } if generation == self.generation => {
                match &mut self.run {
                    RunState::Building { compiled: c, .. } => *c = compiled,
                    RunState::Checking(check) => check.compiled = Some(compiled),
                    _ => {}
                }
                // Dependencies are compiling: a cold build, worth a total. Asked only
                // now because `cargo metadata` would contend for cargo's package lock.
                // Not during check-all: its build compiles every exercise, a crate each.
                if compiled >= FIRST_BUILD_CRATES
                    && !self.estimate_requested
                    && matches!(self.run, RunState::Building { .. })
                {
                    self.estimate_requested = true;
                    return vec![Effect::EstimateCompileSteps];
                }
                Vec::new()
            }
            Input::Built { generation } if generation == self.generation => {
                match &mut self.run {
                    RunState::Checking(check) => check.compiled = None,
                    _ => {
                        self.run = RunState::Running {
                            tests: None,
                            started: self.now,
                        }
                    }
                }
                Vec::new()
            }
            Input::TestsAnnounced { generation, tests } if generation == self.generation => {
                if let RunState::Running { tests: t, .. } = &mut self.run {
                    *t = Some(tests);
                }
                Vec::new()
            }
            Input::CheckProgress { generation, name } if generation == self.generation => {
                if let RunState::Checking(check) = &mut self.run {
                    check.finished += 1;
                    check.compiled = None;
                    check.last = Some(name);
                }
                Vec::new()
            }
            Input::WaitingForLock { generation } if generation == self.generation => {
                if let RunState::Building {
                    waiting_for_lock, ..
                } = &mut self.run
                {
                    *waiting_for_lock = true;
                }
                Vec::new()
            }
            Input::Finished {
                generation,
                outcome,
            } if generation == self.generation => self.finished(outcome),
            Input::RunError {
                generation,
                message,
            } if generation == self.generation => {
                self.run = RunState::Idle;
                self.last = None;
                self.set_note(message);
                Vec::new()
            }
            Input::Checked {
                generation,
                passed,
                failed,
            } if generation == self.generation => self.checked(passed, failed),
            Input::CompileSteps(steps) => {
                self.compile_steps = Some(steps);
                Vec::new()
            }
            Input::CheckFailed {
                generation,
                message,
            } if generation == self.generation => {
                self.run = RunState::Idle;
                self.set_note(message);
                Vec::new()
            }
            Input::Note(note) => {
                self.set_note(note);
                Vec::new()
            }
            // Progress of a run that was superseded.
            _ => Vec::new(),
        }
    }

    fn saved(&mut self, paths: &[PathBuf]) -> Vec<Effect> {
        let ours = self
            .own_write
            .as_ref()
            .is_some_and(|own| paths.len() == 1 && paths[0] == *own);
        if ours {
            self.own_write = None;
        }
        if paths.iter().any(|p| *p == self.current_exercise().path) {
            if !ours {
                self.dismiss();
            }
            self.scroll = 0;
            return vec![self.run_current()];
        }
        let other = paths
            .iter()
            .find_map(|p| self.exercises.iter().find(|e| e.path == *p));
        if let Some(other) = other
            && !ours
        {
            self.panel = None;
            self.set_note(format!(
                "saved {} (not the current exercise; `l` to switch)",
                other.rel_path
            ));
        }
        Vec::new()
    }

    fn finished(&mut self, outcome: Outcome) -> Vec<Effect> {
        self.run = RunState::Idle;
        if outcome.verdict == Verdict::Cancelled {
            return Vec::new();
        }
        if self.note_until_run_ends {
            self.note = None;
            self.note_until_run_ends = false;
        }
        let mut effects = Vec::new();
        let name = self.current_exercise().name.clone();
        if outcome.verdict.passed() {
            if !self.progress.is_done(&name) {
                self.progress.mark_done(&name);
                effects.push(Effect::SaveProgress);
            }
            effects.push(Effect::RevealSolution {
                index: self.current,
            });
            if self.done_count() == self.exercises.len() {
                self.show_final = true;
            }
        } else if self.progress.is_done(&name) {
            self.progress.mark_pending(&name);
            effects.push(Effect::SaveProgress);
        }
        self.last = Some(outcome);
        effects
    }

    fn checked(&mut self, passed: Vec<String>, failed: Vec<(String, String)>) -> Vec<Effect> {
        let elapsed = match &self.run {
            RunState::Checking(check) => self.now.saturating_duration_since(check.started),
            _ => Duration::ZERO,
        };
        self.run = RunState::Idle;
        for name in &passed {
            self.progress.mark_done(name);
        }
        for (name, _) in &failed {
            self.progress.mark_pending(name);
        }
        let total = passed.len() + failed.len();
        let done = self.done_count();
        let title = if failed.is_empty() {
            format!(
                "check all: all {total} exercises pass ({})",
                seconds(elapsed)
            )
        } else {
            format!(
                "check all: {} of {total} pass, {} fail ({})",
                passed.len(),
                failed.len(),
                seconds(elapsed)
            )
        };
        let mut lines: Vec<String> = failed
            .iter()
            .map(|(name, verdict)| format!("✗ {name}: {verdict}"))
            .collect();
        lines.push(format!("{done} of {} done", self.exercises.len()));
        self.panel = Some(Panel {
            title,
            lines,
            good: failed.is_empty(),
        });
        self.scroll = 0;
        if done == self.exercises.len() {
            self.show_final = true;
        }
        // Every exercise that passed, however it passed, shows its solution.
        let indices = passed
            .iter()
            .filter_map(|name| self.exercises.iter().position(|e| e.name == *name))
            .collect();
        vec![
            Effect::SaveProgress,
            Effect::RevealSolutions { indices },
            self.run_current(),
        ]
    }

    /// The note and the panel go: the learner acted (a key, a save).
    fn dismiss(&mut self) {
        self.note = None;
        self.note_until_run_ends = false;
        self.panel = None;
    }

    /// A note that stays until the next key or save.
    pub fn set_note(&mut self, note: impl Into<String>) {
        self.note = Some(note.into());
        self.note_until_run_ends = false;
    }

    /// A note about the run in progress; its end makes the note stale.
    fn set_run_note(&mut self, note: impl Into<String>) {
        self.note = Some(note.into());
        self.note_until_run_ends = true;
    }

    /// Whether a run or check is in progress (the screen's counters tick).
    pub fn busy(&self) -> bool {
        self.run != RunState::Idle
    }

    fn key(&mut self, key: Key) -> Vec<Effect> {
        if key == Key::CtrlC {
            return vec![Effect::Quit];
        }
        self.welcome = None;
        // Scrolling reads the panel or the note's output: only other keys dismiss them.
        let scrolls = matches!(
            key,
            Key::Up
                | Key::Down
                | Key::PageUp
                | Key::PageDown
                | Key::Home
                | Key::End
                | Key::Char('j' | 'k' | 'g' | 'G')
        );
        if !scrolls {
            self.dismiss();
        }
        match self.view.clone() {
            View::Main => self.main_key(key),
            View::List(list) => self.list_key(key, list),
            View::ConfirmReset { index, from_list } => {
                self.view = match from_list {
                    Some(list) => View::List(list),
                    None => View::Main,
                };
                if key == Key::Char('y') {
                    vec![Effect::Reset { index }]
                } else {
                    self.set_note("reset cancelled");
                    Vec::new()
                }
            }
        }
    }

    fn main_key(&mut self, key: Key) -> Vec<Effect> {
        match key {
            Key::Char('q') => vec![Effect::Quit],
            Key::Char('n') => self.next(),
            Key::Char('h') => {
                self.show_hint = !self.show_hint;
                Vec::new()
            }
            Key::Char('r') => vec![self.run_current()],
            Key::Char('l') => {
                self.view = View::List(ListState {
                    selected: self.current,
                    filter: Filter::All,
                    search: String::new(),
                    typing_search: false,
                });
                Vec::new()
            }
            Key::Char('x') => {
                self.view = View::ConfirmReset {
                    index: self.current,
                    from_list: None,
                };
                Vec::new()
            }
            Key::Char('c') => {
                self.generation += 1;
                self.run = RunState::Checking(CheckProgress {
                    total: self.exercises.len(),
                    finished: 0,
                    last: None,
                    compiled: Some(0),
                    started: self.now,
                });
                vec![Effect::CheckAll {
                    generation: self.generation,
                }]
            }
            Key::Up | Key::Char('k') => {
                self.scroll = self.scroll.saturating_sub(1);
                Vec::new()
            }
            Key::Down | Key::Char('j') => {
                self.scroll += 1;
                Vec::new()
            }
            Key::PageUp => {
                self.scroll = self.scroll.saturating_sub(self.page());
                Vec::new()
            }
            Key::PageDown => {
                self.scroll += self.page();
                Vec::new()
            }
            Key::Home | Key::Char('g') => {
                self.scroll = 0;
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    pub(super) fn page(&self) -> usize {
        usize::from(self.height.saturating_sub(8)).max(1)
    }

    fn current_passed(&self) -> bool {
        self.last.as_ref().is_some_and(|o| o.verdict.passed())
    }

    /// `n` only moves on once the current exercise passed with its current content.
    fn next(&mut self) -> Vec<Effect> {
        if !self.current_passed() {
            match self.run {
                RunState::Idle => {
                    self.set_note("the current exercise does not pass yet; fix it first")
                }
                _ => self.set_run_note("wait for the run to finish"),
            }
            return Vec::new();
        }
        let names: Vec<&str> = self.exercises.iter().map(|e| e.name.as_str()).collect();
        let mut progress = self.progress.clone();
        progress.current = Some(self.current_exercise().name.clone());
        match progress.next_pending(&names) {
            Some(next) => {
                let index = names.iter().position(|n| *n == next).unwrap_or(0);
                self.select(index)
            }
            None => {
                self.show_final = true;
                self.set_note("every exercise is done");
                Vec::new()
            }
        }
    }

    pub(super) fn select(&mut self, index: usize) -> Vec<Effect> {
        self.current = index;
        self.progress.current = Some(self.exercises[index].name.clone());
        self.last = None;
        self.show_hint = false;
        self.scroll = 0;
        self.dismiss();
        vec![Effect::SaveProgress, self.run_current()]
    }

    /// After a reset of `index`: it is pending again, and re-runs if it is current.
    /// `rewrote` says the file changed, so the watcher will report a save of it.
    pub fn reset_done(&mut self, index: usize, note: String, rewrote: bool) -> Vec<Effect> {
        let name = self.exercises[index].name.clone();
        self.progress.mark_pending(&name);
        self.set_note(note);
        if rewrote {
            self.own_write = Some(self.exercises[index].path.clone());
        }
        let mut effects = vec![Effect::SaveProgress];
        if index == self.current {
            self.last = None;
            effects.push(self.run_current());
        }
        effects
    }
}

/// A build that compiles this many crates is the dependencies' first build, not an
/// ordinary edit's (which compiles the exercise alone).
pub const FIRST_BUILD_CRATES: usize = 3;

/// "3.1 s": one decimal, enough to see it move, never jittery.
pub fn seconds(duration: Duration) -> String {
    format!("{:.1} s", duration.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::Variant;
    use std::time::Duration;

    fn app(n: usize) -> App {
        let exercises = (0..n)
            .map(|i| ExerciseInfo {
                name: format!("ex{i}"),
                chapter: if i < 2 {
                    "00_intro".into()
                } else {
                    "01_http".into()
                },
                rel_path: format!("exercises/ex{i}.rs"),
                path: PathBuf::from(format!("/set/exercises/ex{i}.rs")),
                hint: format!("hint {i}"),
                timeout: Duration::from_secs(10),
            })
            .collect();
        App::new(exercises, Progress::default())
    }

    fn outcome(verdict: Verdict) -> Outcome {
        Outcome {
            name: "ex0".into(),
            variant: Variant::Exercise,
            verdict,
            output: String::new(),
            duration: Duration::ZERO,
            failed_tests: Vec::new(),
            warnings: 0,
        }
    }

    fn generation_of(effects: &[Effect]) -> u64 {
        generation(effects)
    }

    fn generation(effects: &[Effect]) -> u64 {
        effects
            .iter()
            .find_map(|e| match e {
                Effect::Run { generation, .. } => Some(*generation),
                _ => None,
            })
            .expect("a run")
    }

    #[test]
    fn saving_the_current_file_reruns_and_others_only_note() {
        let mut app = app(3);
        app.start();
        let effects = app.handle(Input::Saved(vec!["/set/exercises/ex0.rs".into()]));
        assert!(matches!(effects[..], [Effect::Run { index: 0, .. }]));
        let effects = app.handle(Input::Saved(vec!["/set/exercises/ex2.rs".into()]));
        assert!(effects.is_empty());
        assert!(app.note.as_deref().unwrap().contains("ex2.rs"));
    }

    #[test]
    fn next_only_after_a_pass_and_never_automatically() {
        let mut app = app(3);
        let g = generation(&app.start());
        app.handle(Input::Key(Key::Char('n')));
        assert_eq!(app.current, 0, "no pass yet");
        let effects = app.handle(Input::Finished {
            generation: g,
            outcome: outcome(Verdict::Passed),
        });
        assert!(effects.contains(&Effect::SaveProgress));
        assert_eq!(app.current, 0, "passing does not advance by itself");
        let effects = app.handle(Input::Key(Key::Char('n')));
        assert_eq!(app.current, 1);
        assert!(matches!(
            effects[..],
            [Effect::SaveProgress, Effect::Run { index: 1, .. }]
        ));
    }

    #[test]
    fn results_of_superseded_runs_are_ignored() {
        let mut app = app(2);
        let old = generation(&app.start());
        app.handle(Input::Key(Key::Char('r')));
        app.handle(Input::Finished {
            generation: old,
            outcome: outcome(Verdict::Passed),
        });
        assert!(app.last.is_none());
        assert!(!app.progress.is_done("ex0"));
    }

    #[test]
    fn failing_again_marks_pending() {
        let mut app = app(2);
        app.progress.mark_done("ex0");
        let g = generation(&app.start());
        app.handle(Input::Finished {
            generation: g,
            outcome: outcome(Verdict::TestsFailed),
        });
        assert!(!app.progress.is_done("ex0"));
    }

    #[test]
    fn list_navigates_filters_searches_and_jumps() {
        let mut app = app(5);
        app.start();
        app.progress.mark_done("ex1");
        app.handle(Input::Key(Key::Char('l')));
        app.handle(Input::Key(Key::Char('G')));
        let View::List(list) = &app.view else {
            panic!()
        };
        assert_eq!(list.selected, 4);
        app.handle(Input::Key(Key::Char('f'))); // pending
        app.handle(Input::Key(Key::Char('f'))); // done
        let View::List(list) = app.view.clone() else {
            panic!()
        };
        assert_eq!(app.visible(&list), [1]);
        assert_eq!(list.selected, 1);
        app.handle(Input::Key(Key::Char('f'))); // all
        for c in "/http".chars() {
            app.handle(Input::Key(Key::Char(c)));
        }
        app.handle(Input::Key(Key::Enter));
        let View::List(list) = app.view.clone() else {
            panic!()
        };
        assert_eq!(app.visible(&list), [2, 3, 4]);
        app.handle(Input::Key(Key::Down));
        let effects = app.handle(Input::Key(Key::Enter));
        assert_eq!(app.current, 3);
        assert_eq!(app.view, View::Main);
        assert!(matches!(
            effects[..],
            [Effect::SaveProgress, Effect::Run { index: 3, .. }]
        ));
    }

    #[test]
    fn reset_asks_first() {
        let mut app = app(2);
        app.handle(Input::Key(Key::Char('x')));
        assert!(app.handle(Input::Key(Key::Char('n'))).is_empty());
        assert_eq!(app.view, View::Main);
        app.handle(Input::Key(Key::Char('x')));
        assert_eq!(
            app.handle(Input::Key(Key::Char('y'))),
            [Effect::Reset { index: 0 }]
        );
    }

    #[test]
    fn check_all_updates_both_ways() {
        let mut app = app(3);
        app.progress.mark_done("ex2");
        app.handle(Input::Key(Key::Char('c')));
        assert!(matches!(app.run, RunState::Checking(_)));
        app.handle(Input::Checked {
            generation: app.generation,
            passed: vec!["ex0".into()],
            failed: vec![("ex2".into(), "tests failed".into())],
        });
        assert!(app.progress.is_done("ex0"));
        assert!(!app.progress.is_done("ex2"));
        let panel = app.panel.as_ref().expect("a result panel");
        assert!(panel.title.contains("1 of 2 pass, 1 fail"), "{panel:?}");
        assert!(panel.lines.contains(&"✗ ex2: tests failed".to_string()));
    }

    #[test]
    fn check_all_counts_up_then_leaves_a_panel_until_a_key() {
        let mut app = app(3);
        let started = app.now;
        let effects = app.handle(Input::Key(Key::Char('c')));
        let [Effect::CheckAll { generation }] = effects[..] else {
            panic!("{effects:?}")
        };
        app.handle(Input::Building {
            generation,
            compiled: 2,
        });
        app.handle(Input::Built { generation });
        app.handle(Input::CheckProgress {
            generation,
            name: "ex1".into(),
        });
        let RunState::Checking(check) = &app.run else {
            panic!("{:?}", app.run)
        };
        assert_eq!((check.finished, check.total), (1, 3));
        assert_eq!(check.last.as_deref(), Some("ex1"));
        app.now = started + Duration::from_secs(19);
        let effects = app.handle(Input::Checked {
            generation,
            passed: vec!["ex0".into(), "ex1".into()],
            failed: vec![("ex2".into(), "tests failed".into())],
        });
        assert!(effects.contains(&Effect::RevealSolutions {
            indices: vec![0, 1]
        }));
        let title = app.panel.as_ref().map(|p| p.title.clone());
        assert_eq!(
            title.as_deref(),
            Some("check all: 2 of 3 pass, 1 fail (19.0 s)")
        );
        // The re-run of the current exercise that follows does not replace it.
        let g = generation_of(&effects);
        app.handle(Input::Finished {
            generation: g,
            outcome: outcome(Verdict::Passed),
        });
        assert!(app.panel.is_some());
        // Scrolling reads it; any other key closes it.
        app.handle(Input::Key(Key::Down));
        assert!(app.panel.is_some());
        app.handle(Input::Key(Key::Char('h')));
        assert!(app.panel.is_none());
    }

    #[test]
    fn check_all_builds_ask_no_estimate_and_a_failed_check_stops_counting() {
        let mut app = app(3);
        let effects = app.handle(Input::Key(Key::Char('c')));
        let [Effect::CheckAll { generation }] = effects[..] else {
            panic!("{effects:?}")
        };
        let effects = app.handle(Input::Building {
            generation,
            compiled: 10,
        });
        assert!(effects.is_empty(), "{effects:?}");
        app.handle(Input::CheckFailed {
            generation,
            message: "check failed: no cargo".into(),
        });
        assert_eq!(app.run, RunState::Idle);
        assert_eq!(app.note.as_deref(), Some("check failed: no cargo"));
    }

    #[test]
    fn check_all_reaching_every_exercise_shows_the_final_message() {
        let mut app = app(2);
        app.handle(Input::Key(Key::Char('c')));
        app.handle(Input::Checked {
            generation: app.generation,
            passed: vec!["ex0".into(), "ex1".into()],
            failed: Vec::new(),
        });
        assert!(app.show_final);
        assert!(app.panel.as_ref().is_some_and(|p| p.good));
    }

    #[test]
    fn a_saved_file_closes_the_panel_and_the_note() {
        let mut app = app(2);
        app.set_note("something");
        app.panel = Some(Panel {
            title: "t".into(),
            lines: Vec::new(),
            good: true,
        });
        app.handle(Input::Saved(vec!["/set/exercises/ex0.rs".into()]));
        assert!(app.note.is_none() && app.panel.is_none());
    }

    #[test]
    fn the_reset_message_outlives_the_save_of_its_own_write() {
        let mut app = app(2);
        app.start();
        app.handle(Input::Key(Key::Char('x')));
        assert_eq!(
            app.handle(Input::Key(Key::Char('y'))),
            [Effect::Reset { index: 0 }]
        );
        app.reset_done(0, "ex0 reset".into(), true);
        let effects = app.handle(Input::Saved(vec!["/set/exercises/ex0.rs".into()]));
        assert!(matches!(effects[..], [Effect::Run { index: 0, .. }]));
        assert_eq!(app.note.as_deref(), Some("ex0 reset"));
        // The learner's next save is theirs.
        app.handle(Input::Saved(vec!["/set/exercises/ex0.rs".into()]));
        assert!(app.note.is_none());
    }

    #[test]
    fn a_note_about_the_run_goes_when_the_run_ends() {
        let mut app = app(2);
        let g = generation(&app.start());
        app.handle(Input::Key(Key::Char('n')));
        assert_eq!(app.note.as_deref(), Some("wait for the run to finish"));
        app.handle(Input::Finished {
            generation: g,
            outcome: outcome(Verdict::TestsFailed),
        });
        assert!(app.note.is_none(), "stale: {:?}", app.note);
    }

    #[test]
    fn a_run_goes_from_building_to_running_with_its_test_count() {
        let mut app = app(1);
        let generation = generation(&app.start());
        app.handle(Input::Built { generation });
        app.handle(Input::TestsAnnounced {
            generation,
            tests: 4,
        });
        assert!(matches!(app.run, RunState::Running { tests: Some(4), .. }));
    }

    #[test]
    fn the_last_pass_shows_the_final_message() {
        let mut app = app(1);
        let g = generation(&app.start());
        app.handle(Input::Finished {
            generation: g,
            outcome: outcome(Verdict::Passed),
        });
        assert!(app.show_final);
    }

    #[test]
    fn a_cold_build_asks_for_its_size_once() {
        let mut app = app(1);
        let generation = generation(&app.start());
        let building = |compiled| Input::Building {
            generation,
            compiled,
        };
        assert!(app.handle(building(1)).is_empty());
        assert_eq!(app.handle(building(3)), [Effect::EstimateCompileSteps]);
        assert!(app.handle(building(4)).is_empty());
    }

    #[test]
    fn quit_keys() {
        let mut app = app(1);
        assert_eq!(app.handle(Input::Key(Key::Char('q'))), [Effect::Quit]);
        assert_eq!(app.handle(Input::Key(Key::CtrlC)), [Effect::Quit]);
    }
}
