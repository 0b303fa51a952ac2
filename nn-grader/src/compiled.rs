//! What a grading cell grades, said where the student reads the grade.
//!
//! evcxr compiles a cell before it runs any of it: a cell with a compile error runs
//! nothing, and the function it meant to redefine keeps its previous definition, the one
//! of the last run of its cell that compiled. Nothing the grading cell can run sees that
//! a later run failed (the failed cell left no trace in the kernel's process), so every
//! grading cell says it.

/// The line a grading cell prints under its result: which version of `function` it graded.
///
/// ```
/// let note = nn_grader::graded_as_compiled("nn_cost_function");
/// assert!(note.contains("nn_cost_function") && note.contains("compiled"));
/// ```
pub fn graded_as_compiled(function: &str) -> String {
    format!(
        "(graded: the {function} of the last run of its cell that compiled; a run with a compile error \
         changes nothing, so fix the error and run that cell again)"
    )
}
