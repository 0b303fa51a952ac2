// Shared by build.rs and a unit test in src/lib.rs (through `include!`).

/// A fingerprint of every file under `dir` (names and contents, in sorted
/// order): FNV-1a over 64 bits, enough to tell two versions of the sources apart.
pub fn sources_fingerprint(dir: &std::path::Path) -> std::io::Result<u64> {
    fn files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) -> std::io::Result<()> {
        for entry in std::fs::read_dir(dir)? {
            let path = entry?.path();
            if path.is_dir() {
                files(&path, out)?;
            } else {
                out.push(path);
            }
        }
        Ok(())
    }
    fn fnv1a(hash: &mut u64, bytes: &[u8]) {
        for &b in bytes {
            *hash ^= u64::from(b);
            *hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    let mut paths = Vec::new();
    files(dir, &mut paths)?;
    // Sorted, so that the order the file system lists files in does not matter.
    paths.sort();
    let mut hash = 0xcbf2_9ce4_8422_2325_u64;
    for path in &paths {
        let relative = path.strip_prefix(dir).unwrap_or(path);
        fnv1a(&mut hash, relative.to_string_lossy().as_bytes());
        fnv1a(&mut hash, &[0]);
        fnv1a(&mut hash, &std::fs::read(path)?);
        fnv1a(&mut hash, &[0]);
    }
    Ok(hash)
}
