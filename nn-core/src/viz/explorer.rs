//! [`Explorer`]: a slider (and a play button) over pre-rendered frames, as one
//! self-contained piece of HTML, with a static PNG for viewers without JavaScript.
//!
//! evcxr has no widgets: a cell shows what it printed when it ends. So every frame is
//! drawn in advance (small PNGs as base64 data URIs, the numbers as HTML text) and a few
//! lines of inline JavaScript show one frame at a time. No CDN, no network, no state
//! kept in the kernel. The display carries `text/html` and, in the same output,
//! `image/png` (the static panel). The HTML carries that panel too: it shows, with a note,
//! until the script replaces it by the slider (the frames sit in a `hidden` block the
//! script reveals), so a front end that runs no script (an untrusted notebook, a viewer
//! without JavaScript) shows the static panel of all frames, never a dead slider.

use std::fmt;
use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use base64::Engine as _;

use super::canvas::{line_height, text_width, Align, Canvas, Rgb, PALETTE, TEXT, WHITE};
use super::cost_chart::{curve_canvas, Curve};
use super::figure::Figure;
use super::frames::{check_frame_count, even_picks, fmt_cost, training_frames};
use super::images::{fmt_scale, gray_legend, shared_scale, units_canvas};
use super::{fmt_lambda, fmt_percent};
use crate::error::{NnError, Result};
use crate::io::write_atomic;
use crate::lecture::Dataset;
use crate::train::{LambdaStudy, Trained};

/// How many times larger than its pixels a hidden-units grid is shown in the explorer.
const UNITS_ZOOM: usize = 3;
/// Size of each frame's cost chart, in pixels: with the units (318 px) and the gap, a frame
/// is 756 px wide, inside the 800 px a notebook's output area has on a 900 px wide page.
const CURVE_W: u32 = 420;
const CURVE_H: u32 = 290;
/// Light gray for the curves that are not the frame's own.
const GHOST: Rgb = [200, 200, 200];

/// A slider over pre-rendered frames: HTML with inline JavaScript, and a static PNG.
///
/// In an evcxr notebook an `Explorer` as the last expression of a cell displays itself
/// (`text/html` and `image/png` in one output). Elsewhere save it with
/// [`Explorer::save_html`] and open the file in a browser.
#[derive(Clone)]
pub struct Explorer {
    title: String,
    html: String,
    fallback: Figure,
    frames: usize,
}

impl fmt::Debug for Explorer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Explorer")
            .field("title", &self.title)
            .field("frames", &self.frames)
            .field("html_bytes", &self.html.len())
            .field("fallback", &self.fallback)
            .finish()
    }
}

impl Explorer {
    /// The HTML fragment (a `<div>` with its style and script), as a notebook shows it.
    pub fn html(&self) -> &str {
        &self.html
    }

    /// The static picture shown where the HTML's script cannot run.
    pub fn fallback(&self) -> &Figure {
        &self.fallback
    }

    /// Number of frames the slider steps through.
    pub fn frame_count(&self) -> usize {
        self.frames
    }

    /// The title shown above the slider.
    pub fn title(&self) -> &str {
        &self.title
    }

    /// A whole HTML page around [`Explorer::html`], to open in a browser.
    pub fn page(&self) -> String {
        format!(
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n</head>\n<body>\n{}\n</body>\n</html>\n",
            escape(&self.title),
            self.html
        )
    }

    /// Writes [`Explorer::page`] to `path` (atomically).
    pub fn save_html(&self, path: impl AsRef<Path>) -> Result<()> {
        write_atomic(path.as_ref(), self.page().as_bytes())
    }

    /// What evcxr reads from standard output: a `text/html` block (the explorer) and an
    /// `image/png` block (the static panel), each between `EVCXR_BEGIN_CONTENT <mime>` and
    /// `EVCXR_END_CONTENT`.
    pub fn evcxr_content(&self) -> String {
        format!("EVCXR_BEGIN_CONTENT text/html\n{}\nEVCXR_END_CONTENT\n{}", self.html, self.fallback.evcxr_content())
    }

