//! [`Animation`]: an animated GIF, shown inline by evcxr as an HTML `<img>`. The training
//! animation: hidden units and the cost curve, frame by frame.

use std::fmt;
use std::io::Write;
use std::path::Path;

use base64::Engine as _;

use super::canvas::{line_height, Align, Canvas, Quantizer, PALETTE, TEXT, WHITE};
use super::cost_chart::{curve_canvas, Curve};
use super::fmt_percent;
use super::frames::{fmt_cost, training_frames};
use super::images::{gray_legend, shared_scale, units_canvas};
use crate::error::{NnError, Result};
use crate::io::write_atomic;
use crate::lecture::{Dataset, Network};
use crate::train::Trained;

/// An animated GIF (looping), with its size and frame count.
///
/// In an evcxr notebook an `Animation` as the last expression of a cell plays inline;
/// save it with [`Animation::save_gif`].
#[derive(Clone, PartialEq)]
pub struct Animation {
    gif: Vec<u8>,
    width: u32,
    height: u32,
    frames: usize,
}

impl fmt::Debug for Animation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Animation {{ {}x{} px, {} frames, GIF {} bytes }}",
            self.width,
            self.height,
            self.frames,
            self.gif.len()
        )
    }
}

impl Animation {
    /// The GIF file, byte for byte.
    pub fn gif_bytes(&self) -> &[u8] {
        &self.gif
    }
    /// Width in pixels.
    pub fn width(&self) -> u32 {
        self.width
    }
    /// Height in pixels.
    pub fn height(&self) -> u32 {
        self.height
    }
    /// Number of frames.
    pub fn frame_count(&self) -> usize {
        self.frames
    }
    /// Writes the GIF to `path` (atomically).
    pub fn save_gif(&self, path: impl AsRef<Path>) -> Result<()> {
        write_atomic(path.as_ref(), &self.gif)
    }
    /// `EVCXR_BEGIN_CONTENT text/html`, one `<img>` whose `src` is the GIF as a
    /// `data:image/gif;base64,` URL (on one line), `EVCXR_END_CONTENT`.
    ///
    /// HTML rather than an `image/gif` output: nbconvert's HTML export (and so the
    /// notebook pages, nbviewer and a class's exported feedback) drops `image/gif`
    /// outputs, as `image/gif` is not among the types it shows; every front end
    /// shows an `<img>`, and JupyterLab's sanitizer keeps a `data:` `src`.
    pub fn evcxr_content(&self) -> String {
        format!("EVCXR_BEGIN_CONTENT text/html\n{}\nEVCXR_END_CONTENT", self.html())
    }
    /// The `<img>` element [`Animation::evcxr_content`] shows: the GIF inline, its size,
    /// scaled down (never up) to the width of a narrower page.
    pub fn html(&self) -> String {
        format!(
            "<img src=\"data:image/gif;base64,{}\" width=\"{}\" height=\"{}\" \
             style=\"max-width:100%;height:auto\" alt=\"training animation, {} frames\">",
            base64::engine::general_purpose::STANDARD.encode(&self.gif),
            self.width,
            self.height,
            self.frames
        )
    }
    /// Called by evcxr when an `Animation` is the value of a cell.
    pub fn evcxr_display(&self) {
        let stdout = std::io::stdout();
        let mut lock = stdout.lock();
        let _ = writeln!(lock, "{}", self.evcxr_content());
        let _ = lock.flush();
    }
}

/// Index of the "unchanged since the previous frame" colour.
const TRANSPARENT: u8 = 255;

/// Encodes equally sized canvases as a looping GIF: the first frame whole, each later one
/// as the rectangle that changed, with unchanged pixels transparent. `delays` in
/// hundredths of a second, one per frame.
pub(crate) fn encode_gif(frames: &[Canvas], delays: &[u16]) -> Result<Animation> {
    let first =
        frames.first().ok_or_else(|| NnError::InvalidArgument { name: "frames", reason: "no frames".into() })?;
    let (w, h) = (first.w, first.h);
    if frames.iter().any(|f| f.w != w || f.h != h) || w > u16::MAX as usize || h > u16::MAX as usize || w == 0 || h == 0
    {
        return Err(NnError::Plot("GIF frames must all have one size, at most 65535 x 65535".into()));
    }
    let gif_err = |e: gif::EncodingError| NnError::Plot(format!("GIF encoding failed: {e}"));
    let mut q = Quantizer::new();
    let mut flat: Vec<u8> = q.palette.iter().flatten().copied().collect();
    flat.extend_from_slice(&[255, 0, 255]); // index 255: transparent
    let mut out = Vec::new();
    {
        let mut enc = gif::Encoder::new(&mut out, w as u16, h as u16, &flat).map_err(gif_err)?;
        enc.set_repeat(gif::Repeat::Infinite).map_err(gif_err)?;
        let mut prev: Option<Vec<u8>> = None;
        for (k, canvas) in frames.iter().enumerate() {
            let idx = q.indices(canvas);
            let delay = delays.get(k).copied().unwrap_or(50);
            let frame = match &prev {
                None => gif::Frame {
                    width: w as u16,
                    height: h as u16,
                    buffer: std::borrow::Cow::Borrowed(&idx),
                    delay,
                    dispose: gif::DisposalMethod::Keep,
                    ..Default::default()
                },
                Some(p) => {
                    // Bounding box of the changed pixels (at least one pixel, so every frame exists).
                    let (mut x0, mut y0, mut x1, mut y1) = (w, h, 0usize, 0usize);
                    for y in 0..h {
                        for x in 0..w {
                            if idx[y * w + x] != p[y * w + x] {
                                x0 = x0.min(x);
                                y0 = y0.min(y);
                                x1 = x1.max(x);
                                y1 = y1.max(y);
                            }
                        }
                    }
                    if x0 > x1 {
                        (x0, y0, x1, y1) = (0, 0, 0, 0);
                    }
                    let (fw, fh) = (x1 - x0 + 1, y1 - y0 + 1);
                    let mut buf = Vec::with_capacity(fw * fh);
                    for y in y0..=y1 {
                        for x in x0..=x1 {
                            let i = y * w + x;
                            buf.push(if idx[i] == p[i] { TRANSPARENT } else { idx[i] });
                        }
                    }
                    gif::Frame {
                        left: x0 as u16,
                        top: y0 as u16,
                        width: fw as u16,
                        height: fh as u16,
                        buffer: std::borrow::Cow::Owned(buf),
                        transparent: Some(TRANSPARENT),
                        delay,
                        dispose: gif::DisposalMethod::Keep,
                        ..Default::default()
                    }
                }
            };
            enc.write_frame(&frame).map_err(gif_err)?;
            prev = Some(idx);
        }
    }
    Ok(Animation { gif: out, width: w as u32, height: h as u32, frames: frames.len() })
}

