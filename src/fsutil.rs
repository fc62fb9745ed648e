//! File operations that never lose the learner's data: atomic writes and unique
//! names for copies kept aside.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

/// Writes `bytes` to `path` through a temp file in the same directory and a rename, so a
/// crash leaves either the old or the new content, never half of one.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let mut temp = tempfile::NamedTempFile::new_in(dir)?;
    temp.write_all(bytes)?;
    temp.as_file().sync_all()?;
    temp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// `name.<tag>-<unix seconds>[-n].ext` beside `path`, not yet existing.
pub fn unique_sibling(path: &Path, tag: &str) -> PathBuf {
    let stamp = unix_seconds();
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    unique_in(
        path.parent().unwrap_or(Path::new(".")),
        &file_name,
        tag,
        stamp,
    )
}

/// Writes `content` to a new, timestamped file named after `file_name` in `dir` (created
/// if needed), for a copy kept before something is overwritten. Returns its path.
pub fn keep_copy(dir: &Path, file_name: &str, content: &[u8]) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let path = unique_in(dir, file_name, "backup", unix_seconds());
    write_atomic(&path, content)?;
    Ok(path)
}

fn unix_seconds() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// A fresh file name in `dir` for a copy of `file_name`.
pub fn unique_in(dir: &Path, file_name: &str, tag: &str, stamp: u64) -> PathBuf {
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
            dir.join(format!("{stem}.{tag}-{stamp}{suffix}{ext}"))
        })
        .find(|candidate| !candidate.exists())
        .unwrap_or_else(|| dir.join(format!("{stem}.{tag}{ext}")))
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

    #[test]
    fn unique_names_do_not_collide() {
        let dir = tempfile::tempdir().unwrap();
        let first = unique_in(dir.path(), "intro1.rs", "backup", 7);
        assert_eq!(first.file_name().unwrap(), "intro1.backup-7.rs");
        std::fs::write(&first, "").unwrap();
        let second = unique_in(dir.path(), "intro1.rs", "backup", 7);
        assert_eq!(second.file_name().unwrap(), "intro1.backup-7-1.rs");
    }
}
