//! [`Figure`]: an encoded picture (PNG, and SVG for the line charts) that
//! displays itself inline in evcxr and saves itself to files.

use std::fmt;
use std::io::Write;
use std::path::Path;

use base64::Engine as _;

use super::canvas::Canvas;
use crate::error::{NnError, Result};
use crate::io::write_atomic;

/// A finished picture: PNG bytes (always) and SVG text (for the line charts).
///
/// Every function in [`crate::viz`] returns one. In an evcxr notebook a
/// `Figure` as the last expression of a cell displays itself as an inline
/// `image/png`; in a terminal program save it with [`Figure::save_png`].
///
/// ```
/// use nn_core::viz;
/// let x = ndarray::Array2::from_elem((4, 400), 0.5);
/// let fig = viz::display_data(&x).unwrap();
/// assert_eq!(&fig.png_bytes()[1..4], b"PNG");
/// assert!(fig.width() > 0 && fig.height() > 0 && fig.svg().is_none());
/// ```
#[derive(Clone, PartialEq)]
pub struct Figure {
    png: Vec<u8>,
    svg: Option<String>,
    width: u32,
    height: u32,
}

impl fmt::Debug for Figure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Figure {{ {}x{} px, PNG {} bytes{} }}",
            self.width,
            self.height,
            self.png.len(),
            match &self.svg {
                Some(s) => format!(", SVG {} bytes", s.len()),
                None => String::new(),
            }
        )
    }
}

impl Figure {
    /// Encodes a canvas (and the SVG twin of a chart, if any).
    pub(crate) fn from_canvas(canvas: &Canvas, svg: Option<String>) -> Result<Figure> {
        let png = encode_png(canvas)?;
        Ok(Figure { png, svg, width: canvas.w as u32, height: canvas.h as u32 })
    }

    /// Like [`Figure::from_canvas`], but small: a gray canvas as 32 gray levels, a
    /// coloured one as an indexed PNG (its own colours when there are at most 256, else
    /// the animation's fixed palette). For the explorers' many frames.
    pub(crate) fn from_canvas_compact(canvas: &Canvas) -> Result<Figure> {
        let png = encode_png_compact(canvas)?;
        Ok(Figure { png, svg: None, width: canvas.w as u32, height: canvas.h as u32 })
    }

    /// The encoded PNG file, byte for byte.
    pub fn png_bytes(&self) -> &[u8] {
        &self.png
    }

    /// The SVG document, for the line charts (cost, validation, gradient check);
    /// `None` for pixel pictures.
    pub fn svg(&self) -> Option<&str> {
        self.svg.as_deref()
    }

    /// Width in pixels.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// Writes the PNG to `path` (atomically: a temporary file in the same
    /// folder, then a rename, so a reader never sees half a picture).
    ///
    /// ```no_run
    /// # let fig = nn_core::viz::display_data(&ndarray::Array2::zeros((1, 400))).unwrap();
    /// fig.save_png("digits.png").expect("write digits.png");
    /// ```
    pub fn save_png(&self, path: impl AsRef<Path>) -> Result<()> {
        write_atomic(path.as_ref(), &self.png)
    }

    /// Writes the SVG to `path` (atomically). Pixel pictures have no SVG: for
    /// them this returns an error naming the path and suggesting `save_png`.
    pub fn save_svg(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        match &self.svg {
            Some(svg) => write_atomic(path, svg.as_bytes()),
            None => Err(NnError::Plot(format!(
                "cannot write {}: this figure is a pixel picture with no SVG version; use save_png",
                path.display()
            ))),
        }
    }

