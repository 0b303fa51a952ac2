//! Grading a whole class: what `make grade` (tools/grade_class.py) needs from Rust.
//!
//! The driver writes one Cargo project for the class: `src/students/<module>.rs` holds a
//! student's three functions and a `grade` function that calls [`GradeOptions::grade`]
//! on them; `src/main.rs` hands a table of those to [`main`]. The binary then runs as
//!
//! ```text
//! class grade-one MODULE OUT.json [--time-limit SECONDS] [--memory-limit MB]
//! class chart IN.tsv OUT.png
//! ```
//!
//! `grade-one` grades one student (each part in a child process, as in the notebook) and
//! writes the report as JSON ([`report_json`]); `chart` draws the class's bar chart
//! ([`bar_chart_png`]) from lines `label<TAB>count<TAB>of<TAB>kind`.

use std::time::Duration;

use ab_glyph::{point, Font, FontRef, PxScale, ScaleFont};

use crate::{GradeOptions, GradeReport};

/// The version of the class format: part of every cache key (with the grader's sources).
pub const FORMAT_VERSION: u32 = 1;

/// One student of the generated project: the module name and its grading function.
pub type StudentEntry = (&'static str, fn(&GradeOptions) -> GradeReport);

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

/// The class binary's `main`: `grade-one`, `chart`, `catalogue` (see the module's docs).
/// Exit status 0 on success, 2 on bad arguments or an unknown student.
pub fn main(students: &[StudentEntry]) {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let code = match run(students, &args) {
        Ok(()) => 0,
        Err(why) => {
            eprintln!("class: {why}");
            2
        }
    };
    std::process::exit(code);
}

fn run(students: &[StudentEntry], args: &[String]) -> Result<(), String> {
    match args.first().map(String::as_str) {
        Some("grade-one") => {
            let (module, out) = match (args.get(1), args.get(2)) {
                (Some(m), Some(o)) => (m, o),
                _ => return Err("usage: grade-one MODULE OUT.json [--time-limit S] [--memory-limit MB]".into()),
            };
            let mut options = GradeOptions::default();
            let mut rest = args[3..].iter();
            while let Some(flag) = rest.next() {
                let value: f64 = rest
                    .next()
                    .and_then(|v| v.parse().ok())
                    .filter(|v: &f64| v.is_finite() && *v > 0.0)
                    .ok_or_else(|| format!("{flag} needs a positive number"))?;
                match flag.as_str() {
                    "--time-limit" => options.time_limit = Duration::from_secs_f64(value),
                    "--memory-limit" => options.memory_limit = (value * 1024.0 * 1024.0) as u64,
                    _ => return Err(format!("unknown option {flag}")),
                }
            }
            let grade = students
                .iter()
                .find(|(name, _)| name == module)
                .map(|(_, f)| *f)
                .ok_or_else(|| format!("no student module {module}"))?;
            let json = report_json(&grade(&options));
            write_file(out, json.as_bytes())
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
        _ => Err("usage: grade-one MODULE OUT.json | chart IN.tsv OUT.png | catalogue".into()),
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
