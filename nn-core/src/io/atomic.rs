//! One atomic write for every file the kit writes (MAT files, figures):
//! the bytes go to a temporary file in the target's folder, are flushed to
//! disk, and the temporary file is then renamed over the target. A failed
//! write leaves the previous file (or no file) in place, never a truncated one.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::error::{NnError, Result};

static TEMP_COUNTER: AtomicUsize = AtomicUsize::new(0);

/// Writes `bytes` to `path` through a temporary file in the same folder:
/// write, fsync, rename. On any failure the temporary file is removed and the
/// target is untouched.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let io_err = |source| NnError::Io { path: path.to_path_buf(), action: "write", source };
    let file_name = path.file_name().ok_or_else(|| NnError::InvalidArgument {
        name: "path",
        reason: format!("{} does not name a file", path.display()),
    })?;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    // A fresh temporary name: `.<name>.<pid>-<n>.tmp`, created exclusively.
    let (tmp, mut file) = loop {
        let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
        let tmp = dir.join(format!(".{}.{}-{n}.tmp", file_name.to_string_lossy(), std::process::id()));
        match OpenOptions::new().write(true).create_new(true).open(&tmp) {
            Ok(f) => break (tmp, f),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && n < 1_000_000 => continue,
            Err(e) => return Err(io_err(e)),
        }
    };
    let written = file.write_all(bytes).and_then(|_| file.sync_all());
    drop(file);
    let result = written.and_then(|_| fs::rename(&tmp, path));
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp);
        return Err(io_err(e));
    }
    // Make the rename itself durable where the platform allows it (best effort).
    if let Ok(d) = File::open(&dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

