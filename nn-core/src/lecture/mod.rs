//! The lecture, in its names: the code a student reads after the slides is the code that runs.
//!
//! | file | the course | what |
//! | --- | --- | --- |
//! | [`sigmoid`] | `sigmoid.m`, `sigmoidGradient.m` | g(z) and g'(z), on numbers and arrays |
//! | [`data`] | `load('ex4data1.mat')` | [`Dataset`]: X (m x 400) and y (labels 1..=10, 10 for the digit 0) |
//! | [`network`] | `randInitializeWeights.m`, `debugInitializeWeights.m`, `predict.m` | [`Network`] (Theta1, Theta2, ...), unroll/reroll, feedforward, predict, accuracy |
//! | [`cost`] | `nnCostFunction.m` | the cost J and backpropagation: two Thetas, one example at a time, any depth |
//! | [`gradcheck`] | `computeNumericalGradient.m`, `checkNNGradients.m` | finite differences against backpropagation |
//!
//! Nothing here knows about the optimizers, the fast engine, files or pictures: they
//! all build on this.

pub mod cost;
pub mod data;
pub mod gradcheck;
pub mod network;
pub mod sigmoid;

// Short paths for the crate's own modules; users have `nn_core::Dataset`, `nn_core::Network`.
pub(crate) use data::Dataset;
pub(crate) use network::Network;
