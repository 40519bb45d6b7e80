//! Crash-safe file replacement: write a sibling temp file, fsync it, rename it over the target,
//! fsync the directory.

use std::ffi::OsString;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use super::error::{IoError, Result};

/// Writes `bytes` to `path` atomically; see [`write_atomic_with`].
pub fn write_atomic(path: impl AsRef<Path>, bytes: &[u8]) -> Result<()> {
    write_atomic_with(path, |w| w.write_all(bytes))
}

/// Replaces `path` with the bytes `write` produces, so that readers (and a crash at any point)
/// see either the complete old file or the complete new one, never a mix.
///
/// Steps: create a uniquely named temp file (`.<name>.tmp-<pid>-<n>-<nanos>`) in the target's
/// directory (same filesystem, so the rename is atomic), hand it to `write` through a buffered
/// writer, flush and `fsync` it, `rename` it over `path`, then (unix) `fsync` the directory so the
/// rename itself is durable. If `write` returns an error or panics, or any step before the rename
/// fails, the temp file is removed and the existing `path` is untouched.
///
/// The new file gets default permissions for a newly created file (the old file's mode is not
/// copied). Errors are [`IoError::Io`] naming `path` (or its directory for the final sync).
pub fn write_atomic_with<F>(path: impl AsRef<Path>, write: F) -> Result<()>
where
    F: FnOnce(&mut dyn Write) -> io::Result<()>,
{
    let path = path.as_ref();
    let file_name = path.file_name().ok_or_else(|| {
        IoError::io(
            "write",
            path,
            io::Error::new(io::ErrorKind::InvalidInput, "path has no file name"),
        )
    })?;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };

    let (file, tmp_path) =
        create_temp(&dir, file_name).map_err(|e| IoError::io("create temp file for", path, e))?;
    let mut guard = TempGuard {
        path: Some(tmp_path.clone()),
    };

    let mut writer = BufWriter::new(file);
    write(&mut writer).map_err(|e| IoError::io("write", path, e))?;
    let file = writer
        .into_inner()
        .map_err(|e| IoError::io("write", path, e.into_error()))?;
    file.sync_all().map_err(|e| IoError::io("fsync", path, e))?;
    drop(file);

    fs::rename(&tmp_path, path).map_err(|e| IoError::io("rename temp file over", path, e))?;
    guard.path = None;

    sync_dir(&dir).map_err(|e| IoError::io("fsync directory", dir, e))
}

/// Removes the temp file on drop unless it was renamed into place.
struct TempGuard {
    path: Option<PathBuf>,
}

impl Drop for TempGuard {
    fn drop(&mut self) {
        if let Some(p) = self.path.take() {
            let _ = fs::remove_file(p);
        }
    }
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

fn create_temp(dir: &Path, file_name: &std::ffi::OsStr) -> io::Result<(File, PathBuf)> {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let mut last_err = None;
    for _ in 0..16 {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let mut name = OsString::from(".");
        name.push(file_name);
        name.push(format!(".tmp-{}-{n}-{nanos}", std::process::id()));
        let tmp = dir.join(name);
        match OpenOptions::new().write(true).create_new(true).open(&tmp) {
            Ok(f) => return Ok((f, tmp)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last_err = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last_err.unwrap_or_else(|| io::Error::other("could not create a unique temp file")))
}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> io::Result<()> {
    // Windows cannot open a directory as a file; the rename (MoveFileEx) is as durable as it gets.
    Ok(())
}
