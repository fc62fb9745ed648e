// wrong fix: validates every variable but returns at the first problem with `?`: an operator with three typos needs three restarts to learn about them
// observe4: configuration from the environment that fails fast and says why.
//
// A malformed setting silently becomes its default and a missing one an empty string: a
// typo in `APP_PORT=80800` starts the service on 8080, a missing `DATABASE_URL` shows up
// as a confusing error at the first query, hours later. Make `Config::from_env` validate
// everything at startup and, if anything is wrong, return an error naming EVERY bad
// variable and its value (so the operator fixes them all in one go). Defaults only where
// `from_env`'s table documents one.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

#[derive(Clone, Copy, Debug, PartialEq)]
enum LogLevel {
    Error,
    Warn,
    Info,
    Debug,
    Trace,
}

impl FromStr for LogLevel {
    type Err = ();
    fn from_str(s: &str) -> Result<LogLevel, ()> {
        match s {
            "error" => Ok(LogLevel::Error),
            "warn" => Ok(LogLevel::Warn),
            "info" => Ok(LogLevel::Info),
            "debug" => Ok(LogLevel::Debug),
            "trace" => Ok(LogLevel::Trace),
            _ => Err(()),
        }
    }
}

#[derive(Debug)]
struct Config {
    database_url: String,
    port: u16,
    max_connections: u32,
    request_timeout: Duration,
    log_level: LogLevel,
}

impl Config {
    fn database_url(&self) -> &str {
        &self.database_url
    }
    fn port(&self) -> u16 {
        self.port
    }
    fn max_connections(&self) -> u32 {
        self.max_connections
    }
    fn request_timeout(&self) -> Duration {
        self.request_timeout
    }
    fn log_level(&self) -> LogLevel {
        self.log_level
    }
}

/// Everything wrong with the environment, one line per variable.
#[allow(dead_code)] // Not returned yet.
#[derive(Debug)]
struct ConfigError {
    problems: Vec<String>,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "invalid configuration:")?;
        for problem in &self.problems {
            writeln!(f, "  {problem}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    /// Reads the configuration through `lookup` (`std::env::var(name).ok()` in `main`).
    ///
    /// | variable               | type                                   | default  |
    /// |------------------------|----------------------------------------|----------|
    /// | DATABASE_URL           | non-empty string                       | required |
    /// | APP_PORT               | port, 1..=65535                        | 8080     |
    /// | APP_MAX_CONNECTIONS    | integer, 1..=100                       | 10       |
    /// | APP_REQUEST_TIMEOUT_MS | integer milliseconds, > 0              | 5000     |
    /// | APP_LOG_LEVEL          | one of error, warn, info, debug, trace | info     |
    fn from_env(lookup: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        fn get<T: FromStr>(
            lookup: &impl Fn(&str) -> Option<String>,
            name: &str,
            default: Option<T>,
            valid: impl Fn(&T) -> bool,
        ) -> Result<T, ConfigError> {
            let fail = |what: String| ConfigError {
                problems: vec![what],
            };
            match lookup(name) {
                None => default.ok_or_else(|| fail(format!("{name} is not set"))),
                Some(raw) => match raw.parse::<T>() {
                    Ok(value) if valid(&value) => Ok(value),
                    _ => Err(fail(format!("{name}={raw:?} is invalid"))),
                },
            }
        }
        Ok(Config {
            database_url: get(&lookup, "DATABASE_URL", None, |u: &String| !u.trim().is_empty())?,
            port: get(&lookup, "APP_PORT", Some(8080), |&p| p != 0)?,
            max_connections: get(&lookup, "APP_MAX_CONNECTIONS", Some(10), |n| (1..=100).contains(n))?,
            request_timeout: Duration::from_millis(get(&lookup, "APP_REQUEST_TIMEOUT_MS", Some(5000), |&ms| ms > 0)?),
            log_level: get(&lookup, "APP_LOG_LEVEL", Some(LogLevel::Info), |_| true)?,
        })
    }
}

fn main() {
    match Config::from_env(|name| std::env::var(name).ok()) {
        Ok(config) => println!(
            "listening on port {} ({} connections to {}, timeout {:?}, log level {:?})",
            config.port(),
            config.max_connections(),
            config.database_url(),
            config.request_timeout(),
            config.log_level()
        ),
        // A real service exits here with a non-zero status, before serving anything.
        Err(err) => eprint!("{err}"),
    }
}

