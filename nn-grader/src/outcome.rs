//! What running student code gives back: each call's value, error or panic ([`Call`]), or
//! why the calls as a whole gave nothing ([`Failure`]: a time-out, the memory limit, an exit,
//! a crash). Shared by the child process that runs them ([`crate::isolate`]), the bytes that
//! carry them back ([`crate::wire`]) and the scoring ([`crate::scoring`]); it needs none of them.

use std::time::Duration;

use crate::kind::Kind;

/// One call of a student function: `Ok(Ok(value))`, `Ok(Err(the error it returned))`,
/// or `Err(its panic message)`.
pub type Call<T> = Result<Result<T, String>, String>;

/// The student's calls on every case, or why they gave nothing.
pub type Calls<T> = Result<Vec<Call<T>>, Failure>;

/// Why student code gave no result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// It panicked (outside the calls that catch their own panics); the panic message.
    Panicked(String),
    /// Still running when the time limit passed (the child was killed).
    TimedOut(Duration),
    /// An allocation failed at the memory limit.
    OutOfMemory,
    /// The stack overflowed.
    StackOverflow,
    /// The process ended before sending a result (`std::process::exit`): its status.
    Exited(i32),
    /// The process was killed by a signal (an abort, a segmentation fault...).
    Crashed(i32),
    /// The child could not be started or its result not read.
    Broken(String),
}

impl Failure {
    /// What happened, as one of the stable kinds.
    pub fn kind(&self) -> Kind {
        match self {
            Failure::Panicked(_) => Kind::Panicked,
            Failure::TimedOut(_) => Kind::Timeout,
            Failure::OutOfMemory => Kind::OutOfMemory,
            Failure::StackOverflow => Kind::StackOverflow,
            Failure::Exited(_) => Kind::Exited,
            Failure::Crashed(_) => Kind::Crashed,
            Failure::Broken(_) => Kind::NotRun,
        }
    }

    /// The reason in a few words, for a part's feedback.
    pub fn message(&self, function: &str) -> String {
        match self {
            Failure::Panicked(raw) => format!("panicked: {raw}"),
            Failure::TimedOut(limit) => format!("timed out after {} in {function}", seconds(*limit)),
            Failure::OutOfMemory => "ran out of memory".into(),
            Failure::StackOverflow => "stack overflow (endless recursion?)".into(),
            Failure::Exited(status) => format!("the process exited: status {status} (std::process::exit?)"),
            Failure::Crashed(signal) => format!("the process crashed: {}", signal_name(*signal)),
            Failure::Broken(why) => format!("could not run {function}: {why}"),
        }
    }
}

/// "5 s", "0.5 s".
fn seconds(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s.fract() == 0.0 {
        format!("{s:.0} s")
    } else {
        format!("{s} s")
    }
}

fn signal_name(signal: i32) -> String {
    let name = match signal {
        4 => "SIGILL",
        6 => "SIGABRT (abort)",
        7 => "SIGBUS",
        8 => "SIGFPE",
        9 => "SIGKILL",
        11 => "SIGSEGV (segmentation fault)",
        13 => "SIGPIPE",
        15 => "SIGTERM",
        _ => return format!("signal {signal}"),
    };
    format!("signal {signal}, {name}")
}
