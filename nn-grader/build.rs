//! Puts a fingerprint of nn-grader's sources, and of nn-core's, on the compiler's command
//! line, for the same reason as nn-core's build.rs: the notebook kernel (evcxr with
//! `:cache`) reuses a compiled crate when its command line is unchanged. nn-core's sources
//! count too: an nn-grader cached from before an edit of nn-core was built against the old
//! nn-core and no longer links with the new one (rustc: "can't find crate for nn_grader").
//! The fingerprint has no effect on the code.

include!("../nn-core/fingerprint.rs");

fn main() {
    println!("cargo::rerun-if-changed=src");
    println!("cargo::rerun-if-changed=../nn-core/src");
    println!("cargo::rustc-check-cfg=cfg(nn_grader_sources, values(any()))");
    let dirs = ["src", "../nn-core/src"];
    let mut hash = 0u64;
    for dir in dirs {
        match sources_fingerprint(std::path::Path::new(dir)) {
            Ok(h) => hash = hash.rotate_left(17) ^ h,
            Err(e) => {
                println!("cargo::warning=nn-grader build script: no source fingerprint of {dir} ({e})");
                return;
            }
        }
    }
    println!("cargo::rustc-cfg=nn_grader_sources=\"{hash:016x}\"");
}
