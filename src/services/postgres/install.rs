//! Finding PostgreSQL's server programs (`postgres`, `initdb`, `psql`): the directory
//! named by `BACKLINGS_POSTGRES_BIN` if set, else `PATH`, else the places the usual
//! packages install them (Debian and Ubuntu, Red Hat, Homebrew, Postgres.app, EDB).

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::unavailable;
use crate::services::Unavailable;
use crate::supervisor::Job;

/// Overrides the search with one directory (for a second installation, or to test).
pub const BIN_ENV: &str = "BACKLINGS_POSTGRES_BIN";
/// The programs the runner uses.
const PROGRAMS: [&str; 3] = ["postgres", "initdb", "psql"];

/// A PostgreSQL installation the runner can use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Install {
    pub bin_dir: PathBuf,
    /// As `postgres --version` says, e.g. `15.18`.
    pub version: String,
    pub major: u32,
}

impl Install {
    pub fn program(&self, name: &str) -> PathBuf {
        self.bin_dir.join(name)
    }
}

/// The first directory with all of [`PROGRAMS`], and its version.
pub fn find() -> Result<Install, Unavailable> {
    let overridden = std::env::var_os(BIN_ENV).filter(|v| !v.is_empty());
    let candidates = match &overridden {
        Some(dir) => vec![PathBuf::from(dir)],
        None => candidate_dirs(std::env::var_os("PATH").as_deref(), &expand_glob),
    };
    let Some(bin_dir) = candidates.into_iter().find(|dir| has_programs(dir)) else {
        let searched = match overridden {
            Some(dir) => format!("{BIN_ENV}={}", Path::new(&dir).display()),
            None => "PATH and the usual install locations".into(),
        };
        return Err(unavailable(format!(
            "PostgreSQL's server programs ({}) were not found in {searched}; install it with {}, then run `backlings doctor`",
            PROGRAMS.join(", "),
            install_hint(&Platform::detect())
        )));
    };
    let version = version_of(&bin_dir.join("postgres"))?;
    let major = major_version(&version).ok_or_else(|| {
        unavailable(format!(
            "cannot read the version `{version}` of {}",
            bin_dir.display()
        ))
    })?;
    Ok(Install {
        bin_dir,
        version,
        major,
    })
}

fn has_programs(dir: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    PROGRAMS.iter().all(|name| {
        std::fs::metadata(dir.join(name))
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    })
}

fn version_of(postgres: &Path) -> Result<String, Unavailable> {
    let job = Job::new(postgres)
        .arg("--version")
        .timeout(Duration::from_secs(10));
    let (succeeded, said) = super::run_quietly(&job).map_err(unavailable)?;
    match (succeeded, parse_version(&said)) {
        (true, Some(version)) => Ok(version),
        _ => Err(unavailable(format!(
            "{} --version did not say its version: {}",
            postgres.display(),
            said.trim()
        ))),
    }
}

/// `postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)` → `15.18`.
pub fn parse_version(said: &str) -> Option<String> {
    let after = said.split_once("(PostgreSQL)")?.1.trim_start();
    let version: String = after
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '.')
        .collect();
    (!version.is_empty()).then_some(version)
}

/// `15.18` → 15; `9.6.24` → 9; `17beta1` → 17.
pub fn major_version(version: &str) -> Option<u32> {
    let digits: String = version.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// Where to look, in order: `PATH`, then the packages' locations, newest version first.
pub fn candidate_dirs(path: Option<&OsStr>, glob: &dyn Fn(&str) -> Vec<PathBuf>) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = path
        .map(|p| std::env::split_paths(p).collect())
        .unwrap_or_default();
    for pattern in [
        "/usr/lib/postgresql/*/bin",
        "/usr/pgsql-*/bin",
        "/usr/local/pgsql/bin",
        "/opt/homebrew/opt/postgresql@*/bin",
        "/opt/homebrew/bin",
        "/usr/local/opt/postgresql@*/bin",
        "/Applications/Postgres.app/Contents/Versions/latest/bin",
        "/Library/PostgreSQL/*/bin",
    ] {
        let mut found = glob(pattern);
        found.sort_by_key(|dir| std::cmp::Reverse(version_in_path(dir)));
        dirs.extend(found);
    }
    let mut seen = Vec::new();
    dirs.retain(|dir| {
        let fresh = !seen.contains(dir);
        seen.push(dir.clone());
        fresh
    });
    dirs
}

