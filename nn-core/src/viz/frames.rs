//! What the explorers and the training animation share: how many frames they may take, the
//! frames of a training (its snapshots, [`TrainConfig::snapshots`](crate::TrainConfig::snapshots)),
//! and how a cost is written under a frame. (The hidden units on one gray scale, and its
//! legend, are pictures: `images.rs`.)

use super::fmt_sci;
use crate::error::{NnError, Result};
use crate::train::{Snapshot, Trained, MAX_SNAPSHOTS};

/// Errors when `frames` is more than [`MAX_SNAPSHOTS`].
pub(crate) fn check_frame_count(frames: usize, what: &str) -> Result<()> {
    if frames > MAX_SNAPSHOTS {
        return Err(NnError::InvalidArgument {
            name: "frames",
            reason: format!(
                "{what} of {frames} frames: at most {MAX_SNAPSHOTS} frames (each adds about 20 KB to the notebook); ask for fewer"
            ),
        });
    }
    Ok(())
}

/// The snapshots of `run` to draw as frames, and its costs from the start (entry k: iteration
/// k). Errors when the training kept fewer than two (it was not asked to keep any).
pub(crate) fn training_frames<'a>(run: &'a Trained, what: &str) -> Result<(&'a [Snapshot], Vec<f64>)> {
    if run.snapshots.len() < 2 {
        return Err(NnError::InvalidArgument {
            name: "snapshots",
            reason: format!(
                "{what} draws the networks a training kept, and this one kept {}: train with \
                 `.snapshots(11)` in its TrainConfig (2 to {MAX_SNAPSHOTS})",
                run.snapshots.len()
            ),
        });
    }
    check_frame_count(run.snapshots.len(), what)?;
    Ok((&run.snapshots, run.costs_from_start()))
}

/// The cost as a short text: 0.3142, 1.2e-05.
pub(crate) fn fmt_cost(j: f64) -> String {
    if j.abs() >= 1e-3 && j.abs() < 1e4 {
        format!("{j:.4}")
    } else {
        fmt_sci(j)
    }
}

/// Samples `n` indices of `0..len` evenly, first and last included.
pub(crate) fn even_picks(len: usize, n: usize) -> Vec<usize> {
    if len <= n || n < 2 {
        return (0..len).collect();
    }
    let mut v: Vec<usize> = (0..n).map(|k| (k * (len - 1) + (n - 1) / 2) / (n - 1)).collect();
    v.dedup();
    v
}
