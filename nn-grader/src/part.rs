//! The course's table: the five graded parts, their names and points.

/// A line of the course's table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Part {
    /// Unregularized cost J (lambda = 0): 30 points.
    FeedforwardCost,
    /// Regularized cost J (lambda > 0): 15 points.
    RegularizedCost,
    /// `sigmoid_gradient`: 5 points.
    SigmoidGradient,
    /// Unregularized gradient (lambda = 0): 40 points.
    Backpropagation,
    /// Regularized gradient (lambda > 0): 10 points.
    RegularizedGradient,
}

impl Part {
    /// The five parts in the course's order.
    pub const ALL: [Part; 5] = [
        Part::FeedforwardCost,
        Part::RegularizedCost,
        Part::SigmoidGradient,
        Part::Backpropagation,
        Part::RegularizedGradient,
    ];

    /// The part's name in the table.
    pub fn name(self) -> &'static str {
        match self {
            Part::FeedforwardCost => "Feedforward and cost",
            Part::RegularizedCost => "Regularized cost",
            Part::SigmoidGradient => "Sigmoid gradient",
            Part::Backpropagation => "Backpropagation",
            Part::RegularizedGradient => "Regularized gradient",
        }
    }

    /// The part's points: 30, 15, 5, 40, 10.
    pub fn max_score(self) -> u32 {
        match self {
            Part::FeedforwardCost => 30,
            Part::RegularizedCost => 15,
            Part::SigmoidGradient => 5,
            Part::Backpropagation => 40,
            Part::RegularizedGradient => 10,
        }
    }

    /// The student function the part grades.
    pub fn function(self) -> &'static str {
        match self {
            Part::SigmoidGradient => "sigmoid_gradient",
            _ => "nn_cost_function",
        }
    }

    /// Is this part graded at lambda > 0?
    pub fn regularized(self) -> bool {
        matches!(self, Part::RegularizedCost | Part::RegularizedGradient)
    }
}
