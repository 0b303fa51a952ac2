//! What happened to a part, a check or a whole student, as one stable word ([`Kind`]), and
//! the words a teacher reads in the gradebook's `status` column for it ([`Kind::status`]).
//!
//! The class grader's Python reads these words, never the messages: a message can be
//! reworded without changing the gradebook. The kinds that only the class grader sees (a
//! cell that does not compile, the sandbox's exit, a report that is missing or malformed)
//! are listed here too, so that one list names every outcome.

/// What happened, as a stable word ([`Kind::word`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// Every check met: full points.
    Ok,
    /// An answer that is not the library's (a classic mistake, a wrong shape, a wrong value).
    Wrong,
    /// The student's function panicked (`todo!()` included).
    Panicked,
    /// The student's function returned an `Err`.
    ReturnedError,
    /// A time limit passed: a part's ([`crate::GradeOptions::time_limit`]) or the whole student's.
    Timeout,
    /// An allocation failed at the memory limit.
    OutOfMemory,
    /// The stack overflowed.
    StackOverflow,
    /// The process ended on its own before handing back a result (`std::process::exit`).
    Exited,
    /// The process was killed by a signal (an abort, a segmentation fault...).
    Crashed,
    /// The calls could not be run or their results not read (e.g. a report with fewer
    /// results than problems).
    NotRun,
    /// A cell, or all of a student's code, does not compile.
    CompileError,
    /// A function's cell is missing from the notebook.
    MissingCell,
    /// A cell the class grader does not compile (it reads files or the environment while
    /// it is compiled).
    RefusedCell,
    /// The notebook could not be read.
    UnreadableNotebook,
    /// The student's program handed back a report longer than the class grader takes.
    ReportTooLong,
    /// The report channel stayed open after the student's program ended.
    ReportLeftOpen,
    /// The report was not exactly one well-formed frame.
    MalformedReport,
    /// The class grader itself failed on this student.
    GraderError,
    /// Not graded: the class's program could not be built.
    NotGraded,
}

/// Where a [`Kind`] happened: in one part (or the initialization's check), or to the whole
/// student's program.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scope {
    /// One part's calls, or one function's cell.
    Part,
    /// The whole student (their program, their notebook).
    Student,
}

impl Scope {
    /// `part` or `student`.
    pub fn word(self) -> &'static str {
        match self {
            Scope::Part => "part",
            Scope::Student => "student",
        }
    }
}

/// The words of a status: the whole text, and the few words it is counted under in the
/// class summary. Fields in braces are filled in by the class grader: `{function}`,
/// `{functions}` (a list, comma-separated), `{seconds}`, `{status}`, `{signal}`, `{limit}`,
/// `{detail}`; a `{detail}` that is empty takes its parentheses with it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Status {
    /// What the gradebook's `status` column and the feedback page say.
    pub text: &'static str,
    /// What summary.md counts it under.
    pub group: &'static str,
}

const fn same(text: &'static str) -> Option<Status> {
    Some(Status { text, group: text })
}

impl Kind {
    /// Every kind, in the order above.
    pub const ALL: [Kind; 19] = [
        Kind::Ok,
        Kind::Wrong,
        Kind::Panicked,
        Kind::ReturnedError,
        Kind::Timeout,
        Kind::OutOfMemory,
        Kind::StackOverflow,
        Kind::Exited,
        Kind::Crashed,
        Kind::NotRun,
        Kind::CompileError,
        Kind::MissingCell,
        Kind::RefusedCell,
        Kind::UnreadableNotebook,
        Kind::ReportTooLong,
        Kind::ReportLeftOpen,
        Kind::MalformedReport,
        Kind::GraderError,
        Kind::NotGraded,
    ];

