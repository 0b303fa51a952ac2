//! A digit a student drew, in the course's format: a PNG or JPEG of any size, dark ink on
//! a light background or light on dark, turned into one 1 x 400 row like those of `X`.
//!
//! The steps, as MNIST (where the course's digits come from) prepared its images:
//! 1. decode to grayscale (colour: luminance; a transparent background: the opacity is the ink);
//! 2. make the ink bright on dark: the border's brightness says which is the background,
//!    and a light background is inverted; then stretch so the background is 0 and the
//!    strongest ink 1;
//! 3. crop to the bounding box of the ink;
//! 4. scale the longer side to 16 pixels, keeping the aspect ratio (area averaging, so
//!    thin strokes become gray, not gaps);
//! 5. place it in a 20 x 20 image with its centre of mass at the centre;
//! 6. unroll column by column (MATLAB's `img(:)'`) into a 1 x 400 row, values in 0..=1.
//!
//! ```no_run
//! let x = nn_core::io::digit_image::load_digit("my-digit.png")?;   // 1 x 400
//! let net = nn_core::bundled::weights()?;
//! println!("the network reads a {}", nn_core::lecture::data::label_to_digit(net.predict(&x)?[0]));
//! # Ok::<(), nn_core::NnError>(())
//! ```

use std::io::Read;
use std::path::{Path, PathBuf};

use ndarray::Array2;

use crate::error::{NnError, Result};

/// Largest width or height accepted (the header is checked before any pixel is decoded).
pub(crate) const MAX_SIDE: usize = 10_000;
/// Largest number of pixels accepted (width x height).
pub(crate) const MAX_PIXELS: usize = 50_000_000;
/// Largest file read, in bytes.
pub(crate) const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;
/// Side of the course's images.
pub const SIDE: usize = 20;
/// The digit's longer side after scaling (MNIST's 20 of 28, here 16 of 20).
pub(crate) const FIT: usize = 16;

/// A grayscale picture, row-major, values in 0..=1 (0 black, 1 white), and the opacity
/// of each pixel when the picture has transparency (`None`: opaque). A large file is
/// averaged down on decoding to at most about [`WORK_PIXELS`] pixels.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct GrayImage {
    pub width: usize,
    pub height: usize,
    pub pixels: Vec<f64>,
    pub alpha: Option<Vec<f64>>,
}

fn bad(path: &Path, reason: impl Into<String>) -> NnError {
    NnError::InvalidArgument { name: "digit image", reason: format!("{}: {}", path.display(), reason.into()) }
}

fn check_dims(path: &Path, w: usize, h: usize) -> Result<()> {
    if w == 0 || h == 0 {
        return Err(bad(path, format!("the image is {w} x {h} pixels: it has no pixels")));
    }
    if w > MAX_SIDE || h > MAX_SIDE || w.saturating_mul(h) > MAX_PIXELS {
        return Err(bad(
            path,
            format!(
                "the header says {w} x {h} pixels, larger than this loader accepts ({MAX_SIDE} per side, {} megapixels): scale the picture down first",
                MAX_PIXELS / 1_000_000
            ),
        ));
    }
    Ok(())
}

/// Reads a PNG or JPEG (recognized by its first bytes, not its name) as grayscale.
///
/// Errors name the file: missing or unreadable, not a PNG or JPEG, truncated or corrupt,
/// larger than [`MAX_SIDE`] per side or [`MAX_PIXELS`] pixels (refused from the header,
/// before decoding), a file over [`MAX_FILE_BYTES`].
pub(crate) fn read_gray(path: impl AsRef<Path>) -> Result<GrayImage> {
    let path = path.as_ref();
    let io = |source| NnError::Io { path: path.to_path_buf(), action: "read", source };
    let file = std::fs::File::open(path).map_err(io)?;
    let len = file.metadata().map_err(io)?.len();
    if len > MAX_FILE_BYTES {
        return Err(bad(path, format!("the file is {len} bytes; a drawn digit should be far below {MAX_FILE_BYTES}")));
    }
    let mut bytes = Vec::with_capacity(len as usize);
    file.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes).map_err(io)?;
    decode_gray(&bytes, path)
}

