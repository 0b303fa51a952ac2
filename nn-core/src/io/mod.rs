//! Files: reading and writing MATLAB `.mat` files (and explaining why one cannot be
//! read), the kit's bundled data, and the one atomic write every file goes through.
//!
//! | file | what |
//! | --- | --- |
//! | [`read`](mod@read) | `Dataset::load`, `Network::load`: X, y and Theta1.. from a `.mat` file; the kit's MAT v5 decoder |
//! | `mat.rs` | `Dataset::save`, `Network::save`, [`write_mat`]: a MAT v5 writer |
//! | `diagnose.rs` | why a file is not a MAT file the kit can read: text, v7.3, truncated... |
//! | `format.rs` | the MAT v5 format's numbers and element framing, shared by the writer and the reader |
//! | [`bundled`] | the files in `data/`, found from any folder, and the values expected of them |
//! | `checkpoint.rs` | a training run saved as it goes ([`TrainConfig::checkpoint`](crate::TrainConfig::checkpoint)), brought back by [`Trained::from_checkpoint`](crate::Trained::from_checkpoint) |
//! | [`digit_image`] | [`digit_image::load_digit`]: a student's drawn digit (PNG or JPEG) as a 1 x 400 row of X |
//! | `atomic.rs` | [`write_atomic`]: a whole new file or the old one, never half of one, nothing left behind |
//! | `json.rs` | [`json_string`]: a JSON string literal, for the JSON the kit writes |

mod atomic;
pub mod bundled;
pub(crate) mod checkpoint;
pub(crate) mod diagnose;
pub mod digit_image;
pub(crate) mod format;
mod json;
mod mat;
pub mod read;

pub use atomic::write_atomic;
pub use json::json_string;
pub use mat::write_mat;
// Hooks for the crash-safety tests (tests/hostile_inputs.rs), not for use.
#[doc(hidden)]
pub use atomic::{force_named_temp, set_mid_write_hook};
