//! Runs child processes under supervision: each child leads its own process group, has
//! stdin closed, its output streamed to bounded sinks, an optional wall-clock limit and a
//! cancel switch. Termination is SIGTERM to the whole group, a grace period, then SIGKILL.
//! After the leader exits, whatever it left behind in its group is killed too, and the
//! leader is reaped exactly once. Dropping a running child kills its group.
//!
//! Every live group is listed in a process-wide registry from spawn to reap, so that a
//! signal to the runner (Ctrl-C, SIGTERM, SIGHUP) can stop them all: see
//! [`terminate_all`]. Ctrl-C does not reach the groups by itself, since they are not the
//! terminal's foreground group, and no destructor runs when the runner is killed.
//!
//! Processes that leave their group (`setsid`, `process_group(0)`) escape `killpg`. On
//! Linux the runner is a child subreaper ([`become_subreaper`]): whatever its descendants
//! orphan is re-parented to it instead of to init. After each run, [`reap_orphans`]
//! kills and reaps the processes re-parented to the runner that belong to no live
//! supervised group and not to the runner's own group (which holds only the short-lived
//! helpers it starts itself, such as `git`); it never touches a group that another
//! thread is still supervising, so parallel runs of `check` and `grade` are safe. On
//! other Unixes there is no subreaper: a process that left its group outlives the run.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::{self, Read};
use std::path::PathBuf;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, MutexGuard};
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
/// Bounds the wait for killed processes to disappear; SIGKILL normally takes microseconds,
/// so this only matters for a process stuck in the kernel (a hung network filesystem).
const SETTLE_WAIT: Duration = Duration::from_secs(5);

/// Where a registered group is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum GroupState {
    /// Its leader runs or has not been reaped: the group is someone's to kill.
    Live,
    /// Leader reaped, group killed; what is left of it is an orphan now.
    Settling,
}

#[derive(Debug)]
struct Registry {
    groups: BTreeMap<i32, GroupState>,
    /// Set by [`terminate_all`]: no new group may start.
    closed: bool,
}

static REGISTRY: Mutex<Registry> = Mutex::new(Registry {
    groups: BTreeMap::new(),
    closed: false,
});
/// One orphan sweep at a time, so two threads never wait for the same process.
static SWEEP: Mutex<()> = Mutex::new(());

fn registry() -> MutexGuard<'static, Registry> {
    // The registry stays consistent even if a holder panicked: every update is one
    // insert or remove.
    REGISTRY.lock().unwrap_or_else(|e| e.into_inner())
}

/// Groups whose leaders are running now (for tests and diagnostics).
pub fn live_groups() -> Vec<i32> {
    registry()
        .groups
        .iter()
        .filter(|(_, state)| **state == GroupState::Live)
        .map(|(pgid, _)| *pgid)
        .collect()
}

/// Makes this process the reaper of its descendants' orphans (Linux), so that processes
/// which left their group are re-parented to it and found by [`reap_orphans`]. Harmless
/// to call more than once; a no-op on other systems.
pub fn become_subreaper() {
    #[cfg(target_os = "linux")]
    {
        // Failure only costs the sweep of escaped processes; runs still work.
        let _ = nix::sys::prctl::set_child_subreaper(true);
    }
}

/// Stops every supervised group, for a signal to the runner: no new group starts after
/// this is called; each live group gets SIGTERM, then up to `grace` to exit (cut short
/// when `hurry` returns true, e.g. on a second Ctrl-C), then SIGKILL. Returns when the
/// supervising threads have reaped their leaders and orphans are swept (or after a
/// bounded wait).
pub fn terminate_all(grace: Duration, hurry: &mut dyn FnMut() -> bool) {
    let groups: Vec<i32> = {
        let mut registry = registry();
        registry.closed = true;
        registry.groups.keys().copied().collect()
    };
    for &pgid in &groups {
        let _ = killpg(Pid::from_raw(pgid), Signal::SIGTERM);
    }
    let started = Instant::now();
    while !live_groups().is_empty() && started.elapsed() < grace && !hurry() {
        thread::sleep(TICK);
    }
    kill_all_now();
    // The supervising threads notice their leaders' exit, reap them and settle.
    let started = Instant::now();
    while !registry().groups.is_empty() && started.elapsed() < SETTLE_WAIT {
        thread::sleep(TICK);
    }
    reap_orphans();
}

