//! Grading a whole class: what `make grade` (scripts/grade_class.py) needs from Rust.
//!
//! The driver writes one Cargo project for the class with two programs:
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
//!   grader score SEED < FRAME      the report as JSON, scored from the values
//!   grader chart IN.tsv OUT.png    the class's bar chart
//!   grader catalogue               the mistakes as JSON
//!   ```
//!
//!   `score` draws the same problems from SEED, computes the library's answers itself and
//!   gives the points ([`score`]): whatever the student's program wrote, it can only have
//!   handed back values, and values for problems it could not know in advance.

use std::time::Duration;

use ab_glyph::{point, Font, FontRef, PxScale, ScaleFont};
use ndarray::Array2;

use crate::cases::{cost_cases_seeded, sigmoid_gradient_cases_seeded, Case};
use crate::outcome::{Calls, Failure};
use crate::scoring::{self, CostRuns};
use crate::wire::{self, Values};
use crate::{GradeOptions, GradeReport, Limits, Part, RandInitFn, SigmoidGradientFn, TwoLayerCost};

/// The version of the class format: part of every cache key (with the grader's sources).
pub const FORMAT_VERSION: u32 = 2;

/// How much of one message from the student's program (a panic, an error) is kept.
pub const MESSAGE_KEPT: usize = 2000;

