//! Checkpoints: a training run saved while it goes (the network so far and its history),
//! so that a kernel that died or a cell that was interrupted costs seconds, not the
//! whole training. One `.mat` file, written atomically: a crash mid-save keeps the
//! previous checkpoint.
//!
//! The file holds `Theta1`, `Theta2`, ... (so `Network::load` reads it too) and the
//! history: `costs` (1 x iterations), `initial_cost`, `evaluations`, `elapsed_seconds`,
//! `stop_reason`, and the run's `lambda` and `seed`.

use std::path::Path;
use std::time::Duration;

use ndarray::{arr2, Array2};

use super::mat::write_mat;
use super::read::{matrix, read_mat};
use crate::error::{NnError, Result};
use crate::lecture::Network;
use crate::optim::{History, StopReason};

/// A training run as saved: the network, its history, and the settings that are not
/// in the network itself.
#[derive(Clone, Debug, PartialEq)]
pub struct Checkpoint {
    /// The weights when the checkpoint was written.
    pub network: Network,
    /// Cost per iteration so far, evaluations, time.
    pub history: History,
    /// Regularization of the run.
    pub lambda: f64,
    /// Seed of the run's initial weights.
    pub seed: u64,
}

const STOP_REASONS: [StopReason; 3] = [StopReason::IterationLimit, StopReason::LineSearchFailed, StopReason::Stopped];

impl Checkpoint {
    /// Writes the checkpoint to `path` (atomically).
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        let h = &self.history;
        let scalar = |v: f64| arr2(&[[v]]);
        let costs = Array2::from_shape_vec((1, h.costs.len()), h.costs.clone()).expect("1 x n");
        let stop = STOP_REASONS.iter().position(|r| *r == h.stop_reason).unwrap_or(0) as f64;
        let extra = [
            ("costs", costs),
            ("initial_cost", scalar(h.initial_cost)),
            ("evaluations", scalar(h.evaluations as f64)),
            ("elapsed_seconds", scalar(h.elapsed.as_secs_f64())),
            ("stop_reason", scalar(stop)),
            ("lambda", scalar(self.lambda)),
            ("seed", scalar(self.seed as f64)),
        ];
        let names: Vec<String> = (1..=self.network.thetas().len()).map(|l| format!("Theta{l}")).collect();
        let mut vars: Vec<(&str, ndarray::ArrayView2<f64>)> =
            names.iter().zip(self.network.thetas()).map(|(n, t)| (n.as_str(), t.view())).collect();
        vars.extend(extra.iter().map(|(n, a)| (*n, a.view())));
        write_mat(path, &vars)
    }

    /// Reads a checkpoint written by [`Checkpoint::save`].
    pub fn load(path: impl AsRef<Path>) -> Result<Checkpoint> {
        let path = path.as_ref();
        let network = Network::load(path)?;
        let mat = read_mat(path)?;
        let scalar = |name: &str| -> Result<f64> {
            let a = matrix(&mat, path, name)?;
            match a.iter().next() {
                Some(&v) if a.len() == 1 && v.is_finite() => Ok(v),
                _ => Err(NnError::Shape {
                    what: format!("{name} in {}", path.display()),
                    expected: "one finite number (this is not a checkpoint written by the kit?)".into(),
                    got: format!("{}x{}", a.nrows(), a.ncols()),
                }),
            }
        };
        let whole = |name: &str, v: f64| -> Result<u64> {
            if v >= 0.0 && v.fract() == 0.0 && v < 9.0e15 {
                Ok(v as u64)
            } else {
                Err(NnError::InvalidArgument {
                    name: "checkpoint",
                    reason: format!("{name} in {} is {v}, not a count", path.display()),
                })
            }
        };
        let costs = matrix(&mat, path, "costs")?;
        if costs.nrows() > 1 || costs.iter().any(|c| !c.is_finite()) {
            return Err(NnError::InvalidArgument {
                name: "checkpoint",
                reason: format!("costs in {} must be one row of finite numbers", path.display()),
            });
        }
        let stop = whole("stop_reason", scalar("stop_reason")?)? as usize;
        let history = History {
            costs: costs.iter().copied().collect(),
            initial_cost: scalar("initial_cost")?,
            evaluations: whole("evaluations", scalar("evaluations")?)? as usize,
            elapsed: Duration::from_secs_f64(scalar("elapsed_seconds")?.max(0.0)),
            stop_reason: *STOP_REASONS.get(stop).unwrap_or(&StopReason::Stopped),
        };
        let lambda = scalar("lambda")?;
        crate::error::check_lambda(lambda)?;
        Ok(Checkpoint { network, history, lambda, seed: whole("seed", scalar("seed")?)? })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lecture::network::Init;

    #[test]
    fn round_trip_is_exact_and_bad_files_are_named() {
        let dir = crate::test_support::TempDir::new("checkpoint");
        let path = dir.join("run.mat");
        let cp = Checkpoint {
            network: Network::random(&[4, 3, 2], Init::default(), 1).unwrap(),
            history: History {
                costs: vec![0.9, 0.7, 0.1 + 0.2],
                initial_cost: 1.25,
                evaluations: 7,
                elapsed: Duration::from_millis(1500),
                stop_reason: StopReason::Stopped,
            },
            lambda: 3.0,
            seed: 42,
        };
        cp.save(&path).unwrap();
        assert_eq!(Checkpoint::load(&path).unwrap(), cp);
        // The network part is an ordinary weights file.
        assert_eq!(Network::load(&path).unwrap(), cp.network);
        // A weights file is not a checkpoint: the error names what is missing.
        let weights = dir.join("w.mat");
        cp.network.save(&weights).unwrap();
        let e = Checkpoint::load(&weights).unwrap_err().to_string();
        assert!(e.contains("costs") && e.contains("w.mat"), "{e}");
    }
}
