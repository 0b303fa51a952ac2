//! # nn-core — Neural Networks Learning (the course's ex4), in Rust
//!
//! The exercise's mathematics with the lecture's names: a sigmoid network
//! (400-25-10 by default), the regularized cross-entropy cost, backpropagation,
//! gradient checking, `fmincg`, training, prediction and the pictures.
//!
//! | module | what | depends on |
//! | --- | --- | --- |
//! | [`lecture`] | the course's functions, one file each, in the lecture's names | - |
//! | [`optim`] | `fmincg` and gradient descent: vectors and an objective, no networks | - |
//! | [`engine`] | the fast cost + gradient behind training, tested equal to the lecture's | lecture, optim |
//! | [`train`](mod@train) | one entry point, [`train()`] (any cost function: [`train::train_with_cost`]), and the lambda study [`compare_lambdas`] | lecture, optim, engine |
//! | [`io`] | `.mat` files, the bundled data, atomic writes | lecture |
//! | [`viz`] | the pictures, inline in notebooks or as files | lecture, optim, train, io |
//!
//! The exercise's grader is a crate of its own (`nn-grader`); nothing here uses it.
//!
//! ```
//! use nn_core::prelude::*;
//! // The course's 3-5-3 debug network: five examples, three classes.
//! let network = Network::debug(&[3, 5, 3]).unwrap();
//! let x = debug_initialize_weights(5, 2); // X is 5 x 3: the course reuses the sin pattern
//! let y = array![2, 3, 1, 2, 3];
//! let (j, theta1_grad, theta2_grad) = nn_cost_function(network.theta1(), network.theta2(), &x, &y, 0.0).unwrap();
//! assert!(j > 0.0 && theta1_grad.dim() == (5, 4) && theta2_grad.dim() == (3, 6));
//! ```

pub mod engine;
pub mod error;
pub mod io;
// The course, plainly: no unsafe code in lecture/ (speed lives in engine/). deny, not
// forbid: ndarray's `s![]` allows unsafe_code inside its own expansion.
#[deny(unsafe_code)]
pub mod lecture;
pub mod optim;
pub mod train;
pub mod viz;

/// The teaching surface: what the crate root and the [`prelude`] both export.
mod surface {
    pub use crate::error::NnError;
    pub use crate::io::bundled;
    pub use crate::lecture::cost::{nn_cost_function, nn_cost_function_deep, nn_cost_function_loop};
    pub use crate::lecture::data::Dataset;
    pub use crate::lecture::gradcheck::{
        check_gradients, check_nn_gradients, compute_numerical_gradient, GradCheckReport,
    };
    pub use crate::lecture::network::{
        debug_initialize_weights, feedforward, rand_initialize_weights, seeded_rng, Feedforward, Init, Network,
    };
    pub use crate::lecture::sigmoid::{sigmoid, sigmoid_gradient, sigmoid_scalar};
    pub use crate::optim::{fmincg, gradient_descent, History, Optimizer, StopReason};
    pub use crate::train::{compare_lambdas, train, Engine, LambdaStudy, TrainConfig, Trained};
    pub use crate::viz;
}

pub use error::Result;
pub use surface::*;

/// Everything a notebook needs, in one `use nn_core::prelude::*;`: the teaching surface
/// (the same items as the crate root) and ndarray's `array!`, `s!`, `Array1`, `Array2`.
pub mod prelude {
    pub use crate::surface::*;
    pub use ndarray::{array, s, Array1, Array2};
}

#[cfg(test)]
mod test_support;

#[cfg(test)]
mod build_fingerprint {
    include!("../fingerprint.rs");

    /// build.rs fingerprints the sources this very build compiled (so the
    /// notebook cache, keyed by the compiler's command line, sees every edit).
    #[test]
    fn build_script_fingerprints_the_current_sources() {
        let now = sources_fingerprint(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src").as_path()).unwrap();
        assert_eq!(env!("NN_CORE_SOURCES_FINGERPRINT"), format!("{now:016x}"));
        // Any change to any file changes it.
        let dir = crate::test_support::TempDir::new("fingerprint");
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        std::fs::write(dir.join("a.rs"), "fn a() {}").unwrap();
        std::fs::write(dir.join("sub/b.rs"), "fn b() {}").unwrap();
        let before = sources_fingerprint(&dir).unwrap();
        std::fs::write(dir.join("sub/b.rs"), "fn b() { }").unwrap();
        let after = sources_fingerprint(&dir).unwrap();
        std::fs::rename(dir.join("a.rs"), dir.join("c.rs")).unwrap();
        let renamed = sources_fingerprint(&dir).unwrap();
        assert!(before != after && after != renamed && before != renamed);
    }
}