/// One student of the generated project: the module name and its `values` function.
pub type StudentEntry = (&'static str, fn(u64, &GradeOptions) -> Values);

/// splitmix64: seeds for the problems, from the one the grader drew.
fn mix(seed: u64) -> u64 {
    let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The problems of a seed: the cost cases (the course's debug network and two random ones)
/// and the inputs of `sigmoid_gradient` (the course's and a random one).
pub fn problems(seed: u64) -> (Vec<Case>, Vec<Array2<f64>>) {
    (cost_cases_seeded(mix(seed), mix(seed ^ 1)), sigmoid_gradient_cases_seeded(Some(mix(seed ^ 2))))
}

/// The student's functions on the problems of `seed`, each part in a child process under
/// the options' limits (what `class values` hands back).
pub fn values(
    seed: u64,
    options: &GradeOptions,
    sigmoid_gradient: &SigmoidGradientFn<'_>,
    rand_initialize_weights: &RandInitFn<'_>,
    nn_cost_function: &TwoLayerCost<'_>,
) -> Values {
    let limits = Limits { time: options.time_limit, memory: options.memory_limit };
    let (cases, inputs) = problems(seed);
    // Long messages are cut here too, so that a 100 MiB panic message still makes a report
    // the grader takes (it cuts them again: this side is the student's).
    Values {
        lambda0: cut_all(scoring::run_cost(nn_cost_function, &cases, false, &limits)),
        regularized: cut_all(scoring::run_cost(nn_cost_function, &cases, true, &limits)),
        sigmoid: cut_all(scoring::run_sigmoid_gradient(sigmoid_gradient, &inputs, &limits)),
        init: cut_all(scoring::run_rand_initialize_weights(rand_initialize_weights, &limits)),
    }
}

/// `s` cut to at most `MESSAGE_KEPT` bytes (at a character boundary), saying so.
fn cut(s: &mut String) {
    if s.len() > MESSAGE_KEPT {
        let mut end = MESSAGE_KEPT;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        let dropped = s.len() - end;
        s.truncate(end);
        s.push_str(&format!("... ({dropped} more bytes cut)"));
    }
}

/// The calls as the grader takes them: long messages cut, and exactly `n` calls (a report
/// with more or fewer results than problems is not the grader's program's: it counts for nothing).
fn checked<T>(calls: Calls<T>, n: usize) -> Calls<T> {
    cut_all(match calls {
        Ok(c) if c.len() == n => Ok(c),
        Ok(c) => Err(Failure::Broken(format!("the report has {} results for {n} problems", c.len()))),
        Err(f) => Err(f),
    })
}

/// Every message of the calls cut to `MESSAGE_KEPT` bytes.
fn cut_all<T>(mut calls: Calls<T>) -> Calls<T> {
    match &mut calls {
        Ok(c) => {
            for call in c.iter_mut() {
                match call {
                    Ok(Err(s)) | Err(s) => cut(s),
                    Ok(Ok(_)) => {}
                }
            }
        }
        Err(Failure::Panicked(s) | Failure::Broken(s)) => cut(s),
        Err(_) => {}
    }
    calls
}

/// The grade from the student's values on the problems of `seed`: the answers compared with
/// the library's, computed here, part by part (the course's table and the initialization's check).
pub fn score(seed: u64, values: Values) -> GradeReport {
    let (cases, inputs) = problems(seed);
    let n = cases.len();
    let runs = CostRuns { cases, lambda0: checked(values.lambda0, n), regularized: checked(values.regularized, n) };
    let parts = vec![
        scoring::grade_cost_part(Part::FeedforwardCost, &runs),
        scoring::grade_cost_part(Part::RegularizedCost, &runs),
        scoring::score_sigmoid_gradient(&inputs, checked(values.sigmoid, inputs.len())),
        scoring::grade_gradient_part(Part::Backpropagation, &runs),
        scoring::grade_gradient_part(Part::RegularizedGradient, &runs),
    ];
    GradeReport { parts, init: Some(scoring::score_rand_initialize_weights(checked(values.init, 5))) }
}

/// The report of one whole frame; `Err` for anything that is not exactly one well-formed frame.
pub fn score_frame(seed: u64, bytes: &[u8]) -> Result<GradeReport, String> {
    let payload = wire::unframe(bytes).ok_or("the report is not one whole frame")?;
    let values: Values = wire::decode(payload).ok_or("the report's values could not be read")?;
    Ok(score(seed, values))
}

/// A JSON string literal.
pub fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The report as JSON: `{"total", "max", "table", "parts": [{"part", "score", "max",
/// "message", "mistake": null | {"id", "name", "description"}}], "init": null | {"passed", "message"}}`.
pub fn report_json(report: &GradeReport) -> String {
    let parts: Vec<String> = report
        .parts
        .iter()
        .map(|p| {
            let mistake = match p.mistake {
                Some(m) => format!(
                    "{{\"id\":{},\"name\":{},\"description\":{}}}",
                    json_string(&format!("{m:?}")),
                    json_string(m.name()),
                    json_string(m.description())
                ),
                None => "null".into(),
            };
            format!(
                "{{\"part\":{},\"function\":{},\"score\":{},\"max\":{},\"message\":{},\"mistake\":{}}}",
                json_string(p.part.name()),
                json_string(p.part.function()),
                p.score,
                p.max,
                json_string(&p.message),
                mistake
            )
        })
        .collect();
    let init = match &report.init {
        Some(i) => format!("{{\"passed\":{},\"message\":{}}}", i.passed, json_string(&i.message)),
        None => "null".into(),
    };
    format!(
        "{{\"total\":{},\"max\":{},\"table\":{},\"parts\":[{}],\"init\":{}}}",
        report.total(),
        report.max_total(),
        json_string(&report.to_string()),
        parts.join(","),
        init
    )
}

/// The catalogue of mistakes as JSON lines (`{"id", "name", "description", "affects"}`),
/// for the class summary's table of mistakes.
pub fn catalogue_json() -> String {
    let rows: Vec<String> = crate::Mistake::ALL
        .iter()
        .map(|m| {
            let affects: Vec<String> = m.entry().affects.iter().map(|p| json_string(p.name())).collect();
            format!(
                "{{\"id\":{},\"name\":{},\"description\":{},\"affects\":[{}]}}",
                json_string(&format!("{m:?}")),
                json_string(m.name()),
                json_string(m.description()),
                affects.join(",")
            )
        })
        .collect();
    format!("[{}]", rows.join(","))
}

/// The `class` program's `main` (inside the sandbox): `values` (see the module's docs).
/// Exit status 0 on success, 2 on bad arguments or an unknown student.
pub fn main(students: &[StudentEntry]) {
    let args: Vec<String> = std::env::args().skip(1).collect();
    exit_with(run_values(students, &args));
}

/// The `grader` program's `main` (outside the sandbox): `score`, `chart`, `catalogue`.
/// Exit status 0 on success, 2 on bad arguments, 3 on a malformed report.
pub fn grader_main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    exit_with(run_grader(&args));
}

fn exit_with(result: Result<(), String>) -> ! {
    let code = match result {
        Ok(()) => 0,
        Err(why) => {
            eprintln!("class: {why}");
            if why.starts_with("the report") {
                3
            } else {
                2
            }
        }
    };
    std::process::exit(code);
}

fn parse_seed(arg: Option<&String>) -> Result<u64, String> {
    arg.and_then(|s| s.parse().ok()).ok_or_else(|| "the seed must be a whole number".to_string())
}

fn run_values(students: &[StudentEntry], args: &[String]) -> Result<(), String> {
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
            _ => return Err(format!("unknown option {flag} or bad value")),
        }
    }
    let fd = fd.ok_or(USAGE)?;
    let values_of = students
        .iter()
        .find(|(name, _)| name == module)
        .map(|(_, f)| *f)
        .ok_or_else(|| format!("no student module {module}"))?;
    let bytes = wire::frame(&wire::encode(&values_of(seed, &options)));
    use std::io::Write;
    use std::os::fd::FromRawFd;
    // SAFETY: the descriptor the grader handed this process for its report; owned from here on.
    let mut out = unsafe { std::fs::File::from_raw_fd(fd) };
    out.write_all(&bytes).map_err(|e| format!("the report could not be written: {e}"))
}

