//! One atomic write for every file the kit writes (MAT files, figures): a
//! whole new file or the old one, never half of one, and nothing else left
//! in the folder.
//!
//! - The bytes go to a file in the target's folder that has no name yet
//!   (Linux `O_TMPFILE`): a process killed while writing leaves nothing behind.
//!   The finished, flushed file is then given a temporary name and renamed over
//!   the target in one step. Where `O_TMPFILE` is not available, the bytes go
//!   to a named temporary file `.<name>.<pid>-<n>.tmp` instead; such files left
//!   by processes that died are removed by the next save to the same target.
//! - Saving over a symbolic link writes the file the link points to (the link
//!   stays a link).
//! - Saving over an existing file keeps its permissions (e.g. `0o640`).

use std::ffi::OsStr;
use std::fs::{self, File, OpenOptions, Permissions};
use std::io::Write;
#[cfg(unix)]
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::OnceLock;

use crate::error::{NnError, Result};

static TEMP_COUNTER: AtomicUsize = AtomicUsize::new(0);

/// How many symbolic links a path may go through (Linux's own limit).
const MAX_SYMLINKS: usize = 40;

/// Writes `bytes` to `path` atomically: the target ends up with either the old
/// or the new content, never a mix; on failure the target is untouched and no
/// temporary file remains. Errors name `path`.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    if path.as_os_str().is_empty() {
        return Err(NnError::InvalidArgument {
            name: "path",
            reason: "the path is empty: give a file name, e.g. \"trained.mat\"".into(),
        });
    }
    let io_err = |source| NnError::Io { path: path.to_path_buf(), action: "write", source };
    let target = resolve_symlinks(path).map_err(io_err)?;
    let file_name = target.file_name().ok_or_else(|| NnError::InvalidArgument {
        name: "path",
        reason: format!("{} does not name a file", path.display()),
    })?;
    let dir = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    // Only a regular file is replaced: renaming over /dev/null, a pipe or a folder
    // would destroy it.
    let existing = fs::metadata(&target).ok();
    if let Some(m) = existing.as_ref().filter(|m| !m.is_file()) {
        let what = if m.is_dir() { "a folder" } else { "not a regular file (a device, pipe or socket)" };
        return Err(NnError::InvalidArgument {
            name: "path",
            reason: format!("{} is {what}; give the path of a file to write", path.display()),
        });
    }
    // The existing file's permissions (and, where allowed, owner) are kept; a new
    // file gets the defaults (umask).
    let keep = existing.as_ref().map(Keep::of);
    remove_stale_temps(&dir, file_name);
    #[cfg(target_os = "linux")]
    if !FORCE_NAMED_TEMP.load(Ordering::Relaxed) {
        if let Some(done) = linux::write_unnamed(&dir, &target, file_name, bytes, keep.as_ref()) {
            return done.map_err(io_err);
        }
    }
    write_named(&dir, &target, file_name, bytes, keep.as_ref()).map_err(io_err)
}

/// The file a chain of symbolic links ends at (which may not exist yet).
fn resolve_symlinks(path: &Path) -> std::io::Result<PathBuf> {
    let mut p = path.to_path_buf();
    for _ in 0..MAX_SYMLINKS {
        match fs::symlink_metadata(&p) {
            Ok(m) if m.file_type().is_symlink() => {
                let to = fs::read_link(&p)?;
                p = if to.is_absolute() { to } else { p.parent().unwrap_or(Path::new("")).join(to) };
            }
            _ => return Ok(p),
        }
    }
    Err(std::io::Error::other(format!("more than {MAX_SYMLINKS} symbolic links (a loop?)")))
}

fn temp_name(file_name: &OsStr, pid: u32, n: usize) -> String {
    format!(".{}.{pid}-{n}.tmp", file_name.to_string_lossy())
}

/// The pid in `.<name>.<pid>-<n>.tmp`, if `entry` is one of this target's temporary files.
fn temp_pid(entry: &str, file_name: &OsStr) -> Option<u32> {
    let rest = entry.strip_prefix(&format!(".{}.", file_name.to_string_lossy()))?.strip_suffix(".tmp")?;
    let (pid, n) = rest.split_once('-')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    (digits(pid) && digits(n)).then(|| pid.parse().ok()).flatten()
}

