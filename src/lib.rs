//! backlings: a runner of hands-on backend exercises in Rust.
//!
//! The modules, from the inside out:
//! - [`manifest`] parses and validates `info.toml` (pure).
//! - [`exercise`] locates a set on disk and maps each exercise to its Cargo bin.
//! - [`supervisor`] runs child processes in their own process group, with bounded
//!   output ([`capture`]), time limits and cancellation.
//! - [`cargo`] builds many bins in one cargo invocation and reads cargo's JSON;
//!   [`compile_cache`] remembers the bins that failed to compile.
//! - [`pipeline`] turns build + run (+ clippy) into a [`pipeline::Verdict`] per exercise.
//! - [`state`] keeps the learner's progress; [`originals`] the pristine exercises.
//! - [`report`] renders check/grade results as text, JSON or JUnit.
//! - [`watch`] is the learner's interactive loop.
//! - [`cli`] and [`commands`] are the edge: arguments, printing, exit codes;
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
pub mod fsutil;
pub mod grading;
pub mod manifest;
pub mod mutants;
pub mod originals;
pub mod parts;
pub mod pipeline;
pub mod reference;
pub mod report;
pub mod signals;
pub mod state;
pub mod style;
pub mod supervisor;
pub mod sync;
pub mod tamper;
pub mod watch;
pub mod wrong_fixes;
