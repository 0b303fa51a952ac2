//! Grading a whole class: what `make grade` (scripts/grade_class.py) needs from Rust.
//!
//! The class grader writes one Cargo project for the class with two programs:
//!
//! - `class` (`src/main.rs`): the students' code. `src/students/<module>.rs` holds a
//!   student's three functions and a `values` function that runs them ([`values`]);
//!   `src/main.rs` hands a table of those to [`main`]. It only ever runs inside the sandbox:
//!
//!   ```text
//!   class values MODULE SEED --report-fd FD [--time-limit SECONDS] [--memory-limit MB]
//!   ```
//!
//!   runs the student's functions on the problems drawn from SEED (each part in a child
//!   process, as in the notebook) and writes their values, and nothing else, as one
//!   [`crate::wire::frame`] to descriptor FD.
//! - `grader` (`src/grader.rs`): no student code in it; runs outside the sandbox ([`grader_main`]):
//!
//!   ```text
//!   grader tables                  the parts, functions, kinds, mistakes and problems as JSON
//!   grader score SEED < FRAME      the report as JSON, scored from the values
//!   grader chart IN.tsv OUT.png    the class's bar chart
//!   ```
//!
//!   `score` draws the same problems from SEED, computes the library's answers itself and
//!   gives the points ([`score`]): whatever the student's program wrote, it can only have
//!   handed back values, and values for problems it could not know in advance.
//!
//! | file | what |
//! | --- | --- |
//! | `protocol.rs` | the problems of a seed, the values the sandbox hands back, their score, the JSON the class grader reads |
//! | `cli.rs` | the two programs' command lines |

mod cli;
mod protocol;

pub use cli::{grader_main, main, StudentEntry};
pub use protocol::{problems, report_json, score, score_frame, tables_json, values, FORMAT_VERSION, MESSAGE_KEPT};