/// SIGKILL to every registered group at once.
pub fn kill_all_now() {
    let groups: Vec<i32> = registry().groups.keys().copied().collect();
    for pgid in groups {
        let _ = killpg(Pid::from_raw(pgid), Signal::SIGKILL);
    }
}

/// Kills and reaps the runner's orphans: processes re-parented to it (it is a subreaper)
/// that are neither in a live supervised group nor in the runner's own group. Repeats
/// until none is left, since killing one can orphan its children in turn.
pub fn reap_orphans() {
    #[cfg(target_os = "linux")]
    {
        let _serial = SWEEP.lock().unwrap_or_else(|e| e.into_inner());
        let me = nix::unistd::getpid().as_raw();
        let my_group = nix::unistd::getpgrp().as_raw();
        let started = Instant::now();
        while started.elapsed() < SETTLE_WAIT {
            let orphans: Vec<i32> = {
                // Scan with the registry held: a group spawned by a parallel run between a
                // snapshot and the scan would look like an orphan and be killed.
                let registry = registry();
                let live: Vec<i32> = registry
                    .groups
                    .iter()
                    .filter(|(_, state)| **state == GroupState::Live)
                    .map(|(pgid, _)| *pgid)
                    .collect();
                procfs_scan()
                    .into_iter()
                    .filter(|p| is_orphan(p, me, my_group, &live))
                    .map(|p| p.pid)
                    .collect()
            };
            if orphans.is_empty() {
                return;
            }
            for &pid in &orphans {
                let _ = nix::sys::signal::kill(Pid::from_raw(pid), Signal::SIGKILL);
            }
            for &pid in &orphans {
                reap(Pid::from_raw(pid), started);
            }
        }
    }
}

/// Waits for `pid` (our child, killed) without blocking past the sweep's deadline.
#[cfg(target_os = "linux")]
fn reap(pid: Pid, started: Instant) {
    use nix::sys::wait::{WaitStatus, waitpid};
    loop {
        match waitpid(pid, Some(WaitPidFlag::WNOHANG)) {
            Ok(WaitStatus::StillAlive) if started.elapsed() < SETTLE_WAIT => {
                thread::sleep(Duration::from_millis(1));
            }
            Err(nix::errno::Errno::EINTR) => {}
            // Reaped, not ours after all (ECHILD), or out of time.
            _ => return,
        }
    }
}

/// One process as `/proc/PID/stat` describes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ProcStat {
    pid: i32,
    ppid: i32,
    pgid: i32,
}

/// Parses `/proc/PID/stat`: `pid (comm) state ppid pgrp ...`, where comm may hold
/// spaces and parentheses, so the fields are counted from the last `)`.
fn parse_stat(text: &str) -> Option<ProcStat> {
    let (head, rest) = text.rsplit_once(')')?;
    let pid = head.split_once('(')?.0.trim().parse().ok()?;
    let mut fields = rest.split_whitespace();
    let _state = fields.next()?;
    let ppid = fields.next()?.parse().ok()?;
    let pgid = fields.next()?.parse().ok()?;
    Some(ProcStat { pid, ppid, pgid })
}

fn is_orphan(process: &ProcStat, me: i32, my_group: i32, live: &[i32]) -> bool {
    process.ppid == me && process.pgid != my_group && !live.contains(&process.pgid)
}

#[cfg(target_os = "linux")]
fn procfs_scan() -> Vec<ProcStat> {
    // Our children, from each of our threads' `children` list: a look at a handful of
    // processes, where a scan of /proc reads every process on the machine after every run.
    let pids: Vec<u32> = match own_children() {
        Some(children) => children,
        None => std::fs::read_dir("/proc")
            .map(|entries| {
                entries
                    .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse().ok())
                    .collect()
            })
            .unwrap_or_default(),
    };
    pids.into_iter()
        .filter_map(|pid| parse_stat(&std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?))
        .collect()
}