    /// Called by evcxr when an `Explorer` is the value of a cell.
    pub fn evcxr_display(&self) {
        let stdout = std::io::stdout();
        let mut lock = stdout.lock();
        let _ = writeln!(lock, "{}", self.evcxr_content());
        let _ = lock.flush();
    }
}

/// One frame: the slider's label, a hidden-units picture, a cost chart, a table of numbers.
pub(crate) struct Frame {
    pub label: String,
    pub units: Canvas,
    pub curve: Canvas,
    pub rows: Vec<(String, String)>,
}

fn png_uri(c: &Canvas) -> Result<String> {
    let fig = Figure::from_canvas_compact(c)?;
    Ok(format!("data:image/png;base64,{}", base64::engine::general_purpose::STANDARD.encode(fig.png_bytes())))
}

/// Text for HTML content and attribute values.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// A fresh element id: FNV-1a of the content, a per-process counter and the clock, so two
/// explorers on one page (the same one shown twice, or outputs saved by an earlier kernel)
/// never share an id.
fn element_id(seed: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64);
    let mut h: u64 = 0xcbf29ce484222325;
    let extra = COUNTER.fetch_add(1, Ordering::Relaxed).to_le_bytes().into_iter().chain(now.to_le_bytes());
    for b in seed.bytes().chain(extra) {
        h ^= b as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    format!("nnx-{h:016x}")
}

