//! Test helpers shared by the library's unit tests (`crate::test_support`) and its
//! integration tests, which include this file with `#[path]` (`tests/common/mod.rs`,
//! `tests/hostile_inputs.rs`). Not every test crate uses every helper.
#![allow(dead_code)]

use std::fs;
use std::ops::Deref;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

static DIRS: AtomicUsize = AtomicUsize::new(0);

/// A fresh empty folder under the system temp dir, removed on drop (made writable first,
/// for the tests that take its permissions away). It derefs to its `Path`: `dir.join(..)`.
pub struct TempDir(pub PathBuf);

impl TempDir {
    /// `nn-core-<tag>-<process>-<n>`, emptied if it was left behind.
    pub fn new(tag: &str) -> TempDir {
        let n = DIRS.fetch_add(1, Ordering::Relaxed);
        let p = std::env::temp_dir().join(format!("nn-core-{tag}-{}-{n}", std::process::id()));
        let _ = fs::remove_dir_all(&p);
        fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }

    /// Every entry, hidden ones included, sorted.
    pub fn entries(&self) -> Vec<String> {
        let mut v: Vec<String> =
            fs::read_dir(&self.0).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        v.sort();
        v
    }
}

impl Deref for TempDir {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::set_permissions(&self.0, fs::Permissions::from_mode(0o755));
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// `n` numbers in [-2.5, 1.5), about `zero_fraction` of them exactly 0, from a seeded LCG.
pub fn pseudo_random(n: usize, seed: u64, zero_fraction: f64) -> Vec<f64> {
    let mut state = seed;
    (0..n)
        .map(|_| {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let u = (state >> 11) as f64 / (1u64 << 53) as f64;
            if u < zero_fraction {
                0.0
            } else {
                4.0 * u - 2.5
            }
        })
        .collect()
}