/// The children of every thread of this process (`/proc/self/task/*/children`), or `None`
/// where the kernel does not offer those lists.
#[cfg(target_os = "linux")]
fn own_children() -> Option<Vec<u32>> {
    let mut children = Vec::new();
    for task in std::fs::read_dir("/proc/self/task").ok()?.flatten() {
        match std::fs::read_to_string(task.path().join("children")) {
            Ok(list) => children.extend(
                list.split_whitespace()
                    .filter_map(|p| p.parse::<u32>().ok()),
            ),
            // A thread that ended meanwhile; its children went to another of ours.
            Err(_) if !task.path().exists() => {}
            Err(_) => return None,
        }
    }
    Some(children)
}

/// Whether any process (a zombie included) is still in group `pgid`.
#[cfg(target_os = "linux")]
fn group_exists(pgid: i32) -> bool {
    procfs_scan().iter().any(|p| p.pgid == pgid)
}

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
    /// Run as this user and group (uid, gid) instead of the runner's own.
    pub user: Option<(u32, u32)>,
}

impl Job {
    pub fn new(program: impl Into<PathBuf>) -> Self {
        Self {
            program: program.into(),
            args: Vec::new(),
            cwd: None,
            env: Vec::new(),
            timeout: None,
            user: None,
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

    /// Runs the job as `uid`/`gid` (the runner must be allowed to switch: root).
    pub fn user(mut self, uid: u32, gid: u32) -> Self {
        self.user = Some((uid, gid));
        self
    }

    fn command(&self, streams: Streams) -> Command {
        let mut command = Command::new(&self.program);
        command
            .args(&self.args)
            .stdin(Stdio::null())
            .stdout(streams.stdout)
            .stderr(streams.stderr);
        if let Some(dir) = &self.cwd {
            command.current_dir(dir);
        }
        for (key, value) in &self.env {
            command.env(key, value);
        }
        if let Some((uid, gid)) = self.user {
            use std::os::unix::process::CommandExt;
            command.uid(uid).gid(gid);
        }
        command
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
    let mut wrap = CommandWrap::from(job.command(streams));
    wrap.wrap(ProcessGroup::leader());
    let child = spawn_registered(&mut wrap);
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

/// Spawns with the registry held, so that [`terminate_all`] either sees the new group or
/// has closed the registry before it could start.
fn spawn_registered(wrap: &mut CommandWrap) -> io::Result<Box<dyn ChildWrapper>> {
    let mut registry = registry();
    if registry.closed {
        return Err(io::Error::new(
            io::ErrorKind::Interrupted,
            "backlings is stopping (interrupted)",
        ));
    }
    let child = wrap.spawn()?;
    registry.groups.insert(child.id() as i32, GroupState::Live);
    Ok(child)
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
        let status = match self.child.take() {
            Some(mut child) => child.wait(),
            None => Err(io::Error::other("child already reaped")),
        };
        self.settle();
        status
    }

    /// After the leader is reaped: the group's members (re-parented to us, as we are a
    /// subreaper) and whatever escaped from it are orphans now. Sweeps until the group is
    /// empty, so nothing of this run outlives it; then forgets the group.
    fn settle(&self) {
        let pgid = self.pgid.as_raw();
        if let Some(state) = registry().groups.get_mut(&pgid) {
            *state = GroupState::Settling;
        }
        #[cfg(target_os = "linux")]
        {
            let started = Instant::now();
            loop {
                reap_orphans();
                if !group_exists(pgid) || started.elapsed() >= SETTLE_WAIT {
                    break;
                }
                thread::sleep(Duration::from_millis(2));
            }
        }
        registry().groups.remove(&pgid);
    }
}

impl Drop for GroupGuard {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            self.signal(Signal::SIGKILL);
            let _ = child.wait();
            self.settle();
        }
    }
}

/// A long-running child (a server an exercise needs): supervised like every run — own
/// process group, listed in the registry so a signal to the runner stops it, its group
/// killed when it is dropped — but not waited for.
pub struct Background {
    group: GroupGuard,
    exited: mpsc::Receiver<()>,
    has_exited: bool,
}

impl std::fmt::Debug for Background {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Background")
            .field("pgid", &self.group.pgid)
            .finish()
    }
}