/// The slider page: `frames` (at least one) with the gray-scale legend under the units.
pub(crate) fn build(title: &str, note: &str, scale: f64, frames: &[Frame], fallback: Figure) -> Result<Explorer> {
    if frames.is_empty() {
        return Err(NnError::InvalidArgument { name: "frames", reason: "no frames to show".into() });
    }
    let n = frames.len();
    let mut body = String::new();
    for (i, f) in frames.iter().enumerate() {
        let (uw, uh) = (f.units.w * UNITS_ZOOM, f.units.h * UNITS_ZOOM);
        body.push_str(&format!(
            "<div class=\"nnx-frame{}\" data-index=\"{i}\" data-label=\"{}\">\n<div class=\"nnx-left\"><img class=\"nnx-units\" width=\"{uw}\" height=\"{uh}\" alt=\"hidden units, {}\" src=\"{}\">\n<div class=\"nnx-ramp\"></div><div class=\"nnx-ramp-labels\"><span>−{s}</span><span>0</span><span>+{s}</span></div><div class=\"nnx-ramp-note\">weight of each pixel (one gray scale for every frame)</div></div>\n<div class=\"nnx-right\"><img class=\"nnx-curve\" width=\"{}\" height=\"{}\" alt=\"objective, {}\" src=\"{}\">\n<table>",
            if i == 0 { " nnx-on" } else { "" },
            escape(&f.label),
            escape(&f.label),
            png_uri(&f.units)?,
            f.curve.w,
            f.curve.h,
            escape(&f.label),
            png_uri(&f.curve)?,
            s = escape(&fmt_scale(scale)),
        ));
        for (k, v) in &f.rows {
            body.push_str(&format!("<tr><td>{}</td><td><b>{}</b></td></tr>", escape(k), escape(v)));
        }
        body.push_str("</table></div>\n</div>\n");
    }
    let id = element_id(&format!("{title}{n}{}", body.len()));
    let fallback_uri =
        format!("data:image/png;base64,{}", base64::engine::general_purpose::STANDARD.encode(fallback.png_bytes()));
    let labels: Vec<String> = frames.iter().map(|f| format!("\"{}\"", js_string(&f.label))).collect();
    let html = format!(
        r#"<div id="{id}" class="nnx-explorer" data-frames="{n}">
<style>
#{id}{{font-family:"DejaVu Sans",Verdana,Arial,sans-serif;font-size:14px;color:#1e1e1e;max-width:800px;line-height:1.35}}
#{id} .nnx-title{{font-weight:bold;font-size:16px;margin:4px 0 2px 0}}
#{id} .nnx-note{{color:#5a5a5a;font-size:13px;margin:0 0 4px 0}}
#{id} .nnx-controls{{display:flex;align-items:center;gap:12px;margin:6px 0 8px 0}}
#{id} .nnx-controls input{{width:380px}}
#{id} .nnx-controls button{{min-width:84px;font-size:14px;padding:2px 8px;cursor:pointer}}
#{id} .nnx-label{{font-weight:bold;min-width:160px}}
#{id} .nnx-nojs{{color:#a05000;font-size:13px;margin:0 0 6px 0}}
#{id} .nnx-frame{{display:none;gap:18px;align-items:flex-start;flex-wrap:wrap}}
#{id} .nnx-static img{{max-width:100%;height:auto;display:block}}
#{id} .nnx-right img{{max-width:100%;height:auto}}
#{id} .nnx-frame.nnx-on{{display:flex}}
#{id} .nnx-units{{image-rendering:pixelated;image-rendering:crisp-edges;display:block}}
#{id} .nnx-left{{width:{uw}px}}
#{id} .nnx-ramp{{height:10px;margin-top:6px;border:1px solid #777;background:linear-gradient(to right,#000,#fff)}}
#{id} .nnx-ramp-labels{{display:flex;justify-content:space-between;font-size:12px}}
#{id} .nnx-ramp-note{{font-size:12px;color:#5a5a5a;text-align:center}}
#{id} table{{border-collapse:collapse;margin-top:4px}}
#{id} td{{padding:1px 14px 1px 0;font-size:14px}}
</style>
<div class="nnx-title">{title}</div>
<div class="nnx-note">{note}</div>
<div class="nnx-static"><div class="nnx-nojs">The slider needs JavaScript (in Jupyter: File → Trust Notebook); here are all the frames at once.</div><img alt="all frames: {title}" width="{fw}" height="{fh}" src="{fallback_uri}"></div>
<div class="nnx-live" hidden>
<div class="nnx-controls"><button type="button" class="nnx-play" title="play the frames in turn">▶ play</button><input type="range" class="nnx-slider" min="0" max="{max}" step="1" value="0" aria-label="frame"><span class="nnx-label">{label0}</span></div>
{body}</div>
<script>
(function () {{
  var root = document.getElementById("{id}");
  if (!root) return;
  var labels = [{labels}];
  var frames = root.querySelectorAll(".nnx-frame");
  var slider = root.querySelector(".nnx-slider");
  var label = root.querySelector(".nnx-label");
  var play = root.querySelector(".nnx-play");
  var still = root.querySelector(".nnx-static");
  var live = root.querySelector(".nnx-live");
  var timer = null;
  // With JavaScript the slider replaces the static panel of all frames.
  if (still) still.style.display = "none";
  if (live) live.hidden = false;
  function show(i) {{
    i = Math.max(0, Math.min(frames.length - 1, i | 0));
    for (var k = 0; k < frames.length; k++) frames[k].classList.toggle("nnx-on", k === i);
    slider.value = String(i);
    label.textContent = labels[i];
    root.setAttribute("data-current", String(i));
  }}
  function stop() {{
    if (timer !== null) {{ clearInterval(timer); timer = null; }}
    play.textContent = "▶ play";
  }}
  slider.addEventListener("input", function () {{ stop(); show(parseInt(slider.value, 10)); }});
  play.addEventListener("click", function () {{
    if (timer !== null) {{ stop(); return; }}
    var i = parseInt(slider.value, 10);
    if (i >= frames.length - 1) show(0);
    play.textContent = "❚❚ pause";
    timer = setInterval(function () {{
      var j = parseInt(slider.value, 10) + 1;
      if (j >= frames.length) {{ stop(); return; }}
      show(j);
      if (j >= frames.length - 1) stop();
    }}, {interval});
  }});
  show(0);
}})();
</script>
</div>"#,
        title = escape(title),
        note = escape(note),
        max = n - 1,
        label0 = escape(&frames[0].label),
        uw = frames[0].units.w * UNITS_ZOOM,
        labels = labels.join(","),
        interval = if n > 12 { 450 } else { 900 },
        fw = fallback.width(),
        fh = fallback.height(),
    );
    Ok(Explorer { title: title.to_string(), html, fallback, frames: n })
}

