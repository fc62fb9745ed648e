//! File operations that never lose the learner's data: atomic writes and unique,
//! readable names for copies kept aside.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

/// Mode asked for when a file is created; the kernel applies the umask to it, as it does
/// for any program that creates a file.
const CREATE_MODE: u32 = 0o666;

/// Writes `bytes` to `path` through a temp file in the same directory and a rename, so a
/// crash leaves either the old or the new content, never half of one.
///
/// The file keeps the mode of the file it replaces; a new file gets the mode the umask
/// gives (tempfile alone would create it 0600, unreadable to the group where the learner
/// shares the set).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let replaced_mode = std::fs::metadata(path)
        .ok()
        .filter(|m| m.is_file())
        .map(|m| m.permissions().mode() & 0o7777);
    let mut temp = tempfile::Builder::new()
        .prefix(".tmp")
        .permissions(std::fs::Permissions::from_mode(CREATE_MODE))
        .tempfile_in(dir)?;
    if let Some(mode) = replaced_mode {
        temp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(mode))?;
    }
    temp.write_all(bytes)?;
    temp.as_file().sync_all()?;
    temp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// `name.<tag>-<UTC time>[-n].ext` beside `path`, not yet existing.
pub fn unique_sibling(path: &Path, tag: &str) -> PathBuf {
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    unique_in(
        path.parent().unwrap_or(Path::new(".")),
        &file_name,
        &format!("{tag}-{}", timestamp(unix_seconds())),
    )
}

/// Writes `content` to a new file named after `file_name` and the time (UTC) in `dir`
/// (created if needed), for a copy kept before something is overwritten:
/// `intro1.2026-12-01T14-03-22.rs`. Returns its path.
pub fn keep_copy(dir: &Path, file_name: &str, content: &[u8]) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let path = unique_in(dir, file_name, &timestamp(unix_seconds()));
    write_atomic(&path, content)?;
    Ok(path)
}

fn unix_seconds() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// `2026-12-01T14-03-22` for a time in seconds since the epoch, in UTC. Dashes instead of
/// colons, so the name is valid on every filesystem and needs no quoting in a shell.
pub fn timestamp(unix_seconds: u64) -> String {
    let days = unix_seconds / 86_400;
    let rest = unix_seconds % 86_400;
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}-{:02}-{:02}",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's
/// `civil_from_days`, for non-negative day counts).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

/// A fresh file name in `dir` for a copy of `file_name`: `stem.<label>[-n].ext`.
pub fn unique_in(dir: &Path, file_name: &str, label: &str) -> PathBuf {
    let (stem, ext) = match file_name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => (stem, format!(".{ext}")),
        _ => (file_name, String::new()),
    };
    (0..)
        .map(|n| {
            let suffix = if n == 0 {
                String::new()
            } else {
                format!("-{n}")
            };
            dir.join(format!("{stem}.{label}{suffix}{ext}"))
        })
        .find(|candidate| std::fs::symlink_metadata(candidate).is_err())
        .unwrap_or_else(|| dir.join(format!("{stem}.{label}{ext}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_content_and_creates_dirs() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a/b/state.toml");
        write_atomic(&path, b"one").unwrap();
        write_atomic(&path, b"two").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        assert_eq!(
            std::fs::read_dir(path.parent().unwrap()).unwrap().count(),
            1
        );
    }

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
    }

    #[test]
    fn new_files_get_the_umask_mode_and_replacements_keep_theirs() {
        let dir = tempfile::tempdir().unwrap();
        // The umask is process-wide: read it without changing it, from /proc.
        let umask = std::fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|s| {
                let line = s.lines().find(|l| l.starts_with("Umask:"))?.to_string();
                u32::from_str_radix(line.split_whitespace().nth(1)?, 8).ok()
            })
            .unwrap_or(0o022);
        let fresh = dir.path().join("fresh.rs");
        write_atomic(&fresh, b"x").unwrap();
        assert_eq!(mode(&fresh), 0o666 & !umask);

        let shared = dir.path().join("shared.rs");
        std::fs::write(&shared, b"old").unwrap();
        std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o640)).unwrap();
        write_atomic(&shared, b"new").unwrap();
        assert_eq!(mode(&shared), 0o640);
    }

    #[test]
    fn timestamps_are_readable_utc() {
        assert_eq!(timestamp(0), "1970-01-01T00-00-00");
        // 2026-12-01 14:03:22 UTC
        assert_eq!(timestamp(1_796_133_802), "2026-12-01T14-03-22");
        // A leap day.
        assert_eq!(timestamp(951_782_400), "2000-02-29T00-00-00");
    }

    #[test]
    fn unique_names_do_not_collide() {
        let dir = tempfile::tempdir().unwrap();
        let first = unique_in(dir.path(), "intro1.rs", "2026-12-01T14-03-22");
        assert_eq!(first.file_name().unwrap(), "intro1.2026-12-01T14-03-22.rs");
        std::fs::write(&first, "").unwrap();
        let second = unique_in(dir.path(), "intro1.rs", "2026-12-01T14-03-22");
        assert_eq!(
            second.file_name().unwrap(),
            "intro1.2026-12-01T14-03-22-1.rs"
        );
    }
}
