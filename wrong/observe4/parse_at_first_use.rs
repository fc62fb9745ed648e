// wrong fix: stores the raw strings and parses each value in its accessor, the first time the service needs it: `from_env` succeeds with APP_PORT=80a and the service dies (or serves) later, far from the cause
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
    /// The raw values, parsed when the service first needs them.
    raw: std::collections::HashMap<&'static str, String>,
}

impl Config {
    fn get<T: FromStr>(&self, name: &str, default: T) -> T {
        match self.raw.get(name) {
            Some(raw) => raw
                .parse()
                .unwrap_or_else(|_| panic!("{name}={raw:?} is invalid")),
            None => default,
        }
    }
    fn database_url(&self) -> &str {
        &self.raw["DATABASE_URL"]
    }
    fn port(&self) -> u16 {
        self.get("APP_PORT", 8080)
    }
    fn max_connections(&self) -> u32 {
        self.get("APP_MAX_CONNECTIONS", 10)
    }
    fn request_timeout(&self) -> Duration {
        Duration::from_millis(self.get("APP_REQUEST_TIMEOUT_MS", 5000))
    }
    fn log_level(&self) -> LogLevel {
        self.get("APP_LOG_LEVEL", LogLevel::Info)
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
        let mut raw = std::collections::HashMap::new();
        for name in [
            "DATABASE_URL",
            "APP_PORT",
            "APP_MAX_CONNECTIONS",
            "APP_REQUEST_TIMEOUT_MS",
            "APP_LOG_LEVEL",
        ] {
            if let Some(value) = lookup(name) {
                raw.insert(name, value);
            }
        }
        if raw.get("DATABASE_URL").is_none_or(|url| url.trim().is_empty()) {
            return Err(ConfigError {
                problems: vec!["DATABASE_URL is not set".to_string()],
            });
        }
        Ok(Config { raw })
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

