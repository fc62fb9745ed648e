//! Runs child processes under supervision: each child leads its own process group, has
//! stdin closed, its output streamed to bounded sinks, an optional wall-clock limit and a
//! cancel switch. Termination is SIGTERM to the whole group, a grace period, then SIGKILL.
//! After the leader exits, whatever it left behind in its group is killed too, and the
//! leader is reaped exactly once. Dropping a running child kills its group.

use std::ffi::OsString;
use std::io::{self, Read};
use std::path::PathBuf;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, killpg};
use nix::sys::wait::{Id, WaitPidFlag, waitid};
use nix::unistd::Pid;
use process_wrap::std::{ChildWrapper, CommandWrap, ProcessGroup};

/// Time between SIGTERM and SIGKILL.
pub const GRACE: Duration = Duration::from_millis(500);
/// How long to wait for output pipes to drain after the group is gone; only a process that
/// escaped the group (a new session) can hold them open longer.
const DRAIN_WAIT: Duration = Duration::from_secs(1);
const TICK: Duration = Duration::from_millis(10);

/// Receives a child's output as it arrives.
pub trait Sink: Send + 'static {
    fn feed(&mut self, bytes: &[u8]);
}

/// A shared switch that stops a running child (e.g. the learner saved again).
#[derive(Debug, Clone, Default)]
pub struct Cancel(Arc<AtomicBool>);

impl Cancel {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// What to run.
#[derive(Debug, Clone)]
pub struct Job {
    pub program: PathBuf,
    pub args: Vec<OsString>,
    pub cwd: Option<PathBuf>,
    pub env: Vec<(OsString, OsString)>,
    /// Wall-clock limit; `None` for no limit.
    pub timeout: Option<Duration>,
}

impl Job {
    pub fn new(program: impl Into<PathBuf>) -> Self {
        Self {
            program: program.into(),
            args: Vec::new(),
            cwd: None,
            env: Vec::new(),
            timeout: None,
        }
    }

    pub fn arg(mut self, arg: impl Into<OsString>) -> Self {
        self.args.push(arg.into());
        self
    }

    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    pub fn cwd(mut self, dir: impl Into<PathBuf>) -> Self {
        self.cwd = Some(dir.into());
        self
    }

    pub fn env(mut self, key: impl Into<OsString>, value: impl Into<OsString>) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }

    pub fn timeout(mut self, limit: Duration) -> Self {
        self.timeout = Some(limit);
        self
    }
}

/// How the child ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    Exited(i32),
    Signaled(i32),
    /// Killed by the supervisor when its time limit passed.
    TimedOut,
    /// Killed by the supervisor because the run was cancelled.
    Cancelled,
}

impl Ending {
    pub fn success(self) -> bool {
        self == Ending::Exited(0)
    }
}

/// A finished child and what its sinks collected.
#[derive(Debug)]
pub struct Finished<O, E = O> {
    pub ending: Ending,
    pub stdout: O,
    pub stderr: E,
    pub duration: Duration,
}

/// Runs `job` with stdout and stderr going, interleaved, to one sink.
pub fn run_merged<S: Sink>(job: &Job, sink: S, cancel: &Cancel) -> io::Result<Finished<S, ()>> {
    let (reader, writer) = io::pipe()?;
    let streams = Streams {
        stdout: Stdio::from(writer.try_clone()?),
        stderr: Stdio::from(writer),
    };
    let merged = spawn_reader(reader, sink);
    let (ending, duration) = supervise(job, streams, cancel)?;
    Ok(Finished {
        ending,
        stdout: merged.collect(),
        stderr: (),
        duration,
    })
}

