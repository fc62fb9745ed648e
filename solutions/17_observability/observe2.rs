// observe2: keep secrets out of logs and `Debug` output.
//
// The database password and the payments API key live in `Secret`s, but `Secret` derives
// `Debug`, so every `{:?}` of the configuration and every `tracing` event that records a
// struct holding one (`?config`) writes the secret in clear, into log files that many
// people and systems can read. Make a `Secret` print as a placeholder wherever it is
// formatted, without changing what `expose()` returns: the one place that needs the value
// (a connection string, an `Authorization` header) asks for it explicitly. The rest of the
// configuration must stay readable in the logs: it is what you debug with.

/// A value that must never be printed: read it with `expose()` where it is needed.
#[derive(Clone)]
struct Secret(String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Not a prefix, not a suffix, not a length: nothing derived from the value.
        f.write_str("Secret([REDACTED])")
    }
}

impl Secret {
    fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }
    fn expose(&self) -> &str {
        &self.0
    }
}

#[derive(Clone, Debug)]
struct DatabaseConfig {
    host: String,
    port: u16,
    user: String,
    password: Secret,
}

#[derive(Clone, Debug)]
struct Config {
    listen_port: u16,
    database: DatabaseConfig,
    payments_api_key: Secret,
}

#[derive(Debug)]
struct OutboundRequest {
    url: String,
    authorization: Secret,
    amount_cents: u64,
}

/// Logs the configuration the service starts with.
fn log_startup(config: &Config) {
    tracing::info!(?config, "configuration loaded");
}

/// The connection string to the database (it holds the password, so it is a `Secret`).
fn connection_string(db: &DatabaseConfig) -> Secret {
    tracing::info!(host = %db.host, user = %db.user, ?db, "connecting to the database");
    Secret::new(format!(
        "postgres://{}:{}@{}:{}/app",
        db.user,
        db.password.expose(),
        db.host,
        db.port
    ))
}

/// The request that charges `amount_cents` through the payments API.
fn charge_request(config: &Config, amount_cents: u64) -> OutboundRequest {
    let request = OutboundRequest {
        url: "https://payments.example.com/v1/charges".to_string(),
        authorization: Secret::new(format!("Bearer {}", config.payments_api_key.expose())),
        amount_cents,
    };
    tracing::debug!(?request, "calling the payments API");
    request
}

