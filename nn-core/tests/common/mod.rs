//! The course's own weights for the checks that need them (shared by the test suites).
//!
//! The file is not part of the kit: it is found through `NN_EX4_COURSE_WEIGHTS` or at
//! `data/ex4weights.mat` (`nn_core::bundled::course_weights_file`). Where neither is set
//! up, the checks that need it skip, and the suite says so once, in one line on stderr
//! (written past the test harness's capture so that it shows in `cargo test`). Where the
//! variable names a missing or unreadable file, they fail.

use std::io::Write;
use std::sync::Once;

use nn_core::bundled;
use nn_core::Network;

#[path = "../../src/test_support.rs"]
mod test_support;
pub use test_support::TempDir;

static SKIP_LINE: Once = Once::new();

/// The course's 400-25-10 weights, or `None` (and the suite's skip line) when the
/// file is not reachable. `suite` names the test file; `checks` lists its tests that
/// need the file.
pub fn course_weights(suite: &str, checks: &[&str]) -> Option<Network> {
    let path = match bundled::course_weights_file() {
        Ok(Some(path)) => path,
        Ok(None) => {
            SKIP_LINE.call_once(|| {
                let line = format!(
                    "\n{suite}: skipped {} checks that need the course's ex4weights.mat ({}): {}\n",
                    checks.len(),
                    checks.join(", "),
                    bundled::COURSE_WEIGHTS_HINT
                );
                // io::stderr() directly: the harness captures eprintln!, not this.
                let _ = std::io::stderr().write_all(line.as_bytes());
            });
            return None;
        }
        Err(e) => panic!("{e}"),
    };
    Some(
        Network::load_expecting(&path, &[400, 25, 10])
            .unwrap_or_else(|e| panic!("the course's weights could not be read: {e}")),
    )
}