/// Runs `job` with stdout and stderr going to separate sinks.
pub fn run_split<O: Sink, E: Sink>(
    job: &Job,
    stdout: O,
    stderr: E,
    cancel: &Cancel,
) -> io::Result<Finished<O, E>> {
    let (out_reader, out_writer) = io::pipe()?;
    let (err_reader, err_writer) = io::pipe()?;
    let streams = Streams {
        stdout: Stdio::from(out_writer),
        stderr: Stdio::from(err_writer),
    };
    let out = spawn_reader(out_reader, stdout);
    let err = spawn_reader(err_reader, stderr);
    let (ending, duration) = supervise(job, streams, cancel)?;
    Ok(Finished {
        ending,
        stdout: out.collect(),
        stderr: err.collect(),
        duration,
    })
}

struct Streams {
    stdout: Stdio,
    stderr: Stdio,
}

/// A reader thread feeding a sink; the sink is shared so that it can be taken even if
/// an escaped process keeps the pipe open.
struct Reader<S> {
    sink: Arc<Mutex<Option<S>>>,
    done: mpsc::Receiver<()>,
}

fn spawn_reader<S: Sink>(mut pipe: io::PipeReader, sink: S) -> Reader<S> {
    let sink = Arc::new(Mutex::new(Some(sink)));
    let (tx, done) = mpsc::channel();
    let shared = Arc::clone(&sink);
    thread::spawn(move || {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match pipe.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => match shared.lock().as_deref_mut() {
                    Ok(Some(sink)) => sink.feed(&buf[..n]),
                    _ => break,
                },
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
        let _ = tx.send(());
    });
    Reader { sink, done }
}

impl<S: Sink> Reader<S> {
    fn collect(self) -> S {
        let _ = self.done.recv_timeout(DRAIN_WAIT);
        let taken = match self.sink.lock() {
            Ok(mut sink) => sink.take(),
            Err(poisoned) => poisoned.into_inner().take(),
        };
        // Only this function takes the sink, and it runs once.
        taken.expect("sink taken twice")
    }
}

fn supervise(job: &Job, streams: Streams, cancel: &Cancel) -> io::Result<(Ending, Duration)> {
    let started = Instant::now();
    let mut command = Command::new(&job.program);
    command
        .args(&job.args)
        .stdin(Stdio::null())
        .stdout(streams.stdout)
        .stderr(streams.stderr);
    if let Some(dir) = &job.cwd {
        command.current_dir(dir);
    }
    for (key, value) in &job.env {
        command.env(key, value);
    }
    let mut wrap = CommandWrap::from(command);
    wrap.wrap(ProcessGroup::leader());
    let child = wrap.spawn();
    // The Command holds our copies of the pipes' write ends: close them now, or the
    // readers would never see end-of-file.
    drop(wrap);
    let mut group = GroupGuard::new(child?);

    let exited = group.watch_exit();
    let deadline = job.timeout.map(|limit| started + limit);
    let forced = loop {
        match exited.recv_timeout(TICK) {
            Ok(()) | Err(RecvTimeoutError::Disconnected) => break None,
            Err(RecvTimeoutError::Timeout) => {}
        }
        if cancel.is_cancelled() {
            break Some(Ending::Cancelled);
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            break Some(Ending::TimedOut);
        }
    };
    if forced.is_some() {
        group.signal(Signal::SIGTERM);
        let _ = exited.recv_timeout(GRACE);
    }
    let status = group.finish()?;
    let ending = forced.unwrap_or_else(|| ending_of(status));
    Ok((ending, started.elapsed()))
}

fn ending_of(status: ExitStatus) -> Ending {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => Ending::Exited(code),
        (None, Some(signal)) => Ending::Signaled(signal),
        (None, None) => Ending::Exited(-1),
    }
}

/// Owns a spawned group leader until it is reaped; kills the group if dropped early.
struct GroupGuard {
    child: Option<Box<dyn ChildWrapper>>,
    pgid: Pid,
}

impl GroupGuard {
    fn new(child: Box<dyn ChildWrapper>) -> Self {
        // The leader's pid is its group id (ProcessGroup::leader).
        let pgid = Pid::from_raw(child.id() as i32);
        Self {
            child: Some(child),
            pgid,
        }
    }

