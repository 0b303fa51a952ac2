//! One error type for the whole kit. Every variant names what is at fault:
//! the file, the variable, the shape, the row — so a student can fix it.

use std::fmt;
use std::path::PathBuf;

use ndarray::ArrayView2;

/// Everything that can go wrong, each case naming the culprit.
#[derive(Debug)]
pub enum NnError {
    /// Reading or writing a file failed (missing file, permission, disk full...).
    Io { path: PathBuf, action: &'static str, source: std::io::Error },
    /// The file exists but is not a MAT file this kit can read (or is truncated).
    NotMat { path: PathBuf, reason: String },
    /// A variable the caller asked for is not in the file; `present` lists what is.
    MissingVariable { path: PathBuf, name: String, present: Vec<String> },
    /// The variable is there but stored in a form the kit cannot use as a matrix
    /// (sparse, cell, struct, char, complex...); `found` says what it is, `hint` how to re-save it.
    UnsupportedVariable { path: PathBuf, name: String, found: String, hint: String },
    /// A matrix has the wrong shape, e.g. a transposed Theta1.
    Shape { what: String, expected: String, got: String },
    /// A label outside `1..=k` (row is 0-based in the data, printed 1-based like MATLAB).
    Label { what: String, row: usize, value: f64, k: usize },
    /// NaN or infinity where numbers are needed.
    NonFinite { what: String, row: usize, col: usize, value: f64 },
    /// An unrolled parameter vector of the wrong length for the layer sizes.
    ParamLength { expected: usize, got: usize, sizes: Vec<usize> },
    /// A bad argument: lambda negative, zero iterations, empty layer list...
    InvalidArgument { name: &'static str, reason: String },
    /// The optimizer met a NaN or infinite cost or gradient. `iteration` 0 is the starting
    /// point (no step taken yet); `cost` is J there (finite when only the gradient was not);
    /// `hint` says what went wrong and what to try.
    Diverged { iteration: usize, cost: f64, hint: String },
    /// A training that ran but did not train: no iteration completed, or the cost ended
    /// higher than it started. An error, not an `Ok` with a flag, so that a notebook cell
    /// that prints a trained network (or `.expect`s one) cannot show it as a success.
    NotTrained {
        /// `fmincg` or `gradient descent (alpha = ...)`.
        optimizer: String,
        /// Iterations completed.
        iterations: usize,
        /// Cost at the start (iteration 0) and at the end.
        initial_cost: f64,
        /// Cost after the last completed iteration (the initial cost if none).
        final_cost: f64,
        /// What happened, in words.
        reason: String,
        /// What to try.
        hint: String,
    },
    /// A picture could not be drawn or encoded.
    Plot(String),
}

/// `Result` with [`NnError`].
pub type Result<T> = std::result::Result<T, NnError>;

impl fmt::Display for NnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NnError::Io { path, action, source } => {
                write!(f, "could not {action} {}: {source}", path.display())?;
                let hint = io_hint(path, action, source);
                if hint.is_empty() {
                    Ok(())
                } else {
                    write!(f, " ({hint})")
                }
            }
            NnError::NotMat { path, reason } => {
                write!(f, "{} is not a readable MAT file: {reason}", path.display())
            }
            NnError::MissingVariable { path, name, present } => {
                write!(
                    f,
                    "{} has no variable `{name}`; variables present: {}",
                    path.display(),
                    if present.is_empty() { "(none)".to_string() } else { present.join(", ") }
                )?;
                match present.iter().find(|p| p.eq_ignore_ascii_case(name)) {
                    Some(p) => write!(f, " (names are case-sensitive: rename `{p}` to `{name}`)"),
                    None => Ok(()),
                }
            }
            NnError::UnsupportedVariable { path, name, found, hint } => write!(
                f,
                "variable `{name}` in {} is {found}, which this kit cannot read as a matrix; {hint}",
                path.display()
            ),
            NnError::Shape { what, expected, got } => {
                write!(f, "{what} has the wrong shape: expected {expected}, got {got}")
            }
            NnError::Label { what, row, value, k } => {
                write!(
                    f,
                    "{what}: label {} in row {} is outside 1..={k} (labels are 1..={k}, with {k} meaning the digit 0)",
                    short_number(*value),
                    row + 1
                )?;
                if *value == 0.0 {
                    write!(
                        f,
                        "; if 0 stands for the digit zero, relabel it {k}: MATLAB/Octave `y(y == 0) = {k}`, numpy `y[y == 0] = {k}`"
                    )?;
                }
                Ok(())
            }
            NnError::NonFinite { what, row, col, value } => write!(
                f,
                "{what} contains {value} at row {}, column {} (1-based); every value must be finite",
                row + 1,
                col + 1
            ),
            NnError::ParamLength { expected, got, sizes } => {
                write!(f, "parameter vector has {got} entries but layer sizes {sizes:?} need {expected}")
            }
            NnError::InvalidArgument { name, reason } => write!(f, "invalid {name}: {reason}"),
            NnError::Diverged { iteration: 0, cost, hint } => {
                write!(f, "the cost function gave no finite answer at the starting weights (iteration 0, before any step; cost {}): {hint}", short_number(*cost))
            }
            NnError::Diverged { iteration, cost, hint } => {
                write!(f, "optimization diverged at iteration {iteration} (cost {}): {hint}", short_number(*cost))
            }
            NnError::NotTrained { optimizer, iterations, initial_cost, final_cost, reason, hint } => write!(
                f,
                "training did not train: {optimizer} completed {iterations} iteration{} (cost {} at iteration 0, {} at the end): {reason}; {hint}",
                if *iterations == 1 { "" } else { "s" },
                short_number(*initial_cost),
                short_number(*final_cost)
            ),
            NnError::Plot(msg) => write!(f, "could not draw the figure: {msg}"),
        }
    }
}

