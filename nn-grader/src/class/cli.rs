//! The command lines of the class's two programs (see the [module](super)'s docs): `class`,
//! inside the sandbox, and `grader`, outside it.

use std::io::{Read, Write};
use std::time::Duration;

use nn_core::viz::{share_chart, ShareBar, Tone};

use super::protocol::{report_json, score_frame, tables_json};
use crate::wire::{self, Values};
use crate::GradeOptions;

/// One student of the generated project: the module name and its `values` function.
pub type StudentEntry = (&'static str, fn(u64, &GradeOptions) -> Values);

/// Why a program stops: bad arguments or input (exit status 2), or a report that is not the
/// student's program's (3: it counts for nothing).
enum Stop {
    Usage(String),
    Malformed(String),
}

impl From<String> for Stop {
    fn from(why: String) -> Stop {
        Stop::Usage(why)
    }
}

impl From<&str> for Stop {
    fn from(why: &str) -> Stop {
        Stop::Usage(why.into())
    }
}

/// The `class` program's `main` (inside the sandbox): `values` (see the module's docs).
/// Exit status 0 on success, 2 on bad arguments or an unknown student.
pub fn main(students: &[StudentEntry]) {
    let args: Vec<String> = std::env::args().skip(1).collect();
    exit_with(run_values(students, &args));
}

/// The `grader` program's `main` (outside the sandbox): `tables`, `score`, `chart`.
/// Exit status 0 on success, 2 on bad arguments, 3 on a malformed report.
pub fn grader_main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    exit_with(run_grader(&args));
}

fn exit_with(result: Result<(), Stop>) -> ! {
    let code = match result {
        Ok(()) => 0,
        Err(Stop::Usage(why)) => {
            eprintln!("class: {why}");
            2
        }
        Err(Stop::Malformed(why)) => {
            eprintln!("class: {why}");
            3
        }
    };
    std::process::exit(code);
}

fn parse_seed(arg: Option<&String>) -> Result<u64, Stop> {
    arg.and_then(|s| s.parse().ok()).ok_or_else(|| "the seed must be a whole number".into())
}

fn run_values(students: &[StudentEntry], args: &[String]) -> Result<(), Stop> {
    const USAGE: &str = "usage: values MODULE SEED --report-fd FD [--time-limit S] [--memory-limit MB]";
    if args.first().map(String::as_str) != Some("values") {
        return Err(USAGE.into());
    }
    let module = args.get(1).ok_or(USAGE)?;
    let seed = parse_seed(args.get(2))?;
    let mut options = GradeOptions::default();
    let mut fd = None;
    let mut rest = args[3.min(args.len())..].iter();
    while let Some(flag) = rest.next() {
        let value: f64 = rest
            .next()
            .and_then(|v| v.parse().ok())
            .filter(|v: &f64| v.is_finite() && *v >= 0.0)
            .ok_or_else(|| format!("{flag} needs a number"))?;
        match flag.as_str() {
            "--time-limit" if value > 0.0 => options.time_limit = Duration::from_secs_f64(value),
            "--memory-limit" if value > 0.0 => options.memory_limit = (value * 1024.0 * 1024.0) as u64,
            "--report-fd" => fd = Some(value as i32),
            _ => return Err(format!("unknown option {flag} or bad value").into()),
        }
    }
    let fd = fd.ok_or(USAGE)?;
    let values_of = students
        .iter()
        .find(|(name, _)| name == module)
        .map(|(_, f)| *f)
        .ok_or_else(|| format!("no student module {module}"))?;
    let bytes = wire::frame(&wire::encode(&values_of(seed, &options)));
    use std::os::fd::FromRawFd;
    // SAFETY: the descriptor the grader handed this process for its report; owned from here on.
    let mut out = unsafe { std::fs::File::from_raw_fd(fd) };
    out.write_all(&bytes).map_err(|e| format!("the report could not be written: {e}").into())
}

fn run_grader(args: &[String]) -> Result<(), Stop> {
    match args.first().map(String::as_str) {
        Some("tables") => {
            println!("{}", tables_json());
            Ok(())
        }
        Some("score") => {
            let seed = parse_seed(args.get(1))?;
            let mut bytes = Vec::new();
            std::io::stdin().read_to_end(&mut bytes).map_err(|e| format!("stdin: {e}"))?;
            let report = score_frame(seed, &bytes).map_err(Stop::Malformed)?;
            println!("{}", report_json(&report));
            Ok(())
        }
        Some("chart") => {
            let (input, out) = match (args.get(1), args.get(2)) {
                (Some(i), Some(o)) => (i, o),
                _ => return Err("usage: chart IN.tsv OUT.png".into()),
            };
            let text = std::fs::read_to_string(input).map_err(|e| format!("{input}: {e}"))?;
            let (title, bars) = chart_input(&text)?;
            let figure = share_chart(&title, &bars).map_err(|e| format!("{input}: {e}"))?;
            figure.save_png(out).map_err(|e| format!("{out}: {e}").into())
        }
        _ => Err("usage: tables | score SEED < FRAME | chart IN.tsv OUT.png".into()),
    }
}

/// The chart's title and bars from its TSV: a line `title<TAB>TEXT`, and one line
/// `LABEL<TAB>COUNT<TAB>OF<TAB>part|mistake` per bar.
fn chart_input(text: &str) -> Result<(String, Vec<ShareBar>), Stop> {
    let mut title = String::new();
    let mut bars = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let f: Vec<&str> = line.split('\t').collect();
        let number = |s: &str, what: &str| s.parse().map_err(|_| format!("line {}: bad {what} in {line:?}", n + 1));
        match f.as_slice() {
            ["title", t] => title = t.to_string(),
            [label, count, of, kind @ ("part" | "mistake")] => bars.push(ShareBar {
                label: label.to_string(),
                count: number(count, "count")?,
                of: number(of, "total")?,
                tone: if *kind == "part" { Tone::Good } else { Tone::Bad },
            }),
            _ => return Err(format!("line {}: bad chart line {line:?}", n + 1).into()),
        }
    }
    Ok((title, bars))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chart_lines_are_read_or_named_when_bad() {
        let (title, bars) =
            chart_input("title\tClass\nBackpropagation (40)\t3\t4\tpart\nsigmoid sign\t1\t4\tmistake\n")
                .unwrap_or_else(|_| panic!("valid input"));
        assert_eq!(title, "Class");
        assert_eq!(bars.len(), 2);
        assert_eq!((bars[0].count, bars[0].of, bars[0].tone), (3, 4, Tone::Good));
        assert_eq!(bars[1].tone, Tone::Bad);
        for (bad, says) in
            [("a\tx\t4\tpart", "line 1: bad count"), ("title\tA\na\t1\t4\tbar", "line 2: bad chart line")]
        {
            match chart_input(bad) {
                Err(Stop::Usage(why)) => assert!(why.starts_with(says), "{why}"),
                _ => panic!("{bad:?} accepted"),
            }
        }
    }
}