/// [`read_gray`] of bytes already in memory; `path` only names them in errors.
pub(crate) fn decode_gray(bytes: &[u8], path: &Path) -> Result<GrayImage> {
    if bytes.is_empty() {
        return Err(bad(path, "the file is empty"));
    }
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        decode_png(bytes, path)
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        decode_jpeg(bytes, path)
    } else {
        Err(bad(
            path,
            "not a PNG or JPEG image (its first bytes are neither signature); save the drawing as .png or .jpg",
        ))
    }
}

/// Decoded 8-bit samples: `channels` per pixel (1 gray, 2 gray + alpha, 3 RGB, 4 RGBA or
/// CMYK), rows `stride` bytes apart.
struct Samples<'a> {
    data: &'a [u8],
    width: usize,
    height: usize,
    stride: usize,
    channels: usize,
    cmyk: bool,
}

/// Pixels kept after decoding: larger pictures are averaged down (k x k blocks) to at most
/// about this many, so the f64 images stay small whatever the file.
pub(crate) const WORK_PIXELS: usize = 4_000_000;

/// Grayscale (and opacity) from decoded samples, averaged down by an integer factor so
/// that at most about [`WORK_PIXELS`] remain.
fn to_gray(s: &Samples<'_>) -> GrayImage {
    let k = ((s.width * s.height) as f64 / WORK_PIXELS as f64).sqrt().ceil().max(1.0) as usize;
    let (w, h) = (s.width.div_ceil(k), s.height.div_ceil(k));
    let has_alpha = !s.cmyk && (s.channels == 2 || s.channels == 4);
    let mut pixels = vec![0.0; w * h];
    let mut alpha = if has_alpha { Some(vec![0.0; w * h]) } else { None };
    let mut count = vec![0u32; w * h];
    for y in 0..s.height {
        let row = &s.data[y * s.stride..y * s.stride + s.width * s.channels];
        for (x, p) in row.chunks_exact(s.channels).enumerate() {
            let v = match (s.channels, s.cmyk) {
                (1 | 2, _) => p[0] as f64 / 255.0,
                (4, true) => {
                    // Adobe's inverted CMYK, as jpeg-decoder hands it over.
                    let kk = p[3] as f64 / 255.0;
                    let ch = |c: u8| (c as f64 / 255.0) * kk;
                    0.299 * ch(p[0]) + 0.587 * ch(p[1]) + 0.114 * ch(p[2])
                }
                _ => luminance(p[0], p[1], p[2]),
            };
            let i = (y / k) * w + x / k;
            pixels[i] += v;
            if let Some(a) = alpha.as_mut() {
                a[i] += p[s.channels - 1] as f64 / 255.0;
            }
            count[i] += 1;
        }
    }
    for (i, &n) in count.iter().enumerate() {
        let n = n.max(1) as f64;
        pixels[i] /= n;
        if let Some(a) = alpha.as_mut() {
            a[i] /= n;
        }
    }
    GrayImage { width: w, height: h, pixels, alpha }
}

/// Runs a decoder, turning a panic inside it (a malformed file it did not expect) into an
/// error naming the file.
fn guarded<T>(path: &Path, what: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
        .unwrap_or_else(|_| Err(bad(path, format!("the {what} decoder failed on this file (damaged?)"))))
}

fn decode_png(bytes: &[u8], path: &Path) -> Result<GrayImage> {
    guarded(path, "PNG", || {
        let e = |what: &str, err: png::DecodingError| {
            bad(path, format!("{what}: {err} (is the PNG truncated or damaged?)"))
        };
        let mut decoder =
            png::Decoder::new_with_limits(std::io::Cursor::new(bytes), png::Limits { bytes: 256 * 1024 * 1024 });
        decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
        let header = decoder.read_header_info().map_err(|err| e("cannot read the PNG header", err))?;
        let (w, h) = (header.width as usize, header.height as usize);
        check_dims(path, w, h)?;
        let mut reader = decoder.read_info().map_err(|err| e("cannot read the PNG", err))?;
        let size = reader.output_buffer_size().ok_or_else(|| bad(path, "the PNG is too large to decode"))?;
        let mut buf = vec![0u8; size];
        let info = reader.next_frame(&mut buf).map_err(|err| e("cannot decode the PNG's pixels", err))?;
        let channels = match info.color_type {
            png::ColorType::Grayscale => 1,
            png::ColorType::GrayscaleAlpha => 2,
            png::ColorType::Rgb => 3,
            png::ColorType::Rgba => 4,
            png::ColorType::Indexed => return Err(bad(path, "an indexed PNG the decoder did not expand")),
        };
        let (w, h) = (info.width as usize, info.height as usize);
        if info.line_size < w * channels || buf.len() < info.line_size * h {
            return Err(bad(path, "the PNG decoded to fewer bytes than its header says"));
        }
        Ok(to_gray(&Samples { data: &buf, width: w, height: h, stride: info.line_size, channels, cmyk: false }))
    })
}

