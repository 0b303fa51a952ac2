//! An RGB pixel buffer with the few drawing operations the pixel pictures
//! need, text from the embedded font (no system fonts, no fontconfig), and the fixed
//! palette that the GIF animations and the large PNGs are quantized to.

use std::collections::HashMap;
use std::sync::{Once, OnceLock};

use ab_glyph::{point, Font, FontRef, PxScale, ScaleFont};

/// DejaVu Sans, subset (see `font/README.md` and `font/LICENSE.txt`).
pub(crate) static FONT_BYTES: &[u8] = include_bytes!("font/DejaVuSans-subset.ttf");

/// The family name under which the font is registered with plotters.
pub(crate) const FAMILY: &str = "sans-serif";

pub(crate) fn font() -> &'static FontRef<'static> {
    static FONT: OnceLock<FontRef<'static>> = OnceLock::new();
    FONT.get_or_init(|| FontRef::try_from_slice(FONT_BYTES).expect("the embedded font parses (checked by a test)"))
}

/// Registers the embedded font with plotters (once per process), so chart
/// labels render with it.
pub(crate) fn register_plotters_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // Parsing is checked by `font()` and a test; registration cannot fail otherwise.
        let _ = plotters::style::register_font(FAMILY, plotters::style::FontStyle::Normal, FONT_BYTES);
    });
}

pub(crate) type Rgb = [u8; 3];
pub(crate) const WHITE: Rgb = [255, 255, 255];
pub(crate) const BLACK: Rgb = [0, 0, 0];
pub(crate) const TEXT: Rgb = [30, 30, 30];
/// Secondary text: captions, axis numbers, sub-headings.
pub(crate) const MUTED: Rgb = [90, 90, 90];
pub(crate) const GREEN: Rgb = [0, 120, 40];
pub(crate) const RED: Rgb = [200, 20, 20];

/// Ten distinguishable colours (matplotlib's tab10), for series and Thetas.
pub(crate) const PALETTE: [Rgb; 10] = [
    [31, 119, 180],
    [255, 127, 14],
    [44, 160, 44],
    [214, 39, 40],
    [148, 103, 189],
    [140, 86, 75],
    [227, 119, 194],
    [127, 127, 127],
    [188, 189, 34],
    [23, 190, 207],
];

/// Horizontal placement of a text relative to its x coordinate.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Align {
    Left,
    Center,
    Right,
}

/// Width in pixels of `text` at `size` px.
pub(crate) fn text_width(text: &str, size: f32) -> f32 {
    let f = font().as_scaled(PxScale::from(size));
    let mut w = 0.0;
    let mut prev = None;
    for c in text.chars() {
        let id = f.glyph_id(c);
        if let Some(p) = prev {
            w += f.kern(p, id);
        }
        w += f.h_advance(id);
        prev = Some(id);
    }
    w
}

/// Height of one line of text at `size` px (ascent + descent + line gap).
pub(crate) fn line_height(size: f32) -> f32 {
    let f = font().as_scaled(PxScale::from(size));
    f.ascent() - f.descent() + f.line_gap()
}

/// The largest size <= `size` (down to `min`) at which `text` fits in `width` px.
pub(crate) fn fit_size(text: &str, size: f32, min: f32, width: f32) -> f32 {
    let mut s = size;
    while s > min && text_width(text, s) > width {
        s -= 0.5;
    }
    s
}

/// An RGB image, row-major, 3 bytes per pixel.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Canvas {
    pub w: usize,
    pub h: usize,
    pub px: Vec<u8>,
}

impl Canvas {
    pub fn new(w: usize, h: usize, bg: Rgb) -> Canvas {
        let mut px = Vec::with_capacity(w * h * 3);
        for _ in 0..w * h {
            px.extend_from_slice(&bg);
        }
        Canvas { w, h, px }
    }

    pub fn get(&self, x: usize, y: usize) -> Rgb {
        let i = (y * self.w + x) * 3;
        [self.px[i], self.px[i + 1], self.px[i + 2]]
    }