    /// Writes PNG or SVG according to the extension of `path` (`.png`, `.svg`).
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        match path.extension().and_then(|e| e.to_str()).map(|e| e.to_ascii_lowercase()).as_deref() {
            Some("png") => self.save_png(path),
            Some("svg") => self.save_svg(path),
            _ => Err(NnError::Plot(format!("cannot write {}: the file name must end in .png or .svg", path.display()))),
        }
    }

    /// The PNG as base64 (standard alphabet, padded, one line).
    pub fn png_base64(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(&self.png)
    }

    /// The block evcxr reads from standard output to show an inline image:
    /// `EVCXR_BEGIN_CONTENT image/png`, the base64 PNG on one line,
    /// `EVCXR_END_CONTENT` (each on its own line, no trailing newline).
    pub fn evcxr_content(&self) -> String {
        format!("EVCXR_BEGIN_CONTENT image/png\n{}\nEVCXR_END_CONTENT", self.png_base64())
    }

    /// Called by evcxr when a `Figure` is the value of a notebook cell: prints
    /// [`Figure::evcxr_content`] in one locked write, so the picture shows inline.
    pub fn evcxr_display(&self) {
        let stdout = std::io::stdout();
        let mut lock = stdout.lock();
        // Nothing sensible to do if stdout is closed.
        let _ = writeln!(lock, "{}", self.evcxr_content());
        let _ = lock.flush();
    }
}

/// PNG-encodes a canvas; grayscale when every pixel is gray (digit grids), RGB otherwise.
fn encode_png(canvas: &Canvas) -> Result<Vec<u8>> {
    let gray = canvas.px.chunks_exact(3).all(|p| p[0] == p[1] && p[1] == p[2]);
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, canvas.w as u32, canvas.h as u32);
        enc.set_depth(png::BitDepth::Eight);
        enc.set_compression(png::Compression::High);
        let data: Vec<u8>;
        let bytes: &[u8] = if gray {
            enc.set_color(png::ColorType::Grayscale);
            data = canvas.px.chunks_exact(3).map(|p| p[0]).collect();
            &data
        } else {
            enc.set_color(png::ColorType::Rgb);
            &canvas.px
        };
        let mut writer = enc.write_header().map_err(|e| NnError::Plot(format!("PNG encoding failed: {e}")))?;
        writer.write_image_data(bytes).map_err(|e| NnError::Plot(format!("PNG encoding failed: {e}")))?;
        writer.finish().map_err(|e| NnError::Plot(format!("PNG encoding failed: {e}")))?;
    }
    Ok(out)
}

/// See [`Figure::from_canvas_compact`].
pub(crate) fn encode_png_compact(canvas: &Canvas) -> Result<Vec<u8>> {
    let e = |err: png::EncodingError| NnError::Plot(format!("PNG encoding failed: {err}"));
    let gray = canvas.px.chunks_exact(3).all(|p| p[0] == p[1] && p[1] == p[2]);
    let mut out = Vec::new();
    let mut enc = png::Encoder::new(&mut out, canvas.w as u32, canvas.h as u32);
    enc.set_depth(png::BitDepth::Eight);
    enc.set_compression(png::Compression::High);
    let data: Vec<u8> = if gray {
        enc.set_color(png::ColorType::Grayscale);
        canvas.px.chunks_exact(3).map(|p| ((p[0] as u32 * 31 + 127) / 255 * 255 / 31) as u8).collect()
    } else {
        let mut colours: Vec<[u8; 3]> = Vec::new();
        let mut index = std::collections::HashMap::new();
        let mut idx = Vec::with_capacity(canvas.w * canvas.h);
        for p in canvas.px.chunks_exact(3) {
            let c = [p[0], p[1], p[2]];
            let next = colours.len();
            let i = *index.entry(c).or_insert(next);
            if i == next {
                colours.push(c);
            }
            idx.push(i);
        }
        if colours.len() <= 256 {
            enc.set_palette(colours.iter().flatten().copied().collect::<Vec<u8>>());
            enc.set_color(png::ColorType::Indexed);
            idx.into_iter().map(|i| i as u8).collect()
        } else {
            let mut q = super::canvas::Quantizer::new();
            let data = q.indices(canvas);
            enc.set_palette(q.palette.iter().flatten().copied().collect::<Vec<u8>>());
            enc.set_color(png::ColorType::Indexed);
            data
        }
    };
    let mut writer = enc.write_header().map_err(e)?;
    writer.write_image_data(&data).map_err(e)?;
    writer.finish().map_err(e)?;
    Ok(out)
}
