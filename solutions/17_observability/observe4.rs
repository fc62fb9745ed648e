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

/// Reads one variable: its default when unset (if it has one), else parsed and checked,
/// with every problem recorded under the variable's name.
fn setting<T: FromStr>(
    lookup: &impl Fn(&str) -> Option<String>,
    problems: &mut Vec<String>,
    name: &str,
    default: Option<T>,
    expected: &str,
    valid: impl Fn(&T) -> bool,
) -> Option<T> {
    let Some(raw) = lookup(name) else {
        if default.is_none() {
            problems.push(format!("{name} is not set (expected {expected})"));
        }
        return default;
    };
    match raw.parse::<T>() {
        Ok(value) if valid(&value) => Some(value),
        _ => {
            problems.push(format!("{name}={raw:?} is invalid (expected {expected})"));
            None
        }
    }
}

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
        let p = &mut problems;
        let database_url = setting::<String>(&lookup, p, "DATABASE_URL", None, "a URL", |url| {
            !url.trim().is_empty()
        });
        let port = setting(
            &lookup,
            p,
            "APP_PORT",
            Some(8080u16),
            "a port, 1..=65535",
            |&port| port != 0,
        );
        let max_connections = setting(
            &lookup,
            p,
            "APP_MAX_CONNECTIONS",
            Some(10u32),
            "an integer, 1..=100",
            |n| (1..=100).contains(n),
        );
        let timeout_ms = setting(
            &lookup,
            p,
            "APP_REQUEST_TIMEOUT_MS",
            Some(5000u64),
            "milliseconds, > 0",
            |&ms| ms > 0,
        );
        let log_level = setting(
            &lookup,
            p,
            "APP_LOG_LEVEL",
            Some(LogLevel::Info),
            "one of error, warn, info, debug, trace",
            |_| true,
        );
        match (database_url, port, max_connections, timeout_ms, log_level) {
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

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// An environment made of these variables only (the process's is never touched).
    fn env(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| vars.get(name).cloned()
    }

    const URL: (&str, &str) = ("DATABASE_URL", "sqlite:///var/lib/app/app.db");

    fn error_for(vars: &[(&str, &str)]) -> String {
        match Config::from_env(env(vars)) {
            Ok(config) => panic!(
                "the environment {vars:?} was accepted as {config:?}: a missing or malformed \
                 value must stop the service at startup, not become a default"
            ),
            Err(err) => err.to_string(),
        }
    }

    #[test]
    fn a_complete_environment_is_read() {
        let config = Config::from_env(env(&[
            URL,
            ("APP_PORT", "3000"),
            ("APP_MAX_CONNECTIONS", "25"),
            ("APP_REQUEST_TIMEOUT_MS", "1500"),
            ("APP_LOG_LEVEL", "debug"),
        ]))
        .unwrap_or_else(|err| panic!("a complete, valid environment was refused: {err}"));
        assert_eq!(
            config.database_url(),
            URL.1,
            "DATABASE_URL must be read as given"
        );
        assert_eq!(config.port(), 3000, "APP_PORT=3000 must give port 3000");
        assert_eq!(
            config.max_connections(),
            25,
            "APP_MAX_CONNECTIONS=25 must give 25"
        );
        assert_eq!(
            config.request_timeout(),
            Duration::from_millis(1500),
            "APP_REQUEST_TIMEOUT_MS=1500 is 1.5 s"
        );
        assert_eq!(config.log_level(), LogLevel::Debug, "APP_LOG_LEVEL=debug");
    }

    #[test]
    fn documented_defaults_apply_when_unset() {
        let config = Config::from_env(env(&[URL]))
            .unwrap_or_else(|err| panic!("only DATABASE_URL is required, yet: {err}"));
        assert_eq!(config.port(), 8080, "APP_PORT defaults to 8080");
        assert_eq!(
            config.max_connections(),
            10,
            "APP_MAX_CONNECTIONS defaults to 10"
        );
        assert_eq!(
            config.request_timeout(),
            Duration::from_millis(5000),
            "APP_REQUEST_TIMEOUT_MS defaults to 5000"
        );
        assert_eq!(
            config.log_level(),
            LogLevel::Info,
            "APP_LOG_LEVEL defaults to info"
        );
    }

    #[test]
    fn a_missing_required_variable_fails_at_startup() {
        for vars in [
            &[][..],
            &[("DATABASE_URL", "")][..],
            &[("DATABASE_URL", "  ")][..],
        ] {
            let message = error_for(vars);
            assert!(
                message.contains("DATABASE_URL"),
                "with {vars:?} the error must name DATABASE_URL, the variable to set; got: \
                 {message}"
            );
        }
    }

    #[test]
    fn each_malformed_value_fails_at_startup_and_is_named() {
        for (name, value) in [
            ("APP_PORT", "80800"),
            ("APP_PORT", "80a"),
            ("APP_PORT", "0"),
            ("APP_PORT", "-1"),
            ("APP_PORT", ""),
            ("APP_MAX_CONNECTIONS", "0"),
            ("APP_MAX_CONNECTIONS", "101"),
            ("APP_MAX_CONNECTIONS", "ten"),
            ("APP_REQUEST_TIMEOUT_MS", "0"),
            ("APP_REQUEST_TIMEOUT_MS", "1.5s"),
            ("APP_LOG_LEVEL", "verbose"),
            ("APP_LOG_LEVEL", "INFO "),
        ] {
            let message = error_for(&[URL, (name, value)]);
            assert!(
                message.contains(name) && message.contains(value),
                "{name}={value:?} was refused, but the message does not name the variable and \
                 its value, so the operator cannot tell what to fix; got: {message}"
            );
        }
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let bad = [
            ("APP_PORT", "eighty"),
            ("APP_MAX_CONNECTIONS", "-3"),
            ("APP_REQUEST_TIMEOUT_MS", "soon"),
            ("APP_LOG_LEVEL", "loud"),
        ];
        let message = error_for(&bad);
        for name in ["DATABASE_URL", "APP_PORT", "APP_MAX_CONNECTIONS"]
            .into_iter()
            .chain(["APP_REQUEST_TIMEOUT_MS", "APP_LOG_LEVEL"])
        {
            assert!(
                message.contains(name),
                "five variables are wrong but the error does not mention {name}: report every \
                 problem at once, not one per restart; got: {message}"
            );
        }
    }
}