/// Starts `job` in the background with its stdout and stderr appended to `log`.
pub fn spawn_background(job: &Job, log: &std::fs::File) -> io::Result<Background> {
    let streams = Streams {
        stdout: Stdio::from(log.try_clone()?),
        stderr: Stdio::from(log.try_clone()?),
    };
    let mut wrap = CommandWrap::from(job.command(streams));
    wrap.wrap(ProcessGroup::leader());
    let group = GroupGuard::new(spawn_registered(&mut wrap)?);
    let exited = group.watch_exit();
    Ok(Background {
        group,
        exited,
        has_exited: false,
    })
}

impl Background {
    /// The leader's process id.
    pub fn pid(&self) -> u32 {
        self.group.pgid.as_raw().unsigned_abs()
    }

    /// Whether the leader is still running (it is not reaped until [`Background::stop`]).
    pub fn is_running(&mut self) -> bool {
        if !self.has_exited {
            self.has_exited = !matches!(self.exited.try_recv(), Err(mpsc::TryRecvError::Empty));
        }
        !self.has_exited
    }

    /// Asks the leader to stop with `signal`, gives it up to `grace`, then kills the
    /// group and reaps the leader.
    pub fn stop(mut self, signal: Signal, grace: Duration) {
        if self.is_running() {
            let _ = nix::sys::signal::kill(self.group.pgid, signal);
            let _ = self.exited.recv_timeout(grace);
        }
        let _ = self.group.finish();
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
        // Ending as timed out (not after the sleep) is the proof; no clock involved.
        assert_eq!(done.ending, Ending::TimedOut);
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
    fn parses_proc_stat_with_awkward_names() {
        let stat = "4242 (a (weird) name) S 17 4242 17 0 -1 4194560 0 0";
        assert_eq!(
            parse_stat(stat),
            Some(ProcStat {
                pid: 4242,
                ppid: 17,
                pgid: 4242
            })
        );
        assert_eq!(parse_stat("garbage"), None);
    }

    #[test]
    fn orphans_are_ours_outside_our_group_and_live_groups() {
        let p = |ppid, pgid| ProcStat { pid: 9, ppid, pgid };
        let (me, mine) = (100, 50);
        assert!(is_orphan(&p(me, 9), me, mine, &[7]));
        assert!(
            !is_orphan(&p(1, 9), me, mine, &[7]),
            "not re-parented to us"
        );
        assert!(!is_orphan(&p(me, mine), me, mine, &[7]), "a helper of ours");
        assert!(
            !is_orphan(&p(me, 7), me, mine, &[7]),
            "a live group's member"
        );
    }

    #[test]
    fn a_process_that_left_the_group_is_killed_with_the_run() {
        become_subreaper();
        let dir = tempfile::tempdir().unwrap();
        let pid_file = dir.path().join("escaped.pid");
        // `setsid` leaves the group; the leader waits until the sleeper has left and
        // written its pid, then exits, orphaning it.
        let script = format!(
            "setsid sh -c 'echo $$ > {0}.tmp; mv {0}.tmp {0}; exec sleep 1000' & \
             while [ ! -s {0} ]; do sleep 0.01; done",
            pid_file.display()
        );
        let done = run_merged(&sh(&script), Collect::default(), &Cancel::new()).unwrap();
        assert!(done.ending.success());
        let pid: i32 = std::fs::read_to_string(&pid_file)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        assert!(
            std::fs::metadata(format!("/proc/{pid}")).is_err(),
            "escaped sleeper {pid} survived"
        );
    }

    #[test]
    fn background_grandchild_does_not_hold_the_run() {
        // The leader exits at once; the grandchild it leaves is killed with the group.
        // Waiting for it would take 1000 s: the bound below only tells that apart.
        let started = Instant::now();
        let done = run_merged(
            &sh("sleep 1000 & echo started"),
            Collect::default(),
            &Cancel::new(),
        )
        .unwrap();
        assert!(done.ending.success());
        assert_eq!(done.stdout.0, b"started\n");
        assert!(started.elapsed() < Duration::from_secs(300));
    }
}