fn luminance(r: u8, g: u8, b: u8) -> f64 {
    (0.299 * r as f64 + 0.587 * g as f64 + 0.114 * b as f64) / 255.0
}

fn decode_jpeg(bytes: &[u8], path: &Path) -> Result<GrayImage> {
    guarded(path, "JPEG", || {
        let mut decoder = jpeg_decoder::Decoder::new(std::io::Cursor::new(bytes));
        decoder.read_info().map_err(|err| {
            bad(path, format!("cannot read the JPEG header: {err} (is the file truncated or damaged?)"))
        })?;
        let info = decoder.info().ok_or_else(|| bad(path, "the JPEG has no image header"))?;
        let (w, h) = (info.width as usize, info.height as usize);
        check_dims(path, w, h)?;
        decoder.set_max_decoding_buffer_size(w * h * 4 + 1024);
        let data = decoder.decode().map_err(|err| {
            bad(path, format!("cannot decode the JPEG's pixels: {err} (is the file truncated or damaged?)"))
        })?;
        let (channels, cmyk, data) = match info.pixel_format {
            jpeg_decoder::PixelFormat::L8 => (1, false, data),
            // 16-bit gray: keep the high bytes.
            jpeg_decoder::PixelFormat::L16 => (1, false, data.chunks_exact(2).map(|c| c[0]).collect()),
            jpeg_decoder::PixelFormat::RGB24 => (3, false, data),
            jpeg_decoder::PixelFormat::CMYK32 => (4, true, data),
        };
        if data.len() < w * h * channels {
            return Err(bad(path, "the JPEG decoded to fewer pixels than its header says (truncated?)"));
        }
        Ok(to_gray(&Samples { data: &data, width: w, height: h, stride: w * channels, channels, cmyk }))
    })
}

/// Loads a drawn digit as the course's 1 x 400 row (see the module's steps).
///
/// Errors name the file: everything the image reader rejects, and a blank picture (no ink
/// that stands out from the background).
pub fn load_digit(path: impl AsRef<Path>) -> Result<Array2<f64>> {
    let path = path.as_ref();
    let img = read_gray(path)?;
    digit_from_gray(&img, path)
}