/// A string literal's contents for inline JavaScript (also safe inside `<script>`).
fn js_string(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '\n' => out.push_str("\\n"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// One cell of a static panel: a units grid (already enlarged) and caption lines.
pub(crate) struct PanelCell {
    pub units: Canvas,
    pub caption: Vec<(String, f32, Rgb)>,
}

/// The static picture: a title, the cells in rows of at most `per_row`, the gray legend,
/// then `chart` centred below.
pub(crate) fn static_panel(
    title: &str,
    cells: &[PanelCell],
    per_row: usize,
    scale: f64,
    chart: &Canvas,
) -> Result<Figure> {
    let margin = 6usize;
    let per_row = per_row.clamp(1, cells.len().max(1));
    let cell_w = cells
        .iter()
        .map(|c| c.units.w)
        .chain(cells.iter().flat_map(|c| c.caption.iter().map(|(t, s, _)| text_width(t, *s).ceil() as usize)))
        .max()
        .unwrap_or(0)
        + 2 * margin;
    let caption_h =
        cells.iter().map(|c| c.caption.iter().map(|(_, s, _)| line_height(*s)).sum::<f32>()).fold(0.0, f32::max);
    let units_h = cells.iter().map(|c| c.units.h).max().unwrap_or(0);
    let cell_h = units_h + 6 + caption_h.ceil() as usize + margin;
    let rows = cells.len().div_ceil(per_row);
    let title_size = 17.0f32;
    let title_h = (line_height(title_size) + 14.0).ceil() as usize;
    let legend = gray_legend(scale, 360);
    let width =
        (cell_w * per_row).max(chart.w + 2 * margin).max(text_width(title, title_size).ceil() as usize + 2 * margin);
    let height = title_h + rows * cell_h + legend.h + 10 + chart.h + margin;
    let mut canvas = Canvas::new(width, height, WHITE);
    canvas.text(title, width as f32 / 2.0, 8.0, title_size, TEXT, Align::Center);
    for (k, c) in cells.iter().enumerate() {
        let (i, j) = (k / per_row, k % per_row);
        let in_row = (cells.len() - i * per_row).min(per_row);
        let x0 = (width - in_row * cell_w) / 2 + j * cell_w;
        let y0 = title_h + i * cell_h;
        canvas.blit(&c.units, (x0 + (cell_w - c.units.w) / 2) as i64, y0 as i64);
        let mut y = (y0 + c.units.h + 6) as f32;
        for (t, s, col) in &c.caption {
            canvas.text(t, (x0 + cell_w / 2) as f32, y, *s, *col, Align::Center);
            y += line_height(*s);
        }
    }
    let ly = title_h + rows * cell_h;
    canvas.blit(&legend, ((width - legend.w) / 2) as i64, ly as i64);
    canvas.blit(chart, ((width - chart.w) / 2) as i64, (ly + legend.h + 10) as i64);
    Figure::from_canvas_compact(&canvas)
}

/// The lambda study as a slider: one frame per lambda with its hidden units (ONE gray
/// scale for every lambda, so the weights visibly shrink as lambda grows), its cost
/// curve (the other lambdas' in light gray), and its training and held-out accuracy and
/// unregularized cost J. The PNG fallback shows every lambda's units side by side with
/// all the cost curves.
///
/// ```
/// use nn_core::prelude::*;
/// let x = ndarray::Array2::from_shape_fn((20, 4), |(i, j)| ((i * 3 + j) % 5) as f64);
/// let data = Dataset::new(x, ndarray::Array1::from_shape_fn(20, |i| 1 + i % 2), 2).unwrap();
/// let study = compare_lambdas(&TrainConfig::new(&[4, 4, 2]).iterations(5), &data, &data, &[0.0, 1.0]).unwrap();
/// let explorer = viz::lambda_explorer(&study).unwrap();
/// assert_eq!(explorer.frame_count(), 2);
/// assert!(explorer.html().contains("<input type=\"range\""));
/// // In a notebook: `explorer` as the last line of a cell.
/// ```
pub fn lambda_explorer(study: &LambdaStudy) -> Result<Explorer> {
    let r = &study.results;
    if r.is_empty() {
        return Err(NnError::InvalidArgument { name: "study", reason: "the study has no lambdas".into() });
    }
    check_frame_count(r.len(), "an explorer")?;
    study.check_finite()?;
    let nets: Vec<&crate::lecture::Network> = r.iter().map(|r| &r.trained.network).collect();
    let scale = shared_scale(&nets)?;
    let curves: Vec<Vec<f64>> = r
        .iter()
        .map(|r| {
            std::iter::once(r.trained.history.initial_cost).chain(r.trained.history.costs.iter().copied()).collect()
        })
        .collect();
    let color = |i: usize| PALETTE[i % PALETTE.len()];
    let mut frames = Vec::with_capacity(r.len());
    for (i, res) in r.iter().enumerate() {
        let mut cs: Vec<Curve> = curves
            .iter()
            .enumerate()
            .filter(|(k, _)| *k != i)
            .map(|(_, v)| Curve { values: v, color: GHOST, width: 1, upto: None })
            .collect();
        cs.push(Curve { values: &curves[i], color: color(i), width: 3, upto: None });
        let title = format!("Objective during training, λ = {} (others gray)", fmt_lambda(res.lambda));
        let curve = curve_canvas(&cs, CURVE_W, CURVE_H, &title)?;
        frames.push(Frame {
            label: format!("λ = {}", fmt_lambda(res.lambda)),
            units: units_canvas(&res.trained.network, scale)?,
            curve,
            rows: vec![
                ("λ".into(), fmt_lambda(res.lambda)),
                ("training accuracy".into(), fmt_percent(res.train_accuracy)),
                ("held-out accuracy".into(), fmt_percent(res.test_accuracy)),
                ("training cost J (λ = 0)".into(), fmt_cost(res.train_cost)),
                ("held-out cost J (λ = 0)".into(), fmt_cost(res.test_cost)),
                ("final objective J + penalty".into(), fmt_cost(res.trained.history.final_cost())),
                ("iterations".into(), res.trained.history.costs.len().to_string()),
            ],
        });
    }
    // The static panel: every lambda's units (twice enlarged), captioned in its curve's colour.
    let cells: Vec<PanelCell> = r
        .iter()
        .zip(&frames)
        .enumerate()
        .map(|(i, (res, f))| PanelCell {
            units: f.units.scaled(2),
            caption: vec![
                (format!("λ = {}", fmt_lambda(res.lambda)), 16.0, color(i)),
                (
                    format!("train {} · held-out {}", fmt_percent(res.train_accuracy), fmt_percent(res.test_accuracy)),
                    13.0,
                    TEXT,
                ),
                (format!("held-out J = {}", fmt_cost(res.test_cost)), 13.0, TEXT),
            ],
        })
        .collect();
    let all: Vec<Curve> =
        curves.iter().enumerate().map(|(i, v)| Curve { values: v, color: color(i), width: 2, upto: None }).collect();
    let chart = curve_canvas(&all, 640, 300, "Objective during training (colours as the λ captions above)")?;
    let fallback = static_panel("Hidden units for each λ, on one gray scale", &cells, 4, scale, &chart)?;
    build(
        "Hidden units and cost for each λ: drag the slider or press play",
        "Every frame uses one gray scale, so the detectors fade as λ grows; accuracies and J (without the penalty) on the training and held-out sets.",
        scale,
        &frames,
        fallback,
    )
}

/// A training as a slider: for each network the training kept
/// ([`TrainConfig::snapshots`](crate::TrainConfig::snapshots)), its hidden units (one gray
/// scale for all frames) and the cost curve up to that iteration. With `data`, each frame
/// also gives the training accuracy of its network.
///
/// ```
/// use nn_core::prelude::*;
/// let x = ndarray::Array2::from_shape_fn((20, 4), |(i, j)| ((i * 3 + j) % 5) as f64);
/// let data = Dataset::new(x, ndarray::Array1::from_shape_fn(20, |i| 1 + i % 2), 2).unwrap();
/// let run = train(&TrainConfig::new(&[4, 3, 2]).iterations(8).snapshots(5), &data).unwrap();
/// let explorer = viz::training_explorer(&run, Some(&data)).unwrap();
/// assert_eq!(explorer.frame_count(), 5);
/// ```
pub fn training_explorer(run: &Trained, data: Option<&Dataset>) -> Result<Explorer> {
    let (snapshots, costs) = training_frames(run, "an explorer")?;
    let nets: Vec<&crate::lecture::Network> = snapshots.iter().map(|s| &s.network).collect();
    let scale = shared_scale(&nets)?;
    let total = run.history.iterations();
    let lambda = fmt_lambda(run.config.lambda);
    let color = PALETTE[0];
    let mut frames = Vec::with_capacity(snapshots.len());
    for s in snapshots {
        let cs = [
            Curve { values: &costs, color: GHOST, width: 1, upto: None },
            Curve { values: &costs, color, width: 3, upto: Some(s.iteration) },
        ];
        let curve = curve_canvas(
            &cs,
            CURVE_W,
            CURVE_H,
            &format!("Objective, λ = {lambda}: iteration {} of {total}", s.iteration),
        )?;
        let mut rows = vec![
            ("iteration".into(), format!("{} of {total}", s.iteration)),
            ("objective (J with the λ penalty)".into(), fmt_cost(costs[s.iteration.min(total)])),
        ];
        if let Some(d) = data {
            rows.push(("training accuracy".into(), fmt_percent(s.network.accuracy(d)?)));
        }
        rows.push(("λ".into(), lambda.clone()));
        frames.push(Frame {
            label: format!("iteration {} of {total}", s.iteration),
            units: units_canvas(&s.network, scale)?,
            curve,
            rows,
        });
    }
    let picks = even_picks(frames.len(), 8);
    let cells: Vec<PanelCell> = picks
        .iter()
        .map(|&k| PanelCell {
            units: frames[k].units.scaled(2),
            caption: vec![
                (format!("iteration {}", snapshots[k].iteration), 15.0, TEXT),
                (format!("objective {}", fmt_cost(costs[snapshots[k].iteration.min(total)])), 13.0, TEXT),
            ],
        })
        .collect();
    let mut cs = vec![Curve { values: &costs, color, width: 2, upto: None }];
    for &k in &picks {
        cs.push(Curve { values: &costs, color: [214, 39, 40], width: 0, upto: Some(snapshots[k].iteration) });
    }
    let chart = curve_canvas(&cs, 640, 300, "Objective during training (dots: the iterations above)")?;
    let fallback =
        static_panel(&format!("Hidden units during training, λ = {lambda}, one gray scale"), &cells, 4, scale, &chart)?;
    let note = "Drag the slider or press play. One gray scale for every frame: the detectors emerge from the small random initial weights.";
    build(
        &format!("Training with λ = {lambda}: hidden units and cost, iteration by iteration"),
        note,
        scale,
        &frames,
        fallback,
    )
}
