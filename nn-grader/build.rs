//! Puts a fingerprint of nn-grader's sources on the compiler's command line, for the
//! same reason as nn-core's build.rs: the notebook kernel (evcxr with `:cache`) reuses a
//! compiled crate when its command line is unchanged, and nn-grader is a local path
//! crate whose sources change. The fingerprint has no effect on the code.

fn sources_fingerprint(dir: &std::path::Path) -> std::io::Result<u64> {
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

fn main() {
    println!("cargo::rerun-if-changed=src");
    println!("cargo::rustc-check-cfg=cfg(nn_grader_sources, values(any()))");
    match sources_fingerprint(std::path::Path::new("src")) {
        Ok(hash) => println!("cargo::rustc-cfg=nn_grader_sources=\"{hash:016x}\""),
        Err(e) => println!("cargo::warning=nn-grader build script: no source fingerprint ({e})"),
    }
}