fn main() {
    let config = Config {
        listen_port: 8080,
        database: DatabaseConfig {
            host: "db.internal".to_string(),
            port: 5432,
            user: "app".to_string(),
            password: Secret::new("correct horse battery staple"),
        },
        payments_api_key: Secret::new("sk_live_example"),
    };
    log_startup(&config);
    let url = connection_string(&config.database);
    let request = charge_request(&config, 1250);
    println!("listening on port {}: {config:#?}", config.listen_port);
    println!("{url:?}");
    assert!(request.authorization.expose().starts_with("Bearer "));
    assert!(request.authorization.expose().starts_with("Bearer "));
    println!(
        "POST {} ({} cents): {request:?}",
        request.url, request.amount_cents
    );
}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use std::fmt::{self, Write};
    use std::sync::{Arc, Mutex};
    use tracing::field::{Field, Visit};
    use tracing::span::{Attributes, Id, Record};
    use tracing::{Event, Subscriber};
    use tracing_subscriber::layer::{Context, Layer, SubscriberExt};

    const DB_PASSWORD: &str = "Tr0ub4dor&3-horse-battery";
    const API_KEY: &str = "sk_live_51HqL8x2eZvKYlo2C9xQ";

    fn config() -> Config {
        Config {
            listen_port: 8443,
            database: DatabaseConfig {
                host: "db-primary.internal".to_string(),
                port: 6543,
                user: "orders_service".to_string(),
                password: Secret::new(DB_PASSWORD),
            },
            payments_api_key: Secret::new(API_KEY),
        }
    }

    /// The first 5-character piece of a secret that `text` contains, if any: a secret
    /// printed in part (a prefix, a suffix, the middle) is still leaked.
    fn leaked_piece(text: &str) -> Option<String> {
        for secret in [DB_PASSWORD, API_KEY] {
            let chars: Vec<char> = secret.chars().collect();
            for piece in chars.windows(5) {
                let piece: String = piece.iter().collect();
                if text.contains(&piece) {
                    return Some(piece);
                }
            }
        }
        None
    }

    /// Every field of every event and span, as `name=value` with the value `{:?}`-formatted
    /// (which is also how `%value` fields reach a subscriber).
    #[derive(Clone, Default)]
    struct Capture(Arc<Mutex<Vec<String>>>);

    struct Fields(String);

    impl Visit for Fields {
        fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
            let _ = write!(self.0, "{}={:?} ", field.name(), value);
        }
    }

    impl<S: Subscriber> Layer<S> for Capture {
        fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
            let mut fields = Fields(String::new());
            event.record(&mut fields);
            self.0.lock().unwrap().push(fields.0);
        }
        fn on_new_span(&self, attrs: &Attributes<'_>, _id: &Id, _ctx: Context<'_, S>) {
            let mut fields = Fields(String::new());
            attrs.record(&mut fields);
            self.0.lock().unwrap().push(fields.0);
        }
        fn on_record(&self, _id: &Id, values: &Record<'_>, _ctx: Context<'_, S>) {
            let mut fields = Fields(String::new());
            values.record(&mut fields);
            self.0.lock().unwrap().push(fields.0);
        }
    }

    /// Runs `f` with a subscriber that records everything logged; returns the records.
    fn logged(f: impl FnOnce()) -> Vec<String> {
        let capture = Capture::default();
        let subscriber = tracing_subscriber::registry().with(capture.clone());
        tracing::subscriber::with_default(subscriber, f);
        let records = capture.0.lock().unwrap().clone();
        records
    }

    #[test]
    fn debug_output_hides_the_secrets_and_keeps_the_rest() {
        let config = config();
        for (style, text) in [
            ("{:?}", format!("{config:?}")),
            ("{:#?}", format!("{config:#?}")),
            (
                "{:?} of the password",
                format!("{:?}", config.database.password),
            ),
        ] {
            if let Some(piece) = leaked_piece(&text) {
                panic!(
                    "formatting the configuration with {style} printed {piece:?}, a piece of a \
                     secret: anything that reaches a log, a panic message or an error report \
                     leaks it. Output: {text}"
                );
            }
        }
        let text = format!("{config:?}");
        for visible in [
            "db-primary.internal",
            "6543",
            "orders_service",
            "8443",
            "password",
        ] {
            assert!(
                text.contains(visible),
                "`{{:?}}` of the configuration no longer shows {visible:?}: hide the secrets, \
                 not the rest of the configuration you debug with. Output: {text}"
            );
        }
    }

    #[test]
    fn the_secrets_are_still_usable() {
        let config = config();
        assert_eq!(
            config.database.password.expose(),
            DB_PASSWORD,
            "expose() must return the secret itself: redaction is for formatting only"
        );
        let request = charge_request(&config, 999);
        assert_eq!(
            request.authorization.expose(),
            format!("Bearer {API_KEY}"),
            "the payments API needs the real key in the Authorization header"
        );
        let url = connection_string(&config.database);
        assert_eq!(
            url.expose(),
            format!("postgres://orders_service:{DB_PASSWORD}@db-primary.internal:6543/app"),
            "the connection string needs the real password"
        );
    }

    #[test]
    fn logs_hide_the_secrets() {
        let config = config();
        let records = logged(|| {
            log_startup(&config);
            let _ = connection_string(&config.database);
            let _ = charge_request(&config, 4200);
        });
        for record in &records {
            if let Some(piece) = leaked_piece(record) {
                panic!(
                    "a log record contains {piece:?}, a piece of a secret; whoever reads the logs \
                     (people, log shippers, a SaaS) now has it. Record: {record}"
                );
            }
        }
        let all = records.join("\n");
        for (what, expected) in [
            ("the startup record", "configuration loaded"),
            ("the startup record's database host", "db-primary.internal"),
            ("the payments call", "calling the payments API"),
            ("the payments call's amount", "4200"),
            ("the database connection", "connecting to the database"),
        ] {
            assert!(
                all.contains(expected),
                "{what} ({expected:?}) is missing from the logs: redact the secrets, keep the \
                 logging. Records: {all}"
            );
        }
    }
}