impl std::error::Error for NnError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            NnError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// A number as a person writes it: `11`, `2.5`, `1e300` (not 301 digits).
pub(crate) fn short_number(v: f64) -> String {
    if v != 0.0 && v.is_finite() && !(1e-4..1e15).contains(&v.abs()) {
        format!("{v:e}")
    } else {
        format!("{v}")
    }
}

/// What to do about a failed read or write, from the kind of failure.
fn io_hint(path: &std::path::Path, action: &str, source: &std::io::Error) -> &'static str {
    use std::io::ErrorKind as K;
    let folder_missing = path.parent().is_some_and(|p| !p.as_os_str().is_empty() && !p.exists());
    match (action, source.kind()) {
        ("write", K::NotFound) if folder_missing => "its folder does not exist: create it first",
        ("write", K::PermissionDenied) => {
            "the folder (or the file) is not writable: choose another place or change its permissions"
        }
        ("write", K::ReadOnlyFilesystem) => "the disk is read-only: choose another place",
        ("write", K::StorageFull) | ("write", K::QuotaExceeded) => "the disk is full: free some space",
        ("write", K::IsADirectory) => "it is a folder: give a file name",
        ("read", K::NotFound) => "check the path; a relative path starts from the current folder",
        ("read", K::PermissionDenied) => "the file is not readable: change its permissions",
        _ => "",
    }
}

/// Shape as MATLAB prints it: `25x401`.
pub(crate) fn shape_str(rows: usize, cols: usize) -> String {
    format!("{rows}x{cols}")
}

/// Checks a scalar argument is finite and non-negative (lambda, epsilon...).
pub(crate) fn check_non_negative(name: &'static str, value: f64) -> Result<()> {
    if !value.is_finite() || value < 0.0 {
        return Err(NnError::InvalidArgument {
            name,
            reason: format!("{name} must be a finite number >= 0, got {value}"),
        });
    }
    Ok(())
}

/// The one rule for lambda, wherever it is an argument (training, the cost functions, the
/// gradient check, a checkpoint, the lambda figures): a finite number >= 0.
pub(crate) fn check_lambda(lambda: f64) -> Result<()> {
    if !lambda.is_finite() || lambda < 0.0 {
        return Err(NnError::InvalidArgument {
            name: "lambda",
            reason: format!(
                "lambda must be a finite number >= 0, got {}; the course uses lambda = 1 (0 to 10 is the useful range)",
                short_number(lambda)
            ),
        });
    }
    Ok(())
}

/// First NaN or infinite entry `(row, col, value)`, if any.
pub(crate) fn first_non_finite(a: ArrayView2<f64>) -> Option<(usize, usize, f64)> {
    // A pass in memory order without an early exit, which the compiler vectorizes (X is
    // checked on every feedforward); the position is looked for only when there is one.
    if a.fold(true, |finite, v| finite & v.is_finite()) {
        return None;
    }
    a.indexed_iter().find(|(_, v)| !v.is_finite()).map(|((r, c), v)| (r, c, *v))
}

/// `what` has `got` entries where `expected` are needed (`per`: "one per row of X", ...).
pub(crate) fn count_mismatch(what: &str, expected: usize, per: &str, got: usize) -> NnError {
    NnError::Shape { what: what.into(), expected: format!("{expected} {per}"), got: got.to_string() }
}
