//! Files: reading and writing MATLAB `.mat` files (and explaining why one cannot be
//! read), the kit's bundled data, and the one atomic write every file goes through.
//!
//! | file | what |
//! | --- | --- |
//! | [`read`](mod@read) | `Dataset::load`, `Network::load`: X, y and Theta1.. from a `.mat` file; the kit's MAT v5 decoder |
//! | [`mat`] | `Dataset::save`, `Network::save`, [`write_mat`]: a MAT v5 writer |
//! | [`diagnose`](mod@diagnose) | why a file is not a MAT file the kit can read: text, v7.3, truncated... |
//! | [`format`](mod@format) | the MAT v5 format's numbers and element framing, shared by the writer and the reader |
//! | [`bundled`] | the files in `data/`, found from any folder, and the values expected of them |
//! | [`checkpoint`] | [`Checkpoint`]: a training run saved as it goes, and restored |
//! | [`digit_image`] | [`digit_image::load_digit`]: a student's drawn digit (PNG or JPEG) as a 1 x 400 row of X |
//! | [`atomic`] | [`write_atomic`]: a whole new file or the old one, never half of one, nothing left behind |

pub mod atomic;
pub mod bundled;
pub mod checkpoint;
pub mod diagnose;
pub mod digit_image;
pub mod format;
pub mod mat;
pub mod read;

pub use atomic::write_atomic;
pub use checkpoint::Checkpoint;
pub use mat::write_mat;