    pub fn put(&mut self, x: i64, y: i64, c: Rgb) {
        if x >= 0 && y >= 0 && (x as usize) < self.w && (y as usize) < self.h {
            let i = (y as usize * self.w + x as usize) * 3;
            self.px[i..i + 3].copy_from_slice(&c);
        }
    }

    /// Mixes `c` into the pixel with weight `alpha` (0..=1).
    pub fn blend(&mut self, x: i64, y: i64, c: Rgb, alpha: f32) {
        if x >= 0 && y >= 0 && (x as usize) < self.w && (y as usize) < self.h {
            let a = alpha.clamp(0.0, 1.0);
            let i = (y as usize * self.w + x as usize) * 3;
            for (dst, &src) in self.px[i..i + 3].iter_mut().zip(&c) {
                let old = *dst as f32;
                *dst = (old + (src as f32 - old) * a).round() as u8;
            }
        }
    }

    pub fn fill_rect(&mut self, x: i64, y: i64, w: usize, h: usize, c: Rgb) {
        for yy in y..y + h as i64 {
            for xx in x..x + w as i64 {
                self.put(xx, yy, c);
            }
        }
    }

    /// A `t`-pixel outline just inside the rectangle.
    pub fn stroke_rect(&mut self, x: i64, y: i64, w: usize, h: usize, t: usize, c: Rgb) {
        self.fill_rect(x, y, w, t, c);
        self.fill_rect(x, y + h as i64 - t as i64, w, t, c);
        self.fill_rect(x, y, t, h, c);
        self.fill_rect(x + w as i64 - t as i64, y, t, h, c);
    }

    /// A straight line `t` pixels wide from (x0, y0) to (x1, y1), its edges antialiased.
    pub fn line(&mut self, (x0, y0): (f32, f32), (x1, y1): (f32, f32), t: f32, c: Rgb) {
        let (dx, dy) = (x1 - x0, y1 - y0);
        let len2 = dx * dx + dy * dy;
        let half = t / 2.0;
        let (lo_x, hi_x) = (x0.min(x1) - half - 1.0, x0.max(x1) + half + 1.0);
        let (lo_y, hi_y) = (y0.min(y1) - half - 1.0, y0.max(y1) + half + 1.0);
        for y in lo_y.floor() as i64..=hi_y.ceil() as i64 {
            for x in lo_x.floor() as i64..=hi_x.ceil() as i64 {
                let (px, py) = (x as f32 + 0.5, y as f32 + 0.5);
                let u = if len2 > 0.0 { (((px - x0) * dx + (py - y0) * dy) / len2).clamp(0.0, 1.0) } else { 0.0 };
                let (qx, qy) = (x0 + u * dx - px, y0 + u * dy - py);
                let d = (qx * qx + qy * qy).sqrt();
                let cov = (half + 0.5 - d).clamp(0.0, 1.0);
                if cov > 0.0 {
                    self.blend(x, y, c, cov);
                }
            }
        }
    }

    /// A filled disc of radius `r` centred at (cx, cy), its edge antialiased.
    pub fn disc(&mut self, cx: f32, cy: f32, r: f32, c: Rgb) {
        for y in (cy - r - 1.0).floor() as i64..=(cy + r + 1.0).ceil() as i64 {
            for x in (cx - r - 1.0).floor() as i64..=(cx + r + 1.0).ceil() as i64 {
                let d = ((x as f32 + 0.5 - cx).powi(2) + (y as f32 + 0.5 - cy).powi(2)).sqrt();
                let cov = (r + 0.5 - d).clamp(0.0, 1.0);
                if cov > 0.0 {
                    self.blend(x, y, c, cov);
                }
            }
        }
    }

    /// Copies `src` with its top-left corner at (x, y) (clipped).
    pub fn blit(&mut self, src: &Canvas, x: i64, y: i64) {
        for sy in 0..src.h {
            for sx in 0..src.w {
                self.put(x + sx as i64, y + sy as i64, src.get(sx, sy));
            }
        }
    }