fn run_grader(args: &[String]) -> Result<(), String> {
    match args.first().map(String::as_str) {
        Some("score") => {
            let seed = parse_seed(args.get(1))?;
            let mut bytes = Vec::new();
            use std::io::Read;
            std::io::stdin().read_to_end(&mut bytes).map_err(|e| format!("stdin: {e}"))?;
            let report = score_frame(seed, &bytes)?;
            println!("{}", report_json(&report));
            Ok(())
        }
        Some("chart") => {
            let (input, out) = match (args.get(1), args.get(2)) {
                (Some(i), Some(o)) => (i, o),
                _ => return Err("usage: chart IN.tsv OUT.png".into()),
            };
            let text = std::fs::read_to_string(input).map_err(|e| format!("{input}: {e}"))?;
            let mut title = String::new();
            let mut bars = Vec::new();
            for line in text.lines() {
                let f: Vec<&str> = line.split('\t').collect();
                match f.as_slice() {
                    ["title", t] => title = t.to_string(),
                    [label, count, of, kind] => bars.push(Bar {
                        label: label.to_string(),
                        count: count.parse().map_err(|_| format!("bad count in {line:?}"))?,
                        of: of.parse().map_err(|_| format!("bad total in {line:?}"))?,
                        kind: if *kind == "mistake" { BarKind::Mistake } else { BarKind::Part },
                    }),
                    _ => return Err(format!("bad chart line {line:?}")),
                }
            }
            write_file(out, &bar_chart_png(&title, &bars)?)
        }
        Some("catalogue") => {
            println!("{}", catalogue_json());
            Ok(())
        }
        _ => Err("usage: score SEED < FRAME | chart IN.tsv OUT.png | catalogue".into()),
    }
}

fn write_file(path: &str, bytes: &[u8]) -> Result<(), String> {
    nn_core::io::write_atomic(std::path::Path::new(path), bytes).map_err(|e| format!("{path}: {e}"))
}

/// A bar of the class chart.
#[derive(Clone, Debug, PartialEq)]
pub struct Bar {
    /// The part's or the mistake's name.
    pub label: String,
    /// How many students earned the part, or made the mistake.
    pub count: usize,
    /// Out of how many students.
    pub of: usize,
    /// Green (a part earned) or red (a mistake).
    pub kind: BarKind,
}

/// What a bar counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BarKind {
    /// Students who earned a part.
    Part,
    /// Students who made a mistake.
    Mistake,
}

