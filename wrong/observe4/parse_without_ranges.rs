// wrong fix: collects every problem, but only checks that values parse: APP_PORT=0, APP_MAX_CONNECTIONS=0 or 101 and a zero timeout are accepted and fail (or misbehave) at first use
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
        let mut problems = Vec::new();
        fn get<T: FromStr>(
            lookup: &impl Fn(&str) -> Option<String>,
            problems: &mut Vec<String>,
            name: &str,
            default: Option<T>,
        ) -> Option<T> {
            match lookup(name) {
                None => {
                    if default.is_none() {
                        problems.push(format!("{name} is not set"));
                    }
                    default
                }
                Some(raw) => match raw.parse::<T>() {
                    Ok(value) => Some(value),
                    Err(_) => {
                        problems.push(format!("{name}={raw:?} is invalid"));
                        None
                    }
                },
            }
        }
        let url: Option<String> = get(&lookup, &mut problems, "DATABASE_URL", None)
            .filter(|u: &String| !u.trim().is_empty());
        if url.is_none() && problems.is_empty() {
            problems.push("DATABASE_URL is empty".to_string());
        }
        let port = get(&lookup, &mut problems, "APP_PORT", Some(8080));
        let max = get(&lookup, &mut problems, "APP_MAX_CONNECTIONS", Some(10));
        let ms = get(&lookup, &mut problems, "APP_REQUEST_TIMEOUT_MS", Some(5000));
        let level = get(&lookup, &mut problems, "APP_LOG_LEVEL", Some(LogLevel::Info));
        match (url, port, max, ms, level) {
            (Some(database_url), Some(port), Some(max_connections), Some(ms), Some(log_level))
                if problems.is_empty() =>
            {
                Ok(Config {
                    database_url,
                    port,
                    max_connections,
                    request_timeout: Duration::from_millis(ms),
                    log_level,
                })
            }
            _ => Err(ConfigError { problems }),
        }
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

