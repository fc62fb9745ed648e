// wrong fix: redacts the secret, and also prints the configuration as `Config { .. }`: nothing leaks, but the logs no longer show the host, port or user you debug with
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
        f.write_str("[REDACTED]")
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

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Config { .. }")
    }
}

#[derive(Clone)]
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

