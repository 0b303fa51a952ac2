//! What the explorers and the training animation share: networks saved during a
//! training ([`TrainingSnapshots`]), how many frames they may take, and how a cost is
//! written under a frame. (The hidden units on one gray scale, and its legend, are
//! pictures: `images.rs`.)

use super::fmt_sci;
use crate::error::{NnError, Result};
use crate::lecture::{Dataset, Network};
use crate::train::{train, Progress, TrainConfig};

/// The most frames an explorer or an animation takes: each adds about 15-25 KB to the
/// notebook that shows it (on the digits, a 21-frame training explorer is about 485 KB,
/// an 11-frame one 295 KB), and a notebook should stay well under 1.5 MB.
pub const MAX_FRAMES: usize = 21;

/// Errors when `frames` is more than [`MAX_FRAMES`].
pub(crate) fn check_frame_count(frames: usize, what: &str) -> Result<()> {
    if frames > MAX_FRAMES {
        return Err(NnError::InvalidArgument {
            name: "frames",
            reason: format!(
                "{what} of {frames} frames: at most {MAX_FRAMES} frames (each adds about 20 KB to the notebook); ask for fewer"
            ),
        });
    }
    Ok(())
}

/// A network saved at one iteration of a training.
#[derive(Clone, Debug)]
pub struct Snapshot {
    /// Iterations done when it was saved (0: the initial weights).
    pub iteration: usize,
    /// The weights at that point.
    pub network: Network,
}

/// A training run saved at several iterations: what [`training_explorer`](super::training_explorer)
/// and [`training_animation`](super::training_animation) draw. Make one with
/// [`train_in_snapshots`] and draw it both ways without training twice.
#[derive(Clone, Debug)]
pub struct TrainingSnapshots {
    /// The settings (its `iterations` is the total).
    pub config: TrainConfig,
    /// The networks, first (iteration 0, the initial weights) to last.
    pub snapshots: Vec<Snapshot>,
    /// Cost J after each iteration; `costs[0]` is the cost at the initial weights, so
    /// `costs[k]` belongs to iteration k.
    pub costs: Vec<f64>,
}

impl TrainingSnapshots {
    /// The last network (the trained one).
    pub fn last(&self) -> &Network {
        &self.snapshots.last().expect("at least two snapshots (checked when made)").network
    }

    /// Iterations actually done (fmincg may stop early when it converges).
    pub fn iterations(&self) -> usize {
        self.costs.len() - 1
    }
}

/// Trains as [`train`] does, but in `frames - 1` chunks of about equal length, each
/// starting from where the last stopped (`TrainConfig::start_from`), saving the network
/// after each chunk (and the initial one): `frames` snapshots in all.
///
/// Note: fmincg starts its line search afresh at each chunk (a first step of
/// 1/(1 + |gradient|), no memory of the previous direction), so the chunked run is close
/// to, but not exactly, one run of `config.iterations` iterations; the costs it reports
/// are those of the chunked run. Gradient descent has no such state: chunks change
/// nothing. `config.progress` is not called.
///
/// Errors: `frames < 2`, more frames than iterations + 1, anything [`train`] rejects.
///
/// ```
/// use nn_core::prelude::*;
/// let x = ndarray::Array2::from_shape_fn((20, 4), |(i, j)| ((i * 3 + j) % 5) as f64);
/// let data = Dataset::new(x, ndarray::Array1::from_shape_fn(20, |i| 1 + i % 2), 2).unwrap();
/// // Gradient descent runs every iteration (fmincg may stop early on a toy problem).
/// let config = TrainConfig::new(&[4, 3, 2]).iterations(12).optimizer(Optimizer::GradientDescent { learning_rate: 0.5 });
/// let run = viz::train_in_snapshots(&config, &data, 4).unwrap();
/// let its: Vec<usize> = run.snapshots.iter().map(|s| s.iteration).collect();
/// assert_eq!(its, [0, 4, 8, 12]);
/// assert_eq!(run.costs.len(), 13);
/// ```
pub fn train_in_snapshots(config: &TrainConfig, data: &Dataset, frames: usize) -> Result<TrainingSnapshots> {
    if frames < 2 {
        return Err(NnError::InvalidArgument {
            name: "frames",
            reason: format!("asked for {frames} frames: an explorer needs at least 2 (the start and the end)"),
        });
    }
    check_frame_count(frames, "a slider or an animation")?;
    let total = config.iterations;
    if total == 0 {
        return Err(NnError::InvalidArgument { name: "iterations", reason: "0 iterations: nothing to show".into() });
    }
    if frames > total + 1 {
        return Err(NnError::InvalidArgument {
            name: "frames",
            reason: format!("asked for {frames} frames of a {total}-iteration training: at most {} (one per iteration and the start)", total + 1),
        });
    }
    let quiet = TrainConfig { progress: Progress::default(), ..config.clone() };
    let first = match &quiet.start {
        Some(n) => n.clone(),
        None => Network::random(&quiet.sizes, quiet.init, quiet.seed)?,
    };
    let mut snapshots = vec![Snapshot { iteration: 0, network: first.clone() }];
    let mut costs: Vec<f64> = Vec::with_capacity(total + 1);
    let mut current = first;
    let mut done = 0usize;
    for k in 1..frames {
        let target = (k * total + (frames - 1) / 2) / (frames - 1);
        let chunk = target.saturating_sub(done);
        if chunk == 0 {
            continue;
        }
        let t = train(&quiet.clone().iterations(chunk).start_from(current.clone()), data)?;
        if costs.is_empty() {
            costs.push(t.history.initial_cost);
        }
        costs.extend_from_slice(&t.history.costs);
        done += t.history.costs.len();
        current = t.network;
        snapshots.push(Snapshot { iteration: done, network: current.clone() });
        if t.history.costs.len() < chunk {
            break; // converged: nothing more to show
        }
    }
    if costs.is_empty() {
        costs.push(crate::lecture::cost::nn_cost_function_deep(&current, data.x(), data.y(), quiet.lambda)?.0);
    }
    Ok(TrainingSnapshots { config: config.clone(), snapshots, costs })
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