    /// Nearest-neighbour enlargement by an integer factor.
    pub fn scaled(&self, k: usize) -> Canvas {
        let k = k.max(1);
        if k == 1 {
            return self.clone();
        }
        let (w, h) = (self.w * k, self.h * k);
        let mut px = Vec::with_capacity(w * h * 3);
        for y in 0..h {
            for x in 0..w {
                px.extend_from_slice(&self.get(x / k, y / k));
            }
        }
        Canvas { w, h, px }
    }

    /// Draws `text` with the top of its line box at `top` (the line box is
    /// [`line_height`] tall); returns the width drawn.
    pub fn text(&mut self, text: &str, x: f32, top: f32, size: f32, color: Rgb, align: Align) -> f32 {
        let f = font().as_scaled(PxScale::from(size));
        let width = text_width(text, size);
        let caret = match align {
            Align::Left => x,
            Align::Center => x - width / 2.0,
            Align::Right => x - width,
        };
        draw_glyphs(text, size, caret, top + f.ascent(), |x, y, cov| self.blend(x, y, color, cov));
        width
    }
}

/// Lays out one line of text (kerning, advances) from `caret` on `baseline` and
/// calls `put(x, y, coverage)` for every pixel of every glyph.
fn draw_glyphs(text: &str, size: f32, mut caret: f32, baseline: f32, mut put: impl FnMut(i64, i64, f32)) {
    let f = font().as_scaled(PxScale::from(size));
    let mut prev = None;
    for c in text.chars() {
        let id = f.glyph_id(c);
        if let Some(p) = prev {
            caret += f.kern(p, id);
        }
        let glyph = id.with_scale_and_position(PxScale::from(size), point(caret, baseline));
        if let Some(outlined) = font().outline_glyph(glyph) {
            let b = outlined.px_bounds();
            outlined.draw(|gx, gy, cov| put(b.min.x as i64 + gx as i64, b.min.y as i64 + gy as i64, cov));
        }
        caret += f.h_advance(id);
        prev = Some(id);
    }
}

/// Coverage mask of one line of text: `w x h` values in 0..=1, the line box
/// (ascent + descent) tall, baseline at the ascent.
pub(crate) struct TextMask {
    pub w: usize,
    pub h: usize,
    pub cov: Vec<f32>,
    /// The advance width (where the next text would start).
    pub advance: f32,
}

pub(crate) fn text_mask(text: &str, size: f32) -> TextMask {
    let f = font().as_scaled(PxScale::from(size));
    let advance = text_width(text, size);
    let pad = (size * 0.3).ceil() as usize; // room for overhanging glyphs (italic-like f, j)
    let w = advance.ceil() as usize + 2 * pad;
    let h = (f.ascent() - f.descent()).ceil() as usize;
    let mut cov = vec![0.0f32; w * h];
    draw_glyphs(text, size, pad as f32, f.ascent(), |x, y, v| {
        if x >= 0 && y >= 0 && (x as usize) < w && (y as usize) < h {
            let i = y as usize * w + x as usize;
            cov[i] = (cov[i] + v).min(1.0);
        }
    });
    // Report the mask shifted left by the padding: callers place the caret origin.
    TextMask { w, h, cov, advance }
}

/// The left padding [`text_mask`] puts before the first glyph.
pub(crate) fn mask_pad(size: f32) -> i64 {
    (size * 0.3).ceil() as i64
}

/// A plotters drawing backend that draws into a [`Canvas`], with text from
/// the embedded font placed by its real metrics (plotters' own ab_glyph text
/// path ignores glyph side bearings and sits text off-centre).
pub(crate) struct CanvasBackend<'a> {
    pub canvas: &'a mut Canvas,
}

mod backend_impl {
    use super::{mask_pad, text_mask, text_width, CanvasBackend};
    use plotters_backend::text_anchor::{HPos, VPos};
    use plotters_backend::{BackendColor, BackendCoord, BackendTextStyle, DrawingBackend, DrawingErrorKind};

    type R = Result<(), DrawingErrorKind<std::convert::Infallible>>;

    impl DrawingBackend for CanvasBackend<'_> {
        type ErrorType = std::convert::Infallible;

