//! Problems that the [catalogue of classic mistakes](crate::mistakes) has no entry for (no
//! wrong formula to recompute), recognized another way: by the shape of an answer, or by
//! the class grader's reading of the student's code. Each has a stable id
//! ([`Problem::id`]), a name and what to re-teach, for the feedback pages and the class
//! summary.

/// A problem spotted outside the catalogue of mistakes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Problem {
    /// `Theta1_grad` one row too tall: delta2 kept the bias unit's error (found by scoring).
    DeltaWithBiasColumn,
    /// The digits' sizes written as numbers in `nn_cost_function` (found by the class
    /// grader's integrity step in the code of a student who lost points on it).
    HardCodedSizes,
}

impl Problem {
    /// Every problem, in the order the class summary lists them.
    pub const ALL: [Problem; 2] = [Problem::DeltaWithBiasColumn, Problem::HardCodedSizes];

    /// The stable id: `delta_with_bias_column`, `hard_coded_sizes`.
    pub fn id(self) -> &'static str {
        match self {
            Problem::DeltaWithBiasColumn => "delta_with_bias_column",
            Problem::HardCodedSizes => "hard_coded_sizes",
        }
    }

    /// Its name, as the summary and the hints show it.
    pub fn name(self) -> &'static str {
        match self {
            Problem::DeltaWithBiasColumn => "delta with the bias column",
            Problem::HardCodedSizes => "hard-coded sizes",
        }
    }

    /// What to re-teach.
    pub fn description(self) -> &'static str {
        match self {
            Problem::DeltaWithBiasColumn => {
                "delta2 keeps the bias unit's error: drop its first column \
                 (delta3.dot(&theta2.slice(s![.., 1..]))) before delta2.t().dot(&a1) \
                 (Theta1_grad gets one row too many)"
            }
            Problem::HardCodedSizes => {
                "nn_cost_function uses the digits' sizes (400, 25, 10, 5000) as numbers: take them from \
                 x.nrows(), theta1.nrows(), theta2.nrows(), so that any network works (the grader uses 3-5-3 \
                 and other small ones)"
            }
        }
    }
}
