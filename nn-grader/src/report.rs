//! What a grade is: one result per part of the course's table ([`Part`]), and the table
//! `Display` prints.

use std::fmt;

use crate::kind::Kind;
use crate::mistakes::Mistake;
use crate::outcome::Failure;
pub use crate::part::Part;
use crate::problem::Problem;

/// The outcome of one part: all of its points or none, and why.
#[derive(Clone, Debug, PartialEq)]
pub struct PartResult {
    /// Which part.
    pub part: Part,
    /// 0 or `part.max_score()`.
    pub score: u32,
    /// `part.max_score()`.
    pub max: u32,
    /// "Nice work!" or what is wrong.
    pub message: String,
    /// The classic mistake recognized, if any.
    pub mistake: Option<Mistake>,
    /// What happened: `Ok` with full points, else why there are none.
    pub kind: Kind,
    /// A problem outside the catalogue of mistakes, recognized by the answer's shape.
    pub problem: Option<Problem>,
}

impl PartResult {
    pub(crate) fn pass(part: Part) -> PartResult {
        PartResult {
            part,
            score: part.max_score(),
            max: part.max_score(),
            message: "Nice work!".into(),
            mistake: None,
            kind: Kind::Ok,
            problem: None,
        }
    }
    /// No points for an answer that is wrong ([`Kind::Wrong`]; see [`PartResult::of_kind`]).
    pub(crate) fn fail(part: Part, message: impl Into<String>, mistake: Option<Mistake>) -> PartResult {
        PartResult {
            part,
            score: 0,
            max: part.max_score(),
            message: message.into(),
            mistake,
            kind: Kind::Wrong,
            problem: None,
        }
    }
    /// No points: the calls of `part.function()` gave nothing.
    pub(crate) fn failed(part: Part, failure: &Failure) -> PartResult {
        PartResult::fail(part, failure.message(part.function()), None).of_kind(failure.kind())
    }
    /// The same result, of another kind.
    pub(crate) fn of_kind(self, kind: Kind) -> PartResult {
        PartResult { kind, ..self }
    }
    /// The same result, with a problem recognized.
    pub(crate) fn with_problem(self, problem: Problem) -> PartResult {
        PartResult { problem: Some(problem), ..self }
    }
    /// Full points?
    pub fn passed(&self) -> bool {
        self.score == self.max
    }
}

const NAME_WIDTH: usize = 22;
/// The table's two header lines (the part names are padded to `NAME_WIDTH`).
const TABLE_HEADER: &str = "Part                   Score     Feedback\n----                   -----     --------";

impl fmt::Display for PartResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:<w$} {:>3} / {:<3} {}", self.part.name(), self.score, self.max, self.message, w = NAME_WIDTH)
    }
}

/// The unscored check of `rand_initialize_weights`.
#[derive(Clone, Debug, PartialEq)]
pub struct InitCheck {
    /// Every check met.
    pub passed: bool,
    /// What was checked, or what is wrong.
    pub message: String,
    /// What happened: `Ok` when passed, else why not.
    pub kind: Kind,
}

impl fmt::Display for InitCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Random initialization (not scored): {}", self.message)
    }
}

/// The grade: one [`PartResult`] per part, and the check of the initialization.
///
/// `Display` prints the course's table and ends with the line `Total: N / 100`.
#[derive(Clone, Debug, PartialEq)]
pub struct GradeReport {
    /// The graded parts, in the course's order.
    pub parts: Vec<PartResult>,
    /// The check of `rand_initialize_weights`, when it was given.
    pub init: Option<InitCheck>,
}

impl GradeReport {
    /// Sum of the scores.
    pub fn total(&self) -> u32 {
        self.parts.iter().map(|p| p.score).sum()
    }
    /// Sum of the maximum scores (100 for a full grade).
    pub fn max_total(&self) -> u32 {
        self.parts.iter().map(|p| p.max).sum()
    }
    /// One part's result.
    pub fn part(&self, part: Part) -> Option<&PartResult> {
        self.parts.iter().find(|p| p.part == part)
    }
    /// The mistakes recognized, in part order.
    pub fn mistakes(&self) -> Vec<Mistake> {
        self.parts.iter().filter_map(|p| p.mistake).collect()
    }
}

impl fmt::Display for GradeReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{TABLE_HEADER}")?;
        for p in &self.parts {
            writeln!(f, "{p}")?;
        }
        if let Some(init) = &self.init {
            writeln!(f, "{init}")?;
        }
        write!(f, "Total: {} / {}", self.total(), self.max_total())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_add_up_to_100_and_lines_line_up() {
        assert_eq!(Part::ALL.iter().map(|p| p.max_score()).sum::<u32>(), 100);
        let report = GradeReport {
            parts: vec![PartResult::fail(Part::FeedforwardCost, "why", None), PartResult::pass(Part::SigmoidGradient)],
            init: Some(InitCheck { passed: true, message: "ok".into(), kind: Kind::Ok }),
        };
        let text = report.to_string();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[2], format!("{:<22} {:>3} / {:<3} {}", "Feedforward and cost", 0, 30, "why"));
        assert_eq!(lines[3], format!("{:<22} {:>3} / {:<3} {}", "Sigmoid gradient", 5, 5, "Nice work!"));
        assert_eq!(lines[4], "Random initialization (not scored): ok");
        assert_eq!(lines[5], "Total: 5 / 35");
        // The header's columns start where the rows' do.
        assert_eq!(lines[0].find("Score"), Some(NAME_WIDTH + 1));
        assert_eq!(lines[0].find("Feedback"), lines[2].find("why"));
    }
}