/// Removes the temporary files of this target left by processes that no longer
/// run (killed mid-save). Best effort: nothing is reported.
fn remove_stale_temps(dir: &Path, file_name: &OsStr) {
    let Ok(entries) = fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(|n| temp_pid(n, file_name)) else { continue };
        if pid != std::process::id() && !process_alive(pid) {
            let _ = fs::remove_file(entry.path());
        }
    }
}

#[cfg(unix)]
fn process_alive(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else { return false };
    // Signal 0: only checks the process exists (EPERM: it exists, owned by someone else).
    // SAFETY: kill with signal 0 sends nothing.
    let r = unsafe { libc::kill(pid, 0) };
    r == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

#[cfg(not(unix))]
fn process_alive(_pid: u32) -> bool {
    true // cannot tell: keep the file
}

/// What an overwritten file passes on to its replacement.
struct Keep {
    permissions: Permissions,
    #[cfg(unix)]
    owner: (u32, u32),
}

impl Keep {
    fn of(m: &fs::Metadata) -> Keep {
        Keep {
            permissions: m.permissions(),
            #[cfg(unix)]
            owner: (m.uid(), m.gid()),
        }
    }
}

/// Writes `bytes` into `file` (calling the test hook half-way), applies the
/// kept permissions and owner and flushes to disk.
fn fill(file: &mut File, bytes: &[u8], keep: Option<&Keep>) -> std::io::Result<()> {
    let half = bytes.len() / 2;
    file.write_all(&bytes[..half])?;
    if let Some(hook) = MID_WRITE_HOOK.get() {
        hook();
    }
    file.write_all(&bytes[half..])?;
    if let Some(k) = keep {
        // The owner first: changing it may clear set-id bits that the mode then restores.
        #[cfg(unix)]
        {
            // Best effort: only root (or the owner, for a group it belongs to) may.
            let _ = std::os::unix::fs::fchown(&*file, Some(k.owner.0), Some(k.owner.1));
        }
        file.set_permissions(k.permissions.clone())?;
    }
    file.sync_all()
}

/// Renames `tmp` over `target` (removing `tmp` on failure), then makes the rename durable.
fn commit(tmp: &Path, target: &Path, dir: &Path) -> std::io::Result<()> {
    if let Err(e) = fs::rename(tmp, target) {
        let _ = fs::remove_file(tmp);
        return Err(e);
    }
    // Make the rename itself durable where the platform allows it (best effort).
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// The portable way: a named temporary file, written, flushed, renamed.
fn write_named(dir: &Path, target: &Path, file_name: &OsStr, bytes: &[u8], keep: Option<&Keep>) -> std::io::Result<()> {
    let (tmp, mut file) = loop {
        let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
        let tmp = dir.join(temp_name(file_name, std::process::id(), n));
        match OpenOptions::new().write(true).create_new(true).open(&tmp) {
            Ok(f) => break (tmp, f),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && n < 1_000_000 => continue,
            Err(e) => return Err(e),
        }
    };
    let written = fill(&mut file, bytes, keep);
    drop(file);
    if let Err(e) = written {
        let _ = fs::remove_file(&tmp);
        return Err(e);
    }
    commit(&tmp, target, dir)
}

#[cfg(target_os = "linux")]
mod linux {
    use super::*;
    use std::ffi::CString;
    use std::os::fd::{AsRawFd, FromRawFd};
    use std::os::unix::ffi::OsStrExt;

    /// Writes through an unnamed `O_TMPFILE` file; `None` when the folder's file
    /// system does not support it (the caller then uses a named temporary file).
    pub(super) fn write_unnamed(
        dir: &Path,
        target: &Path,
        file_name: &OsStr,
        bytes: &[u8],
        keep: Option<&Keep>,
    ) -> Option<std::io::Result<()>> {
        let cdir = CString::new(dir.as_os_str().as_bytes()).ok()?;
        // SAFETY: a plain open(2) of a NUL-terminated path; the fd is owned by `file` below.
        let fd = unsafe { libc::open(cdir.as_ptr(), libc::O_TMPFILE | libc::O_WRONLY | libc::O_CLOEXEC, 0o666) };
        if fd < 0 {
            let e = std::io::Error::last_os_error();
            return match e.raw_os_error() {
                // Not supported here (old kernel: EISDIR; file system: EOPNOTSUPP).
                Some(libc::EOPNOTSUPP) | Some(libc::EISDIR) | Some(libc::EINVAL) => None,
                _ => Some(Err(e)),
            };
        }
        // SAFETY: fd is a fresh, valid descriptor that nothing else owns.
        let mut file = unsafe { File::from_raw_fd(fd) };
        if let Err(e) = fill(&mut file, bytes, keep) {
            return Some(Err(e)); // the unnamed file disappears with the descriptor
        }
        // Give the finished file a temporary name beside the target, then rename it over.
        let proc_path = CString::new(format!("/proc/self/fd/{}", file.as_raw_fd())).ok()?;
        loop {
            let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
            let tmp = dir.join(temp_name(file_name, std::process::id(), n));
            let ctmp = CString::new(tmp.as_os_str().as_bytes()).ok()?;
            // SAFETY: linkat(2) with NUL-terminated paths and a descriptor we own.
            let via_proc = unsafe {
                libc::linkat(libc::AT_FDCWD, proc_path.as_ptr(), libc::AT_FDCWD, ctmp.as_ptr(), libc::AT_SYMLINK_FOLLOW)
            };
            let mut e = std::io::Error::last_os_error();
            if via_proc != 0 && e.raw_os_error() == Some(libc::ENOENT) {
                // No /proc: AT_EMPTY_PATH works where the process may use it (CAP_DAC_READ_SEARCH).
                // SAFETY: as above.
                let direct = unsafe {
                    libc::linkat(file.as_raw_fd(), c"".as_ptr(), libc::AT_FDCWD, ctmp.as_ptr(), libc::AT_EMPTY_PATH)
                };
                if direct == 0 {
                    drop(file);
                    return Some(commit(&tmp, target, dir));
                }
                e = std::io::Error::last_os_error();
            } else if via_proc == 0 {
                drop(file);
                return Some(commit(&tmp, target, dir));
            }
            match e.raw_os_error() {
                Some(libc::EEXIST) if n < 1_000_000 => continue,
                // No /proc and no CAP_DAC_READ_SEARCH: write a named file instead.
                Some(libc::ENOENT) | Some(libc::EPERM) | Some(libc::EACCES) | Some(libc::EINVAL) => return None,
                _ => return Some(Err(e)),
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Test hooks (hidden): used by the tests that kill a process in the middle of a save.

static MID_WRITE_HOOK: OnceLock<fn()> = OnceLock::new();
static FORCE_NAMED_TEMP: AtomicBool = AtomicBool::new(false);

/// Tests only: `hook` runs in every later save once half of the bytes are written.
#[doc(hidden)]
pub fn set_mid_write_hook(hook: fn()) {
    let _ = MID_WRITE_HOOK.set(hook);
}

/// Tests only: use the named temporary file even where `O_TMPFILE` works.
#[doc(hidden)]
pub fn force_named_temp(on: bool) {
    FORCE_NAMED_TEMP.store(on, Ordering::Relaxed);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temp_names_are_recognised_exactly() {
        let name = OsStr::new("w.mat");
        assert_eq!(temp_pid(&temp_name(name, 123, 4), name), Some(123));
        for other in [".w.mat.12.tmp", ".w.mat.x-1.tmp", ".w.mat.1-.tmp", "w.mat", ".v.mat.1-2.tmp", ".w.mat.1-2.tmpx"]
        {
            assert_eq!(temp_pid(other, name), None, "{other}");
        }
        assert!(process_alive(std::process::id()));
        assert!(!process_alive(u32::MAX));
    }
}