/// The version number in a path such as `/usr/lib/postgresql/16/bin` (0 if none), so the
/// newest installation is tried first.
fn version_in_path(dir: &Path) -> u32 {
    dir.components()
        .filter_map(|c| {
            let text = c.as_os_str().to_string_lossy();
            let digits: String = text
                .chars()
                .skip_while(|c| !c.is_ascii_digit())
                .take_while(char::is_ascii_digit)
                .collect();
            digits.parse().ok()
        })
        .max()
        .unwrap_or(0)
}

/// Expands one `*` in the last-but-one component of `pattern` (all the patterns above).
fn expand_glob(pattern: &str) -> Vec<PathBuf> {
    let Some((head, tail)) = pattern.split_once('*') else {
        return vec![PathBuf::from(pattern)];
    };
    let (parent, prefix) = head.rsplit_once('/').unwrap_or(("", head));
    let (suffix, rest) = tail.split_once('/').unwrap_or((tail, ""));
    let Ok(entries) = std::fs::read_dir(if parent.is_empty() { "/" } else { parent }) else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            (name.starts_with(prefix)
                && name.ends_with(suffix)
                && name.len() >= prefix.len() + suffix.len())
            .then(|| entry.path().join(rest))
        })
        .collect()
}

/// What the install advice depends on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Platform {
    Debian,
    RedHat,
    Arch,
    Alpine,
    MacOs,
    Other,
}

impl Platform {
    pub fn detect() -> Self {
        if cfg!(target_os = "macos") {
            return Platform::MacOs;
        }
        let exists = |path: &str| Path::new(path).exists();
        if exists("/etc/debian_version") {
            Platform::Debian
        } else if exists("/etc/redhat-release") || exists("/etc/fedora-release") {
            Platform::RedHat
        } else if exists("/etc/arch-release") {
            Platform::Arch
        } else if exists("/etc/alpine-release") {
            Platform::Alpine
        } else {
            Platform::Other
        }
    }
}

/// How to install PostgreSQL on `platform`.
pub fn install_hint(platform: &Platform) -> &'static str {
    match platform {
        Platform::Debian => "`sudo apt-get install postgresql`",
        Platform::RedHat => "`sudo dnf install postgresql-server`",
        Platform::Arch => "`sudo pacman -S postgresql`",
        Platform::Alpine => "`apk add postgresql`",
        Platform::MacOs => "`brew install postgresql@17` (or Postgres.app)",
        Platform::Other => {
            "your system's package manager, or the installers at https://www.postgresql.org/download/"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_read_from_what_postgres_says() {
        let debian = "postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)\n";
        assert_eq!(parse_version(debian).as_deref(), Some("15.18"));
        assert_eq!(
            parse_version("postgres (PostgreSQL) 17beta1").as_deref(),
            Some("17beta1")
        );
        assert_eq!(parse_version("something else"), None);
        assert_eq!(major_version("15.18"), Some(15));
        assert_eq!(major_version("9.6.24"), Some(9));
        assert_eq!(major_version("17beta1"), Some(17));
        assert_eq!(major_version("beta"), None);
    }

    #[test]
    fn path_comes_first_then_the_newest_package() {
        let glob = |pattern: &str| match pattern {
            "/usr/lib/postgresql/*/bin" => vec![
                PathBuf::from("/usr/lib/postgresql/9/bin"),
                PathBuf::from("/usr/lib/postgresql/16/bin"),
                PathBuf::from("/usr/lib/postgresql/13/bin"),
            ],
            "/usr/local/pgsql/bin" => vec![PathBuf::from("/usr/bin")],
            _ => Vec::new(),
        };
        let dirs = candidate_dirs(Some(OsStr::new("/usr/bin:/opt/pg/bin")), &glob);
        assert_eq!(
            dirs,
            [
                "/usr/bin",
                "/opt/pg/bin",
                "/usr/lib/postgresql/16/bin",
                "/usr/lib/postgresql/13/bin",
                "/usr/lib/postgresql/9/bin",
            ]
            .map(PathBuf::from),
            "PATH first, then newest first, each directory once"
        );
    }

    #[test]
    fn every_platform_gets_a_command() {
        for platform in [
            Platform::Debian,
            Platform::RedHat,
            Platform::Arch,
            Platform::Alpine,
            Platform::MacOs,
            Platform::Other,
        ] {
            assert!(!install_hint(&platform).is_empty());
        }
        assert!(install_hint(&Platform::Debian).contains("apt-get install postgresql"));
    }
}