    /// Signals when the leader has exited, without reaping it: until we reap it, its
    /// pid (and so the group id) cannot be reused, so signalling the group stays safe.
    fn watch_exit(&self) -> mpsc::Receiver<()> {
        let (tx, rx) = mpsc::channel();
        let pid = self.pgid;
        thread::spawn(move || {
            while let Err(nix::errno::Errno::EINTR) =
                waitid(Id::Pid(pid), WaitPidFlag::WEXITED | WaitPidFlag::WNOWAIT)
            {}
            let _ = tx.send(());
        });
        rx
    }

    fn signal(&self, signal: Signal) {
        // ESRCH (group already empty) is the normal case after a clean exit.
        let _ = killpg(self.pgid, signal);
    }

    /// Kills whatever is left in the group, then reaps the leader.
    fn finish(&mut self) -> io::Result<ExitStatus> {
        self.signal(Signal::SIGKILL);
        match self.child.take() {
            Some(mut child) => child.wait(),
            None => Err(io::Error::other("child already reaped")),
        }
    }
}

impl Drop for GroupGuard {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            self.signal(Signal::SIGKILL);
            let _ = child.wait();
        }
    }
}

/// A sink that keeps everything (for small, trusted outputs such as cargo's JSON).
#[derive(Debug, Default)]
pub struct Collect(pub Vec<u8>);

impl Sink for Collect {
    fn feed(&mut self, bytes: &[u8]) {
        self.0.extend_from_slice(bytes);
    }
}

impl Sink for () {
    fn feed(&mut self, _bytes: &[u8]) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str) -> Job {
        Job::new("/bin/sh").arg("-c").arg(script)
    }

    #[test]
    fn captures_merged_output_and_exit_code() {
        let done = run_merged(
            &sh("echo out; echo err >&2; exit 3"),
            Collect::default(),
            &Cancel::new(),
        )
        .unwrap();
        assert_eq!(done.ending, Ending::Exited(3));
        assert_eq!(String::from_utf8_lossy(&done.stdout.0), "out\nerr\n");
    }

    #[test]
    fn split_keeps_streams_apart() {
        let done = run_split(
            &sh("echo out; echo err >&2"),
            Collect::default(),
            Collect::default(),
            &Cancel::new(),
        )
        .unwrap();
        assert!(done.ending.success());
        assert_eq!(done.stdout.0, b"out\n");
        assert_eq!(done.stderr.0, b"err\n");
    }

    #[test]
    fn stdin_is_closed() {
        let done = run_merged(&sh("cat; echo eof"), Collect::default(), &Cancel::new()).unwrap();
        assert_eq!(done.stdout.0, b"eof\n");
    }

    #[test]
    fn timeout_kills_the_child() {
        let job = sh("sleep 30").timeout(Duration::from_millis(200));
        let done = run_merged(&job, Collect::default(), &Cancel::new()).unwrap();
        assert_eq!(done.ending, Ending::TimedOut);
        assert!(done.duration < Duration::from_secs(5));
    }

    #[test]
    fn cancel_stops_the_child() {
        let cancel = Cancel::new();
        let remote = cancel.clone();
        thread::spawn(move || {
            thread::sleep(Duration::from_millis(100));
            remote.cancel();
        });
        let done = run_merged(&sh("sleep 30"), Collect::default(), &cancel).unwrap();
        assert_eq!(done.ending, Ending::Cancelled);
    }

    #[test]
    fn background_grandchild_does_not_hold_the_run() {
        // The leader exits at once; the grandchild it leaves is killed with the group.
        let started = Instant::now();
        let done = run_merged(
            &sh("sleep 30 & echo started"),
            Collect::default(),
            &Cancel::new(),
        )
        .unwrap();
        assert!(done.ending.success());
        assert_eq!(done.stdout.0, b"started\n");
        assert!(started.elapsed() < Duration::from_secs(5));
    }
}
