//! Puts a fingerprint of nn-core's sources on the compiler's command line.
//!
//! Why: the notebook kernel (evcxr, with `:cache`) reuses a compiled crate
//! when the compiler's command line is the same as before. For crates from
//! crates.io that is safe (their sources never change); for nn-core, a local
//! path, it would hand back a stale build after an edit. With the
//! fingerprint of `src/` as a `--cfg` on the command line, an edited nn-core
//! has a new command line and is compiled again, and an unchanged one is
//! reused (the kit's kernel builds libraries without incremental compilation
//! for this: see .evcxr/.cargo/config.toml; evcxr never caches incremental
//! builds). The fingerprint has no effect on the code. (This build script
//! itself is cached by its command line too: after editing it, clear the
//! cache with `:clear_cache` in a notebook.)

include!("fingerprint.rs");

fn main() {
    println!("cargo::rerun-if-changed=src");
    println!("cargo::rerun-if-changed=fingerprint.rs");
    println!("cargo::rustc-check-cfg=cfg(nn_core_sources, values(any()))");
    match sources_fingerprint(std::path::Path::new("src")) {
        Ok(hash) => {
            println!("cargo::rustc-cfg=nn_core_sources=\"{hash:016x}\"");
            println!("cargo::rustc-env=NN_CORE_SOURCES_FINGERPRINT={hash:016x}");
        }
        // No fingerprint: the build goes on (only the notebook cache loses).
        Err(e) => println!("cargo::warning=nn-core build script: no source fingerprint ({e})"),
    }
}