/// Steps 2-6 on a decoded picture; `path` only names it in errors.
pub(crate) fn digit_from_gray(img: &GrayImage, path: &Path) -> Result<Array2<f64>> {
    let (w, h) = (img.width, img.height);
    if w == 0 || h == 0 || img.pixels.len() != w * h {
        return Err(bad(path, format!("{} pixel values for a {w} x {h} image", img.pixels.len())));
    }
    let border: Vec<usize> =
        (0..w).flat_map(|x| [x, (h - 1) * w + x]).chain((0..h).flat_map(|y| [y * w, y * w + w - 1])).collect();
    let mean = |v: &[f64], idx: &[usize]| idx.iter().map(|&i| v[i]).sum::<f64>() / idx.len() as f64;
    // Ink per pixel, raw (before stretching).
    let ink: Vec<f64> = match &img.alpha {
        // Mostly transparent border: the drawing is what is opaque.
        Some(a) if mean(a, &border) < 0.5 => a.clone(),
        // Opaque (or mostly opaque border): composite over white, then by brightness.
        alpha => {
            let gray: Vec<f64> = match alpha {
                Some(a) => img.pixels.iter().zip(a).map(|(p, al)| p * al + (1.0 - al)).collect(),
                None => img.pixels.clone(),
            };
            if mean(&gray, &border) > 0.5 {
                gray.iter().map(|v| 1.0 - v).collect()
            } else {
                gray
            }
        }
    };
    // Stretch: the background (the border's median) to 0, the strongest ink to 1.
    let mut b: Vec<f64> = border.iter().map(|&i| ink[i]).collect();
    b.sort_by(|x, y| x.total_cmp(y));
    let bg = b[b.len() / 2];
    let top = ink.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if top - bg <= 0.15 || top.is_nan() {
        return Err(bad(
            path,
            "the picture is blank: no ink stands out from the background (draw the digit darker or thicker)",
        ));
    }
    // Below a tenth of the strongest ink is background (paper texture, JPEG ringing).
    let ink: Vec<f64> =
        ink.iter().map(|v| ((v - bg) / (top - bg)).clamp(0.0, 1.0)).map(|v| if v < 0.1 { 0.0 } else { v }).collect();
    // Bounding box of the ink (pixels above a quarter of the strongest: JPEG noise stays out).
    let (mut x0, mut y0, mut x1, mut y1) = (w, h, 0, 0);
    for y in 0..h {
        for x in 0..w {
            if ink[y * w + x] > 0.25 {
                x0 = x0.min(x);
                y0 = y0.min(y);
                x1 = x1.max(x);
                y1 = y1.max(y);
            }
        }
    }
    if x0 > x1 {
        return Err(bad(path, "the picture is blank: no ink found"));
    }
    let (bw, bh) = (x1 - x0 + 1, y1 - y0 + 1);
    // Target size: the longer side FIT pixels.
    let scale = FIT as f64 / bw.max(bh) as f64;
    let tw = ((bw as f64 * scale).round() as usize).clamp(1, FIT);
    let th = ((bh as f64 * scale).round() as usize).clamp(1, FIT);
    let small = area_resize(&ink, w, (x0, y0, bw, bh), tw, th);
    // Strongest pixel 1 again (area averaging dims thin strokes).
    let peak = small.iter().copied().fold(0.0f64, f64::max);
    let small: Vec<f64> = if peak > 0.0 { small.iter().map(|v| v / peak).collect() } else { small };
    // Centre of mass of the scaled digit, placed at the centre of the 20 x 20 image.
    let (mut mx, mut my, mut mass) = (0.0, 0.0, 0.0);
    for y in 0..th {
        for x in 0..tw {
            let v = small[y * tw + x];
            mx += v * (x as f64 + 0.5);
            my += v * (y as f64 + 0.5);
            mass += v;
        }
    }
    let (cx, cy) = if mass > 0.0 { (mx / mass, my / mass) } else { (tw as f64 / 2.0, th as f64 / 2.0) };
    let half = SIDE as f64 / 2.0;
    let ox = ((half - cx).round() as i64).clamp(0, (SIDE - tw) as i64) as usize;
    let oy = ((half - cy).round() as i64).clamp(0, (SIDE - th) as i64) as usize;
    let mut out = Array2::zeros((1, SIDE * SIDE));
    for y in 0..th {
        for x in 0..tw {
            // Column-major unrolling: pixel (row r, column c) is entry c * 20 + r.
            out[[0, (ox + x) * SIDE + (oy + y)]] = small[y * tw + x];
        }
    }
    Ok(out)
}

/// Area-averaging resize of the rectangle `(x0, y0, bw, bh)` of a `w`-wide image to `tw x th`.
fn area_resize(
    src: &[f64],
    w: usize,
    (x0, y0, bw, bh): (usize, usize, usize, usize),
    tw: usize,
    th: usize,
) -> Vec<f64> {
    let sx = bw as f64 / tw as f64;
    let sy = bh as f64 / th as f64;
    let mut out = vec![0.0; tw * th];
    for ty in 0..th {
        let (fy0, fy1) = (ty as f64 * sy, (ty + 1) as f64 * sy);
        for tx in 0..tw {
            let (fx0, fx1) = (tx as f64 * sx, (tx + 1) as f64 * sx);
            let (mut sum, mut area) = (0.0, 0.0);
            let mut y = fy0.floor() as usize;
            while (y as f64) < fy1 && y < bh {
                let wy = (fy1.min((y + 1) as f64) - fy0.max(y as f64)).max(0.0);
                let mut x = fx0.floor() as usize;
                while (x as f64) < fx1 && x < bw {
                    let wx = (fx1.min((x + 1) as f64) - fx0.max(x as f64)).max(0.0);
                    sum += src[(y0 + y) * w + x0 + x] * wx * wy;
                    area += wx * wy;
                    x += 1;
                }
                y += 1;
            }
            out[ty * tw + tx] = if area > 0.0 { sum / area } else { 0.0 };
        }
    }
    out
}

/// The path of one of the kit's example drawings in `data/examples/` (e.g. `"three.png"`).
pub fn example_path(name: &str) -> PathBuf {
    super::bundled::data_dir().join("examples").join(name)
}