// The kit's embedded font (DejaVu Sans subset), the one nn_core::viz draws with.
static FONT_BYTES: &[u8] = include_bytes!("../../nn-core/src/viz/font/DejaVuSans-subset.ttf");

type Rgb = [u8; 3];

struct Canvas<'f> {
    font: FontRef<'f>,
    w: usize,
    h: usize,
    px: Vec<u8>,
}

impl<'f> Canvas<'f> {
    fn new(font: FontRef<'f>, w: usize, h: usize) -> Canvas<'f> {
        Canvas { font, w, h, px: vec![255; w * h * 3] }
    }
    fn blend(&mut self, x: i64, y: i64, c: Rgb, alpha: f32) {
        if x < 0 || y < 0 || x as usize >= self.w || y as usize >= self.h {
            return;
        }
        let i = (y as usize * self.w + x as usize) * 3;
        let a = alpha.clamp(0.0, 1.0);
        for (p, &ck) in self.px[i..i + 3].iter_mut().zip(&c) {
            *p = (*p as f32 * (1.0 - a) + ck as f32 * a).round() as u8;
        }
    }
    fn fill_rect(&mut self, x: usize, y: usize, w: usize, h: usize, c: Rgb) {
        for yy in y..(y + h).min(self.h) {
            for xx in x..(x + w).min(self.w) {
                self.blend(xx as i64, yy as i64, c, 1.0);
            }
        }
    }
    /// Text with its baseline at `baseline`; `right`: `x` is its right end. Returns the width.
    fn text(&mut self, text: &str, x: f32, baseline: f32, size: f32, c: Rgb, right: bool) -> f32 {
        let font = self.font.clone();
        let scaled = font.as_scaled(PxScale::from(size));
        let width: f32 = text.chars().map(|ch| scaled.h_advance(font.glyph_id(ch))).sum();
        let mut caret = if right { x - width } else { x };
        for ch in text.chars() {
            let id = font.glyph_id(ch);
            let glyph = id.with_scale_and_position(PxScale::from(size), point(caret, baseline));
            if let Some(outlined) = font.outline_glyph(glyph) {
                let b = outlined.px_bounds();
                outlined.draw(|gx, gy, cov| self.blend(b.min.x as i64 + gx as i64, b.min.y as i64 + gy as i64, c, cov));
            }
            caret += scaled.h_advance(id);
        }
        width
    }
}

/// The class chart: one horizontal bar per line, its length the share of the class,
/// labelled `count / of`; parts in green, mistakes in red. PNG bytes.
pub fn bar_chart_png(title: &str, bars: &[Bar]) -> Result<Vec<u8>, String> {
    let font = FontRef::try_from_slice(FONT_BYTES).map_err(|e| format!("font: {e}"))?;
    let (label_w, bar_w, row_h, top) = (330usize, 420usize, 26usize, 56usize);
    let sections = bars.windows(2).filter(|w| w[0].kind != w[1].kind).count();
    let width = label_w + bar_w + 90;
    let height = top + bars.len() * row_h + sections * 16 + 20;
    let mut c = Canvas::new(font.clone(), width, height);
    let text = [30, 30, 30];
    c.text(title, 16.0, 30.0, 18.0, text, false);
    // Gridlines at 0, 25, 50, 75, 100 %.
    let grid_bottom = height - 14;
    for q in 0..=4 {
        let x = label_w + bar_w * q / 4;
        c.fill_rect(x, top - 8, 1, grid_bottom - (top - 8), [225, 225, 225]);
        c.text(&format!("{}%", q * 25), x as f32 - 10.0, (top - 12) as f32, 11.0, [110, 110, 110], false);
    }
    let mut y = top;
    for (i, bar) in bars.iter().enumerate() {
        if i > 0 && bars[i - 1].kind != bar.kind {
            y += 16;
        }
        let color: Rgb = match bar.kind {
            BarKind::Part => [44, 160, 44],
            BarKind::Mistake => [214, 39, 40],
        };
        let len = (bar_w * bar.count.min(bar.of)).checked_div(bar.of).unwrap_or(0);
        c.fill_rect(label_w, y + 4, len.max(1), row_h - 8, color);
        let mut size = 13.0;
        let max_label = (label_w - 16) as f32;
        while size > 8.0
            && font.as_scaled(PxScale::from(size)).h_advance(font.glyph_id('n')) * bar.label.len() as f32
                > max_label * 1.05
        {
            size -= 0.5;
        }
        c.text(&bar.label, (label_w - 8) as f32, (y + row_h - 8) as f32, size, text, true);
        c.text(
            &format!("{} / {}", bar.count, bar.of),
            (label_w + len + 6) as f32,
            (y + row_h - 8) as f32,
            12.0,
            text,
            false,
        );
        y += row_h;
    }
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, c.w as u32, c.h as u32);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut writer = enc.write_header().map_err(|e| format!("PNG: {e}"))?;
        writer.write_image_data(&c.px).map_err(|e| format!("PNG: {e}"))?;
        writer.finish().map_err(|e| format!("PNG: {e}"))?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_strings_are_escaped() {
        assert_eq!(json_string("a\"b\\c\n\u{1}é"), "\"a\\\"b\\\\c\\n\\u0001é\"");
    }

