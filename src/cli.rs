//! Command-line interface: argument definitions and dispatch to the commands.
//!
//! Exit codes: 0 success, 1 an exercise (or a check) failed, 2 bad input, usage or
//! environment error.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::commands;
use crate::style;

pub use crate::exit::{BAD_INPUT as EXIT_BAD_INPUT, FAILED as EXIT_FAILED};

#[derive(Debug, Parser)]
#[command(
    name = "backlings",
    version,
    about = "Hands-on backend exercises in Rust: fix small broken HTTP, SQL and security programs until their tests pass.",
    after_help = "Without a command, backlings starts watch mode on the exercise set in the current directory (or a parent). In the repository that ships the bundled course, it makes (or reopens) the learner's workspace learn/ there and watches that; `backlings watch` watches the repository itself.\n\nExit status: 0 success, 1 an exercise or check failed, 2 bad input or usage."
)]
pub struct Cli {
    /// Run as if backlings was started in DIR.
    #[arg(short = 'C', long = "directory", value_name = "DIR", global = true)]
    pub directory: Option<PathBuf>,

    #[command(flatten)]
    pub watch: WatchArgs,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Clone, Args)]
pub struct WatchArgs {
    /// Poll the exercise files for changes instead of using native file events.
    #[arg(long)]
    pub poll: bool,
    /// Do not watch files; re-run only when `r` is pressed.
    #[arg(long, conflicts_with = "poll")]
    pub manual_run: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Watch the exercise files and re-run the current exercise on every save (the default),
    /// in this very set.
    Watch(WatchArgs),
    /// Run the current (or named) exercise once; mark it done if it passes.
    Run {
        /// Exercise name (default: the current exercise).
        name: Option<String>,
    },
    /// Show the hint of the current (or named) exercise.
    Hint {
        /// Exercise name (default: the current exercise).
        name: Option<String>,
    },
    /// List the exercises with their state.
    List {
        #[arg(long, value_enum, default_value_t = ListFormat::Human)]
        format: ListFormat,
    },
    /// Restore an exercise as shipped; your version is kept under .backlings/backups/.
    Reset {
        /// The exercise to restore (`backlings list` shows the names).
        name: String,
    },
    /// Write a standalone workspace of the bundled course into DIR (default: ./backlings).
    Init {
        /// Where to write the workspace: a directory that does not exist yet.
        dir: Option<PathBuf>,
    },
    /// Scaffold an exercise set for a teacher in DIR, with an example exercise, its
    /// solution and a wrong fix.
    New {
        /// Where to write the set: a new or empty directory.
        dir: PathBuf,
    },
    /// Regenerate the exercises package's [[bin]] list from info.toml.
    Sync {
        /// Only report whether the bin list is up to date (exit 1 if not).
        #[arg(long)]
        check: bool,
    },
    /// Check that a set is sound: every solution passes, every exercise fails as shipped.
    Check(commands::check::CheckArgs),
    /// Grade a learner's workspace against the reference set's tests, with points.
    Grade(commands::grade::GradeArgs),
    /// Say what this machine provides: the Rust toolchain, and the services (PostgreSQL)
    /// the set's exercises need, started and timed for real.
    Doctor,
    /// Write a CI workflow that grades this repository on every push.
    #[command(subcommand)]
    Ci(commands::ci::CiCommand),
    /// Print a shell completion script (e.g. `backlings completions bash > ~/.local/share/bash-completion/completions/backlings`).
    Completions {
        /// The shell to complete for.
        shell: clap_complete::Shell,
    },
    /// Print the manual page (e.g. `backlings man > ~/.local/share/man/man1/backlings.1`).
    Man,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    Human,
    Json,
}

/// Parses arguments, runs the command, and maps its result to an exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = dispatch(cli);
    // Interrupted: the runs failed because they were killed, which is not the answer.
    // The signal thread exits with the signal's status once everything is stopped.
    if crate::signals::received().is_some() {
        crate::signals::wait_for_exit();
    }
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("{} {err:#}", style::failure().apply_to("error:"));
            ExitCode::from(EXIT_BAD_INPUT)
        }
    }
}

fn dispatch(cli: Cli) -> anyhow::Result<ExitCode> {
    // Processes that leave their group are re-parented to us, to be swept after each run.
    crate::supervisor::become_subreaper();
    // Watch mode handles signals in its own loop, where it can restore the screen.
    let watching = matches!(cli.command, None | Some(Command::Watch(_)));
    if !watching {
        crate::signals::install()?;
    }
    let start = match &cli.directory {
        Some(dir) => std::fs::canonicalize(dir)
            .map_err(|e| anyhow::anyhow!("cannot use -C {}: {e}", dir.display()))?,
        None => std::env::current_dir()?,
    };
    match cli.command {
        None => commands::start::run(&start, &cli.watch),
        Some(Command::Watch(args)) => commands::watch::run(&start, &args),
        Some(Command::Run { name }) => commands::run::run(&start, name.as_deref()),
        Some(Command::Hint { name }) => commands::run::hint(&start, name.as_deref()),
        Some(Command::List { format }) => commands::list::run(&start, format),
        Some(Command::Reset { name }) => commands::reset::run(&start, &name),
        Some(Command::Init { dir }) => commands::init::run(&start, dir.as_deref()),
        Some(Command::New { dir }) => commands::new::run(&start.join(dir)),
        Some(Command::Sync { check }) => commands::sync::run(&start, check),
        Some(Command::Check(args)) => commands::check::check(&start, &args),
        Some(Command::Grade(args)) => commands::grade::grade(&start, &args),
        Some(Command::Ci(command)) => commands::ci::run(&start, &command),
        Some(Command::Doctor) => commands::doctor::run(&start),
        Some(Command::Completions { shell }) => {
            let mut command = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut command, "backlings", &mut std::io::stdout());
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Man) => {
            let command = <Cli as clap::CommandFactory>::command();
            match clap_mangen::Man::new(command).render(&mut std::io::stdout()) {
                // A reader that stops early (`| head`) is not an error of ours.
                Err(err) if err.kind() != std::io::ErrorKind::BrokenPipe => Err(err.into()),
                _ => Ok(ExitCode::SUCCESS),
            }
        }
    }
}