/// Size of a training-animation frame.
pub(crate) const ANIM_W: usize = 880;
const UNITS_ZOOM: usize = 3;

/// One frame: a title line, the hidden units (3x) with the gray legend, the cost chart.
pub(crate) fn training_frame(
    network: &Network,
    scale: f64,
    costs: &[f64],
    iteration: usize,
    total: usize,
    lambda: &str,
    accuracy: Option<f64>,
) -> Result<Canvas> {
    let units = units_canvas(network, scale)?.scaled(UNITS_ZOOM);
    let legend = gray_legend(scale, units.w.max(300));
    let chart_w = (ANIM_W - units.w.max(legend.w) - 30) as u32;
    let chart = curve_canvas(
        &[
            Curve { values: costs, color: [205, 205, 205], width: 1, upto: None },
            Curve { values: costs, color: PALETTE[0], width: 3, upto: Some(iteration) },
        ],
        chart_w,
        380,
        "Objective during training",
    )?;
    let title_size = 18.0f32;
    let head = (line_height(title_size) + 16.0).ceil() as usize;
    let left_h = units.h + 8 + legend.h;
    let height = head + left_h.max(chart.h) + 10;
    let mut c = Canvas::new(ANIM_W, height, WHITE);
    let mut title = format!(
        "λ = {lambda} · iteration {iteration} of {total} · objective {}",
        fmt_cost(costs[iteration.min(costs.len() - 1)])
    );
    if let Some(a) = accuracy {
        title.push_str(&format!(" · training accuracy {}", fmt_percent(a)));
    }
    c.text(&title, ANIM_W as f32 / 2.0, 8.0, title_size, TEXT, Align::Center);
    let lx = 10 + (legend.w.saturating_sub(units.w)) / 2;
    c.fill_rect(lx as i64 - 1, head as i64 - 1, units.w + 2, units.h + 2, [120, 120, 120]);
    c.blit(&units, lx as i64, head as i64);
    c.blit(&legend, 10, (head + units.h + 8) as i64);
    c.blit(&chart, (ANIM_W - chart.w - 8) as i64, head as i64);
    Ok(c)
}

/// Hidden units and the cost curve through training, as a looping GIF, 880 pixels wide:
/// one frame per network the training kept ([`TrainConfig::snapshots`](crate::TrainConfig::snapshots),
/// at most [`MAX_SNAPSHOTS`](crate::train::MAX_SNAPSHOTS) = 21; on the digits 11 frames make
/// about 220 KB, 21 about 300 KB), the last one the trained network itself. Each frame shows
/// the units on one gray scale for all frames, the cost curve up to that iteration, and
/// (with `data`) the training accuracy.
///
/// ```no_run
/// use nn_core::prelude::*;
/// let data = bundled::digits().unwrap();
/// let run = train(&TrainConfig::default().iterations(50).snapshots(11), &data).unwrap();
/// viz::training_animation(&run, Some(&data)).unwrap().save_gif("training.gif").unwrap();
/// ```
pub fn training_animation(run: &Trained, data: Option<&Dataset>) -> Result<Animation> {
    let (snapshots, costs) = training_frames(run, "an animation")?;
    let nets: Vec<&Network> = snapshots.iter().map(|s| &s.network).collect();
    let scale = shared_scale(&nets)?;
    let total = run.history.iterations();
    let lambda = super::fmt_lambda(run.config.lambda);
    let mut canvases = Vec::with_capacity(snapshots.len());
    for s in snapshots {
        let acc = match data {
            Some(d) => Some(s.network.accuracy(d)?),
            None => None,
        };
        canvases.push(training_frame(&s.network, scale, &costs, s.iteration, total, &lambda, acc)?);
    }
    let n = canvases.len();
    let delays: Vec<u16> = (0..n)
        .map(|k| {
            if k + 1 == n {
                250
            } else if k == 0 {
                120
            } else {
                60
            }
        })
        .collect();
    encode_gif(&canvases, &delays)
}