    fn reference_values(seed: u64) -> Values {
        let options = GradeOptions::default();
        let init = |l_in: usize, l_out: usize, eps: f64, rng: &mut ndarray_rand::rand::rngs::StdRng| {
            use ndarray_rand::rand::Rng;
            Array2::from_shape_fn((l_out, 1 + l_in), |_| rng.random_range(-eps..=eps))
        };
        let sg = |z: &Array2<f64>| nn_core::sigmoid_gradient(z);
        values(seed, &options, &sg, &init, &nn_core::nn_cost_function)
    }

    #[test]
    fn values_from_a_frame_score_like_the_grader_and_a_forged_frame_scores_nothing() {
        let seed = 12345;
        let bytes = wire::frame(&wire::encode(&reference_values(seed)));
        let report = score_frame(seed, &bytes).unwrap();
        assert_eq!(report.total(), 100, "{report}");
        assert!(report.init.as_ref().unwrap().passed);
        // The same values for another seed's problems: the random networks' answers are wrong.
        let other = score_frame(seed + 1, &bytes).unwrap();
        assert!(other.total() < 100, "{other}");
        // No frame, two frames, a cut frame: no report at all.
        assert!(score_frame(seed, b"").is_err());
        assert!(score_frame(seed, &[bytes.clone(), bytes.clone()].concat()).is_err());
        assert!(score_frame(seed, &bytes[..bytes.len() - 3]).is_err());
    }

    #[test]
    fn a_report_with_missing_results_gets_nothing_for_them() {
        let seed = 7;
        let mut v = reference_values(seed);
        v.lambda0 = Ok(Vec::new());
        v.sigmoid = v.sigmoid.map(|mut c| {
            c.pop();
            c
        });
        v.init = Ok(Vec::new());
        let report = score(seed, v);
        let by: Vec<u32> = report.parts.iter().map(|p| p.score).collect();
        assert_eq!(by, [0, 15, 0, 0, 10], "{report}");
        assert!(report.parts[0].message.contains("0 results for 3 problems"), "{}", report.parts[0].message);
        assert!(!report.init.unwrap().passed);
    }

    #[test]
    fn long_messages_are_cut() {
        let mut s = "é".repeat(MESSAGE_KEPT);
        cut(&mut s);
        assert!(s.len() < MESSAGE_KEPT + 40 && s.ends_with("more bytes cut)"), "{}", s.len());
    }

    #[test]
    fn a_chart_is_a_png() {
        let bars = [
            Bar { label: "Feedforward and cost".into(), count: 3, of: 4, kind: BarKind::Part },
            Bar { label: "sigmoid sign".into(), count: 1, of: 4, kind: BarKind::Mistake },
        ];
        let png = bar_chart_png("Class", &bars).unwrap();
        assert_eq!(&png[1..4], b"PNG");
    }
}