    /// The stable word: `ok`, `wrong`, `panicked`, `returned_error`, `timeout`,
    /// `out_of_memory`, `stack_overflow`, `exited`, `crashed`, `not_run`, `compile_error`,
    /// `missing_cell`, `refused_cell`, `unreadable_notebook`, `report_too_long`,
    /// `report_left_open`, `malformed_report`, `grader_error`, `not_graded`.
    pub fn word(self) -> &'static str {
        match self {
            Kind::Ok => "ok",
            Kind::Wrong => "wrong",
            Kind::Panicked => "panicked",
            Kind::ReturnedError => "returned_error",
            Kind::Timeout => "timeout",
            Kind::OutOfMemory => "out_of_memory",
            Kind::StackOverflow => "stack_overflow",
            Kind::Exited => "exited",
            Kind::Crashed => "crashed",
            Kind::NotRun => "not_run",
            Kind::CompileError => "compile_error",
            Kind::MissingCell => "missing_cell",
            Kind::RefusedCell => "refused_cell",
            Kind::UnreadableNotebook => "unreadable_notebook",
            Kind::ReportTooLong => "report_too_long",
            Kind::ReportLeftOpen => "report_left_open",
            Kind::MalformedReport => "malformed_report",
            Kind::GraderError => "grader_error",
            Kind::NotGraded => "not_graded",
        }
    }

    /// The status a teacher reads for this kind in `scope`; `None` when it needs none (a
    /// part that is right, wrong, panicked or returned an error was graded normally: its
    /// points and its message say the rest).
    pub fn status(self, scope: Scope) -> Option<Status> {
        use Scope::{Part, Student};
        match (self, scope) {
            (Kind::Ok | Kind::Wrong | Kind::Panicked | Kind::ReturnedError, _) => None,
            (Kind::Timeout, Part) => same("timed out in {function}"),
            (Kind::Timeout, Student) => {
                Some(Status { text: "timed out (whole student, {seconds} s)", group: "timed out" })
            }
            (Kind::OutOfMemory, _) => same("ran out of memory"),
            (Kind::StackOverflow, _) => same("stack overflow"),
            (Kind::Exited, Part) => same("process exited"),
            (Kind::Exited, Student) => {
                Some(Status { text: "process exited (status {status}); no report ({detail})", group: "process exited" })
            }
            (Kind::Crashed, Part) => same("crashed"),
            (Kind::Crashed, Student) => Some(Status {
                text: "killed by signal {signal}; no report ({detail})",
                group: "killed by signal {signal}; no report",
            }),
            (Kind::NotRun, _) => same("could not run"),
            (Kind::CompileError, Part) => same("compile error in {functions}"),
            (Kind::CompileError, Student) => same("compile error"),
            (Kind::MissingCell, _) => same("missing cell: {functions}"),
            (Kind::RefusedCell, _) => same("refused cell: {functions}"),
            (Kind::UnreadableNotebook, _) => {
                Some(Status { text: "unreadable notebook ({detail})", group: "unreadable notebook" })
            }
            (Kind::ReportTooLong, _) => same("the report was longer than {limit} MiB: counted for nothing"),
            (Kind::ReportLeftOpen, _) => {
                same("the report channel stayed open after the program ended: counted for nothing")
            }
            (Kind::MalformedReport, _) => same("the report was malformed: counted for nothing"),
            (Kind::GraderError, _) => Some(Status { text: "grader error ({detail})", group: "grader error" }),
            (Kind::NotGraded, _) => same("not graded: the class's program did not build"),
        }
    }

    /// Does a result of this kind stay valid for the same code under the same grader (so that
    /// the class grader may keep it in its cache)? Not when the grader itself failed.
    pub fn keeps(self) -> bool {
        !matches!(self, Kind::GraderError | Kind::NotGraded)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_distinct_snake_case_and_every_failure_has_a_status() {
        let words: std::collections::HashSet<&str> = Kind::ALL.iter().map(|k| k.word()).collect();
        assert_eq!(words.len(), Kind::ALL.len());
        for k in Kind::ALL {
            assert!(k.word().chars().all(|c| c.is_ascii_lowercase() || c == '_'), "{k:?}");
            let graded_normally = matches!(k, Kind::Ok | Kind::Wrong | Kind::Panicked | Kind::ReturnedError);
            for scope in [Scope::Part, Scope::Student] {
                assert_eq!(k.status(scope).is_none(), graded_normally, "{k:?} {scope:?}");
            }
        }
    }
}
