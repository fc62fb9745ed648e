//! The exit statuses backlings documents (README): the bottom of the dependency graph, so
//! that every command, and the library, can name them without reaching into the CLI.

/// Exit status for "the run worked, and what it checked failed".
pub const FAILED: u8 = 1;
/// Exit status for bad input, bad usage, or an environment problem.
pub const BAD_INPUT: u8 = 2;
