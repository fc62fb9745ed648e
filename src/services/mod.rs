//! Servers that exercises need (`services = ["postgres"]` in `info.toml`), provided by
//! the runner: found on the machine, started on first need, kept for the rest of the
//! command (all of watch mode), stopped when it ends. Each run of an exercise that needs
//! a service gets its own fresh resources (a database), passed to the tests through the
//! environment and removed after the run.
//!
//! A service that cannot be provided is an [`Unavailable`] error, which the pipeline turns
//! into an `environment` verdict: never a pass, and the rest of the set is unaffected.

pub mod postgres;

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::manifest::Service;

/// Why a service cannot be provided, in words for the learner.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("needs {}: {why}", service_title(*service))]
pub struct Unavailable {
    pub service: Service,
    pub why: String,
}

/// A service's name as people write it.
pub fn service_title(service: Service) -> &'static str {
    match service {
        Service::Postgres => "PostgreSQL",
    }
}

/// The services of one command (a `run`, a watch session, a `check`), shared by its
/// parallel runs. Each service starts on the first run that needs it; a service that
/// failed to start is not retried within the command (every run would wait for it).
#[derive(Debug)]
pub struct Services {
    state_dir: PathBuf,
    postgres: Mutex<Option<Result<postgres::Cluster, Unavailable>>>,
}

impl Services {
    /// Services whose state (clusters, logs) lives under `<set root>/.backlings/services`.
    pub fn for_set(set_root: &Path) -> Self {
        Self {
            state_dir: crate::exercise::data_dir(set_root).join("services"),
            postgres: Mutex::new(None),
        }
    }

    /// Fresh resources of every service in `services` for one run named `label`.
    pub fn provision(&self, services: &[Service], label: &str) -> Result<Provision, Unavailable> {
        let mut provision = Provision::default();
        for &service in services {
            match service {
                Service::Postgres => {
                    let database = self.with_postgres(|cluster| cluster.create_database(label))?;
                    provision
                        .env
                        .push(("DATABASE_URL".into(), database.url().to_string()));
                    provision.databases.push(database);
                }
            }
        }
        Ok(provision)
    }

    /// Runs `f` on the PostgreSQL cluster, starting it first if this is the first need.
    pub fn with_postgres<T>(
        &self,
        f: impl FnOnce(&postgres::Cluster) -> Result<T, Unavailable>,
    ) -> Result<T, Unavailable> {
        let mut slot = self.postgres.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(Ok(cluster)) = slot.as_mut()
            && !cluster.is_running()
        {
            // The server died (killed from outside): start it again below.
            *slot = None;
        }
        let cluster = slot.get_or_insert_with(|| postgres::Cluster::start(&self.state_dir));
        match cluster {
            Ok(cluster) => f(cluster),
            Err(unavailable) => Err(unavailable.clone()),
        }
    }

    /// Forgets a service that failed to start, so the next run that needs it tries again
    /// (watch mode: the learner may have installed it meanwhile).
    pub fn forget_failures(&self) {
        let mut slot = self.postgres.lock().unwrap_or_else(|e| e.into_inner());
        if slot.as_ref().is_some_and(Result::is_err) {
            *slot = None;
        }
    }

    /// Where the services keep their state.
    pub fn state_dir(&self) -> &Path {
        &self.state_dir
    }
}

/// What one run gets: environment variables for the test binary, and the resources
/// behind them, released when this is dropped (after the run).
#[derive(Debug, Default)]
pub struct Provision {
    pub env: Vec<(String, String)>,
    databases: Vec<postgres::Database>,
}

impl Drop for Provision {
    fn drop(&mut self) {
        for database in self.databases.drain(..) {
            database.drop_now();
        }
    }
}