        fn get_size(&self) -> (u32, u32) {
            (self.canvas.w as u32, self.canvas.h as u32)
        }

        fn ensure_prepared(&mut self) -> R {
            Ok(())
        }

        fn present(&mut self) -> R {
            Ok(())
        }

        fn draw_pixel(&mut self, p: BackendCoord, c: BackendColor) -> R {
            let (r, g, b) = c.rgb;
            self.canvas.blend(p.0 as i64, p.1 as i64, [r, g, b], c.alpha as f32);
            Ok(())
        }

        fn draw_text<S: BackendTextStyle>(&mut self, text: &str, style: &S, pos: BackendCoord) -> R {
            let color = style.color();
            if color.alpha == 0.0 {
                return Ok(());
            }
            let size = style.size() as f32;
            let mask = text_mask(text, size);
            let width = mask.advance.round() as i64;
            let h = mask.h as i64;
            let dx = match style.anchor().h_pos {
                HPos::Left => 0,
                HPos::Center => -width / 2,
                HPos::Right => -width,
            } - mask_pad(size);
            let dy = match style.anchor().v_pos {
                VPos::Top => 0,
                VPos::Center => -h / 2,
                VPos::Bottom => -h,
            };
            let t = style.transform();
            let (r, g, b) = color.rgb;
            for my in 0..mask.h {
                for mx in 0..mask.w {
                    let v = mask.cov[my * mask.w + mx];
                    if v > 0.0 {
                        let (tx, ty) = t.transform(mx as i32 + dx as i32, my as i32 + dy as i32);
                        self.canvas.blend((pos.0 + tx) as i64, (pos.1 + ty) as i64, [r, g, b], v * color.alpha as f32);
                    }
                }
            }
            Ok(())
        }

        fn estimate_text_size<S: BackendTextStyle>(
            &self,
            text: &str,
            style: &S,
        ) -> Result<(u32, u32), DrawingErrorKind<Self::ErrorType>> {
            let size = style.size() as f32;
            Ok((text_width(text, size).ceil() as u32, super::line_height(size).ceil() as u32))
        }
    }
}

/// Gray levels in the palette (hidden units and antialiased text).
const GRAYS: usize = 32;
/// The fixed palette: `GRAYS` grays, the ten series colours each mixed with white at four
/// strengths, then a 5x5x5 colour cube for anything else; index 255 is kept for
/// transparency.
fn palette() -> Vec<Rgb> {
    let mut p: Vec<Rgb> = (0..GRAYS)
        .map(|i| {
            let g = (i * 255 / (GRAYS - 1)) as u8;
            [g, g, g]
        })
        .collect();
    for c in PALETTE {
        for t in [0.25, 0.5, 0.75, 1.0] {
            p.push([0, 1, 2].map(|k| (255.0 + (c[k] as f64 - 255.0) * t).round() as u8));
        }
    }
    for r in 0..5 {
        for g in 0..5 {
            for b in 0..5 {
                p.push([r * 63, g * 63, b * 63].map(|v: i32| v.min(255) as u8));
            }
        }
    }
    p.truncate(255);
    p
}

/// Maps canvases to palette indices (nearest colour, remembered per RGB value).
pub(crate) struct Quantizer {
    pub palette: Vec<Rgb>,
    cache: HashMap<Rgb, u8>,
}

impl Quantizer {
    pub fn new() -> Quantizer {
        Quantizer { palette: palette(), cache: HashMap::new() }
    }

    fn index(&mut self, c: Rgb) -> u8 {
        if let Some(&i) = self.cache.get(&c) {
            return i;
        }
        let d = |p: &Rgb| (0..3).map(|k| (p[k] as i32 - c[k] as i32).pow(2)).sum::<i32>();
        let i = (0..self.palette.len()).min_by_key(|&i| d(&self.palette[i])).unwrap_or(0) as u8;
        self.cache.insert(c, i);
        i
    }

    pub fn indices(&mut self, canvas: &Canvas) -> Vec<u8> {
        canvas.px.chunks_exact(3).map(|p| self.index([p[0], p[1], p[2]])).collect()
    }
}
