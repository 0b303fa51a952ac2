//! # nn-core — Neural Networks Learning (the course's ex4), in Rust
//!
//! The exercise's mathematics with the lecture's names: a sigmoid network
//! (400-25-10 by default), the regularized cross-entropy cost, backpropagation,
//! gradient checking, `fmincg`, training, prediction and the pictures.
//!
//! ```
//! use nn_core::prelude::*;
//! // The course's 3-5-3 debug network: five examples, three classes.
//! let network = Network::debug(&[3, 5, 3]);
//! let x = debug_initialize_weights(5, 2); // X is 5 x 3: the course reuses the sin pattern
//! let y = ndarray::array![2usize, 3, 1, 2, 3];
//! let (j, grads) = nn_cost_function(&network, &x, &y, 0.0).unwrap();
//! assert!(j > 0.0 && grads.len() == 2);
//! ```

pub mod activation;
pub mod grader;
pub mod bundled;
pub mod cost;
pub mod data;
pub mod error;
pub mod gradcheck;
mod kernels;
pub mod mat;
pub mod mistakes;
pub mod network;
pub mod optim;
pub mod train;
pub mod viz;

pub use activation::{sigmoid, sigmoid_gradient};
pub use cost::{feedforward, nn_cost_function, nn_cost_function_loop, Feedforward};
pub use data::Dataset;
pub use error::{NnError, Result};
pub use gradcheck::{check_nn_gradients, compute_numerical_gradient, debug_initialize_weights, GradCheckReport};
pub use network::{accuracy, rand_initialize_weights, Init, Network};

/// Everything a notebook needs, in one `use`.
pub mod prelude {
    pub use crate::activation::{sigmoid, sigmoid_gradient};
    pub use crate::cost::{feedforward, nn_cost, nn_cost_function, nn_cost_function_loop, Feedforward};
    pub use crate::data::Dataset;
    pub use crate::error::NnError;
    pub use crate::gradcheck::{check_nn_gradients, compute_numerical_gradient, debug_initialize_weights, GradCheckReport};
    pub use crate::network::{accuracy, rand_initialize_weights, Init, Network};
    pub use crate::optim::{fmincg, gradient_descent, History, Optimizer};
    pub use crate::train::{compare_lambdas, continue_training, lambda_sweep, lambda_table, train, train_with_callback, LambdaResult, TrainConfig, Trained};
    pub use crate::optim::StopReason;
    pub use ndarray::{array, s, Array1, Array2};
}

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
        let dir = std::env::temp_dir().join(format!("nn-core-fingerprint-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        std::fs::write(dir.join("a.rs"), "fn a() {}").unwrap();
        std::fs::write(dir.join("sub/b.rs"), "fn b() {}").unwrap();
        let before = sources_fingerprint(&dir).unwrap();
        std::fs::write(dir.join("sub/b.rs"), "fn b() { }").unwrap();
        let after = sources_fingerprint(&dir).unwrap();
        std::fs::rename(dir.join("a.rs"), dir.join("c.rs")).unwrap();
        let renamed = sources_fingerprint(&dir).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(before != after && after != renamed && before != renamed);
    }
}
