//! backlings: a runner of hands-on backend exercises in Rust.
//!
//! The modules, from the inside out:
//! - [`manifest`] parses and validates `info.toml` (pure).
//! - [`exercise`] locates a set on disk and maps each exercise to its Cargo bin.
//! - [`supervisor`] runs child processes in their own process group, with bounded
//!   output ([`capture`]), time limits and cancellation.
//! - [`cargo`] builds many bins in one cargo invocation and reads cargo's JSON;
//!   [`compile_cache`] remembers the bins that failed to compile.
//! - [`pipeline`] turns build + run (+ clippy) into a [`pipeline::Verdict`] per exercise:
//!   passed only when every test the binary has ran and reported ok; for exercises where
//!   the learner writes the tests, [`mutants`] must all be killed too.
//! - [`parts`] cuts an exercise file into the learner's part and the set's part (the
//!   marker line); [`tamper`] finds learner code that would change what the tests check.
//! - [`reference`](mod@reference) is the set grading trusts (a directory or the bundled [`course`]);
//!   [`assembly`] writes a workspace of backlings' own to build spliced files in;
//!   [`grading`] plans a grade (pure), [`class`] a whole class, and [`wrong_fixes`] the
//!   known wrong fixes that `check` proves the tests reject.
//! - [`services`] provides the servers exercises declare (`services = ["postgres"]`): a
//!   throwaway PostgreSQL cluster on a Unix socket, a fresh database per run.
//! - [`state`] keeps the learner's progress; [`originals`] the pristine exercises.
//! - [`report`] renders check/grade results as text, JSON, JUnit, Markdown or GitHub
//!   Classroom's runner result; [`ci`] writes CI workflows that grade a repository.
//! - [`watch`] is the learner's interactive loop.
//! - [`cli`] and [`commands`] are the edge: arguments, printing, and the [`exit`] statuses;
//!   [`signals`] stops everything cleanly on SIGINT, SIGTERM and SIGHUP.

pub mod assembly;
pub mod capture;
pub mod cargo;
pub mod ci;
pub mod class;
pub mod cli;
pub mod commands;
pub mod compile_cache;
pub mod course;
pub mod exercise;
pub mod exit;
pub mod fsutil;
pub mod grading;
pub mod manifest;
pub mod mutants;
pub mod originals;
pub mod parts;
pub mod pipeline;
pub mod reference;
pub mod report;
pub mod scope;
pub mod services;
pub mod signals;
pub mod state;
pub mod style;
pub mod supervisor;
pub mod sync;
pub mod tamper;
pub mod watch;
pub mod wrong_fixes;
