//! Tests of the things to play with: explorers, the training animation, the gradient
//! check map, a drawn digit. Set NN_VIZ_OUT=<folder> to keep every picture made here.

use base64::Engine as _;
use ndarray::{s, Array1, Array2};

use super::canvas::Canvas;
use super::digit::{BARS_BASE, BARS_H, BARS_X, BAR_PITCH, BAR_W};
use super::gradmap::{map_layout, map_range};
use super::*;
use crate::io::digit_image::{decode_gray, digit_from_gray, example_path, load_digit, GrayImage};
use crate::lecture::cost::nn_cost_function;
use crate::lecture::gradcheck::check_nn_gradients;
use crate::lecture::network::debug_initialize_weights;
use crate::lecture::{Dataset, Network};
use crate::train::{compare_lambdas, train, TrainConfig, MAX_SNAPSHOTS};

fn keep(name: &str, bytes: &[u8]) {
    if let Ok(dir) = std::env::var("NN_VIZ_OUT") {
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(std::path::Path::new(&dir).join(name), bytes).unwrap();
    }
}

/// Decodes a PNG into (width, height, RGB pixels).
pub(super) fn decode_png(bytes: &[u8]) -> (usize, usize, Vec<u8>) {
    let mut dec = png::Decoder::new(std::io::Cursor::new(bytes));
    dec.set_transformations(png::Transformations::EXPAND);
    let mut r = dec.read_info().unwrap();
    let mut buf = vec![0; r.output_buffer_size().unwrap()];
    let info = r.next_frame(&mut buf).unwrap();
    let ch = info.color_type.samples();
    let rgb = buf[..info.buffer_size()]
        .chunks_exact(ch)
        .flat_map(|p| if ch < 3 { [p[0], p[0], p[0]] } else { [p[0], p[1], p[2]] })
        .collect();
    (info.width as usize, info.height as usize, rgb)
}

pub(super) fn pixel(img: &(usize, usize, Vec<u8>), x: usize, y: usize) -> [u8; 3] {
    let i = (y * img.0 + x) * 3;
    [img.2[i], img.2[i + 1], img.2[i + 2]]
}

fn toy() -> Dataset {
    let x = debug_initialize_weights(40, 15) * 10.0; // 40 x 16: 4x4 "images"
    let y: Array1<usize> = x.rows().into_iter().map(|r| if r[0] + r[5] > r[2] + r[9] { 1 } else { 2 }).collect();
    Dataset::new(x, y, 2).unwrap()
}

/// The `EVCXR_BEGIN_CONTENT <mime>` blocks of a display, as (mime, data).
fn blocks(content: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut lines = content.lines();
    while let Some(l) = lines.next() {
        if let Some(mime) = l.strip_prefix("EVCXR_BEGIN_CONTENT ") {
            let mut data = Vec::new();
            for d in lines.by_ref() {
                if d == "EVCXR_END_CONTENT" {
                    break;
                }
                data.push(d);
            }
            out.push((mime.to_string(), data.join("\n")));
        }
    }
    out
}

#[test]
fn explorer_and_animation_draw_the_runs_own_networks() {
    let data = toy();
    let run = train(&TrainConfig::new(&[16, 4, 2]).iterations(12).seed(2).snapshots(5), &data).unwrap();
    let total = run.history.iterations();
    let ex = training_explorer(&run, Some(&data)).unwrap();
    let gif = training_animation(&run, Some(&data)).unwrap();
    assert_eq!((ex.frame_count(), gif.frame_count()), (5, 5));
    // The last frame is the trained network: its accuracy, its final cost, iteration total.
    let last = fmt_percent(run.network.accuracy(&data).unwrap());
    assert!(ex.html().contains(&format!("iteration {total} of {total}")), "{total}");
    assert!(ex.html().contains(&last) && ex.html().contains(&frames::fmt_cost(run.history.final_cost())), "{last}");
    // Drawing needs the snapshots: a run without them is an error that says how.
    let bare = train(&TrainConfig::new(&[16, 4, 2]).iterations(12).seed(2), &data).unwrap();
    for e in [training_explorer(&bare, None).unwrap_err(), training_animation(&bare, None).unwrap_err()] {
        assert!(e.to_string().contains("kept 0") && e.to_string().contains(".snapshots(11)"), "{e}");
    }
}

#[test]
fn lambda_explorer_is_self_contained_html_with_a_png_fallback() {
    let data = toy();
    let config = TrainConfig::new(&[16, 9, 2]).iterations(15).seed(1);
    let study = compare_lambdas(&config, &data, &data, &[0.0, 0.3, 3.0, 30.0]).unwrap();
    let ex = lambda_explorer(&study).unwrap();
    assert_eq!(ex.frame_count(), 4);
    let html = ex.html();
    assert_eq!(html.matches("class=\"nnx-frame").count(), 4);
    assert_eq!(html.matches("nnx-frame nnx-on").count(), 1, "only the first frame shows without JavaScript");
    assert_eq!(html.matches("src=\"data:image/png;base64,").count(), 9, "units and cost curve per frame, the panel");
    // Without a script the static panel shows and the slider's block stays hidden.
    let (still, live) = (html.find("class=\"nnx-static\"").unwrap(), html.find("class=\"nnx-live\" hidden").unwrap());
    assert!(still < live && html[live..].contains("nnx-frame nnx-on"));
    assert!(html.contains("max=\"3\"") && html.contains("λ = 30") && html.contains("held-out accuracy"));
    for forbidden in ["http:", "https:", "//cdn", "<link", "src=\"http", "EVCXR_END_CONTENT"] {
        assert!(!html.contains(forbidden), "{forbidden}");
    }
    // Every frame's number table.
    for r in &study.results {
        assert!(html.contains(&fmt_percent(r.test_accuracy)));
    }
    // The evcxr display: HTML and the PNG fallback in one output.
    let b = blocks(&ex.evcxr_content());
    assert_eq!(b.iter().map(|(m, _)| m.as_str()).collect::<Vec<_>>(), ["text/html", "image/png"]);
    assert_eq!(b[0].1, html);
    assert_eq!(b[1].1, ex.fallback().png_base64());
    let png = decode_png(ex.fallback().png_bytes());
    assert!(png.0 >= 600 && png.0 <= 1000, "{}", png.0);
    // Two explorers of the same study get different element ids.
    let again = lambda_explorer(&study).unwrap();
    let id = |h: &str| h.split('"').nth(1).unwrap().to_string();
    assert_ne!(id(html), id(again.html()));
    assert!(ex.page().starts_with("<!DOCTYPE html>"));
    keep("toy-lambda-explorer.html", ex.page().as_bytes());
    // A study of nothing is an error; so is a network whose inputs are not images.
    assert!(lambda_explorer(&crate::train::LambdaStudy { results: vec![] }).is_err());
    let odd =
        Dataset::new(Array2::from_shape_fn((10, 3), |(i, j)| (i + j) as f64), Array1::from_elem(10, 1), 2).unwrap();
    let s3 = compare_lambdas(&TrainConfig::new(&[3, 2, 2]).iterations(2), &odd, &odd, &[1.0]).unwrap();
    assert!(lambda_explorer(&s3).unwrap_err().to_string().contains("square number"));
}

#[test]
fn shared_scale_makes_stronger_regularization_fainter() {
    let data = toy();
    let study =
        compare_lambdas(&TrainConfig::new(&[16, 9, 2]).iterations(30).seed(1), &data, &data, &[0.0, 100.0]).unwrap();
    let nets: Vec<&Network> = study.results.iter().map(|r| &r.trained.network).collect();
    let scale = images::shared_scale(&nets).unwrap();
    // Contrast = mean distance from mid-gray over the units' pixels.
    // (over the units' pixels: 4x4 images with 1-pixel padding repeat every 5 pixels)
    let contrast = |c: &Canvas| {
        let v: Vec<f64> = (0..c.w * c.h)
            .filter(|i| !(i % c.w).is_multiple_of(5) && !(i / c.w).is_multiple_of(5))
            .map(|i| (c.px[3 * i] as f64 - 127.5).abs())
            .collect();
        v.iter().sum::<f64>() / v.len() as f64
    };
    let weak = images::units_canvas(nets[0], scale).unwrap();
    let strong = images::units_canvas(nets[1], scale).unwrap();
    assert!(contrast(&strong) < 0.6 * contrast(&weak), "{} vs {}", contrast(&strong), contrast(&weak));
}

#[test]
fn training_explorer_steps_through_iterations() {
    let data = toy();
    let ex = training_explorer(
        &train(&TrainConfig::new(&[16, 4, 2]).iterations(12).seed(2).snapshots(5), &data).unwrap(),
        Some(&data),
    )
    .unwrap();
    assert_eq!(ex.frame_count(), 5);
    for it in ["iteration 0 of 12", "iteration 3 of 12", "iteration 12 of 12"] {
        assert!(ex.html().contains(it), "{it}");
    }
    assert!(ex.html().contains("training accuracy"));
    assert!(train(&TrainConfig::new(&[16, 4, 2]).iterations(3).snapshots(9), &data).is_err());
    // More frames than a notebook should hold: a clear error, before any training.
    for count in [22, 30] {
        let e = train(&TrainConfig::new(&[16, 4, 2]).iterations(40).snapshots(count), &data).unwrap_err();
        assert!(e.to_string().contains("at most 21"), "{e}");
    }
}

#[test]
fn explorers_and_animation_on_the_digits_stay_small() {
    let Ok(data) = crate::io::bundled::digits() else {
        eprintln!("skipped: the bundled digits are not readable");
        return;
    };
    let held = crate::io::bundled::digits_test().unwrap();
    let config = TrainConfig::default().iterations(20);
    let study = compare_lambdas(&config, &data, &held, &[0.0, 0.1, 1.0, 3.0, 10.0, 30.0]).unwrap();
    let ex = lambda_explorer(&study).unwrap();
    let total = ex.evcxr_content().len();
    eprintln!(
        "lambda explorer: HTML {} bytes, fallback PNG {} bytes, display {total} bytes",
        ex.html().len(),
        ex.fallback().png_bytes().len()
    );
    assert!(total <= 500_000, "{total}");
    keep("lambda-explorer.html", ex.page().as_bytes());
    keep("lambda-explorer-fallback.png", ex.fallback().png_bytes());

    // The most frames allowed (MAX_SNAPSHOTS): the largest explorer and animation there can be.
    let run = train(&config.clone().iterations(40).snapshots(MAX_SNAPSHOTS), &data).unwrap();
    let tex = training_explorer(&run, Some(&data)).unwrap();
    let total = tex.evcxr_content().len();
    eprintln!(
        "training explorer: {MAX_SNAPSHOTS} frames, HTML {} bytes, fallback PNG {} bytes, display {total}",
        tex.html().len(),
        tex.fallback().png_bytes().len()
    );
    // 21 frames, and the static panel twice (inside the HTML for script-less viewers, and as
    // the display's image/png): about 580 KB.
    assert!(total <= 620_000, "{total}");
    keep("training-explorer.html", tex.page().as_bytes());
    keep("training-explorer-fallback.png", tex.fallback().png_bytes());

    let gif = training_animation(&run, Some(&data)).unwrap();
    eprintln!("{gif:?}");
    assert!(gif.gif_bytes().len() < 400_000, "{}", gif.gif_bytes().len());
    assert!(gif.width() <= 900);
    assert_eq!(gif.frame_count(), MAX_SNAPSHOTS);
    keep("training.gif", gif.gif_bytes());
    if std::env::var("NN_VIZ_OUT").is_ok() {
        // One frame as a PNG, to look at.
        let nets: Vec<&Network> = run.snapshots.iter().map(|s| &s.network).collect();
        let scale = images::shared_scale(&nets).unwrap();
        let s = &run.snapshots[8];
        let costs = run.costs_from_start();
        let c = animation::training_frame(&s.network, scale, &costs, s.iteration, 40, "1", Some(0.9)).unwrap();
        keep("training-gif-frame-8.png", Figure::from_canvas(&c, None).unwrap().png_bytes());
    }
}

#[test]
fn animation_is_a_looping_gif_whose_frames_decode() {
    let data = toy();
    let gif = training_animation(
        &train(&TrainConfig::new(&[16, 9, 2]).iterations(8).seed(2).snapshots(5), &data).unwrap(),
        Some(&data),
    )
    .unwrap();
    let bytes = gif.gif_bytes();
    assert_eq!(&bytes[..6], b"GIF89a");
    assert!(bytes.windows(11).any(|w| w == b"NETSCAPE2.0"), "loops");
    let mut opts = gif::DecodeOptions::new();
    opts.set_color_output(gif::ColorOutput::RGBA);
    let mut dec = opts.read_info(std::io::Cursor::new(bytes)).unwrap();
    assert_eq!((dec.width() as u32, dec.height() as u32), (gif.width(), gif.height()));
    let mut n = 0;
    while let Some(frame) = dec.read_next_frame().unwrap() {
        assert!(frame.width as u32 <= gif.width() && frame.delay > 0);
        n += 1;
    }
    assert_eq!(n, 5);
    // The evcxr display is one HTML <img> (nbconvert's HTML drops image/gif outputs) whose
    // data URL is this GIF, byte for byte, at its own size.
    let b = blocks(&gif.evcxr_content());
    assert_eq!(b.len(), 1);
    assert_eq!(b[0].0, "text/html");
    let html = &b[0].1;
    assert!(html.starts_with("<img ") && html.ends_with('>') && !html.contains('\n'), "{html}");
    let src =
        html.split("src=\"data:image/gif;base64,").nth(1).and_then(|r| r.split('"').next()).expect("a GIF data URL");
    assert_eq!(base64::engine::general_purpose::STANDARD.decode(src).unwrap(), bytes);
    assert!(html.contains(&format!("width=\"{}\" height=\"{}\"", gif.width(), gif.height())), "{html}");
    // The frames differ (the units and the curve move), and the first decodes to the canvas.
    let frames: Vec<Canvas> = (0..2).map(|k| Canvas::new(20, 10, [k * 200, 255, 255])).collect();
    let two = animation::encode_gif(&frames, &[10, 10]).unwrap();
    let mut dec = gif::DecodeOptions::new().read_info(std::io::Cursor::new(two.gif_bytes())).unwrap();
    let mut count = 0;
    while dec.read_next_frame().unwrap().is_some() {
        count += 1;
    }
    assert_eq!(count, 2);
    assert!(animation::encode_gif(&[], &[]).is_err());
}

/// The course's checkNNGradients network with a cost whose gradient regularizes Theta2's
/// bias column: the mistake a student makes by forgetting the `1:end`.
fn bias_regularized(
    t1: &Array2<f64>,
    t2: &Array2<f64>,
    x: &Array2<f64>,
    y: &Array1<usize>,
    lambda: f64,
) -> crate::error::Result<(f64, Array2<f64>, Array2<f64>)> {
    let (j, g1, mut g2) = nn_cost_function(t1, t2, x, y, lambda)?;
    let m = x.nrows() as f64;
    let col = t2.slice(s![.., 0]).mapv(|v| v * lambda / m);
    let mut first = g2.slice_mut(s![.., 0]);
    first += &col;
    Ok((j, g1, g2))
}

#[test]
fn gradient_check_map_lights_up_exactly_the_broken_column() {
    let broken = check_nn_gradients(&bias_regularized, 3.0).unwrap();
    assert!(!broken.passed());
    let fig = gradient_check_map(&broken).unwrap();
    keep("gradient-check-map-broken.png", fig.png_bytes());
    let img = decode_png(fig.png_bytes());
    let layout = map_layout(&broken.sizes);
    assert_eq!((img.0, img.1), (layout.width, layout.height));
    let lum = |p: [u8; 3]| 0.299 * p[0] as f64 + 0.587 * p[1] as f64 + 0.114 * p[2] as f64;
    let mut bright = Vec::new();
    for b in &layout.blocks {
        for r in 0..b.rows {
            for c in 0..b.cols {
                let (x, y, size) = b.cell_rect(r, c);
                // A corner of the cell, away from its printed value and the grid lines.
                let p = pixel(&img, x + 3, y + 3);
                assert!(size >= 20);
                if lum(p) > 150.0 {
                    bright.push((b.layer, r + 1, c + 1));
                } else {
                    assert!(lum(p) < 80.0, "Theta{}({}, {}) is neither dark nor bright: {p:?}", b.layer, r + 1, c + 1);
                }
            }
        }
    }
    assert_eq!(bright, [(2, 1, 1), (2, 2, 1), (2, 3, 1)], "only Theta2's bias column is bright");

    // The correct gradient: dark everywhere (the scale's top is at least 1e-6).
    let good = check_nn_gradients(&nn_cost_function, 3.0).unwrap();
    let fig = gradient_check_map(&good).unwrap();
    keep("gradient-check-map-correct.png", fig.png_bytes());
    let img = decode_png(fig.png_bytes());
    for b in &layout.blocks {
        for r in 0..b.rows {
            for c in 0..b.cols {
                let (x, y, _) = b.cell_rect(r, c);
                assert!(lum(pixel(&img, x + 3, y + 3)) < 80.0);
            }
        }
    }
    // Scale: at most 12 decades, at least 2, top >= 1e-6.
    assert_eq!(map_range([1e-11, 2e-12].into_iter()), (-12.0, -6.0));
    assert_eq!(map_range([0.05, 1e-13].into_iter()), (-13.0, -1.0));
    assert_eq!(map_range([0.05, 1e-20].into_iter()), (-13.0, -1.0));
    assert_eq!(map_range([0.0].into_iter()), (-16.0, -6.0));
    // A report that does not fit its sizes.
    let mut bad = good.clone();
    bad.sizes = vec![3, 4, 3];
    assert!(gradient_check_map(&bad).is_err());
}

#[test]
fn the_example_drawings_load_in_the_course_format_and_are_read_right() {
    for (name, digit) in [("three.png", 3usize), ("seven.jpg", 7)] {
        let path = example_path(name);
        let x = load_digit(&path).unwrap();
        assert_eq!(x.dim(), (1, 400));
        assert!(x.iter().all(|v| (0.0..=1.0).contains(v)));
        let max = x.iter().copied().fold(0.0, f64::max);
        assert!((max - 1.0).abs() < 1e-12);
        // Bright digit on a dark background: the border of the 20x20 image is (nearly) empty.
        let img = |r: usize, c: usize| x[[0, c * 20 + r]];
        let border: f64 = (0..20).map(|k| img(0, k) + img(19, k) + img(k, 0) + img(k, 19)).sum();
        assert!(border < 3.0, "{name}: {border}");
        assert!(x.iter().filter(|v| **v == 0.0).count() > 250, "{name}: mostly background");
        // The longer side fills 16 pixels.
        let rows: Vec<usize> = (0..20).filter(|&r| (0..20).any(|c| img(r, c) > 0.0)).collect();
        let cols: Vec<usize> = (0..20).filter(|&c| (0..20).any(|r| img(r, c) > 0.0)).collect();
        let (h, w) = (rows.last().unwrap() - rows[0] + 1, cols.last().unwrap() - cols[0] + 1);
        assert!(h.max(w) == 16 || h.max(w) == 17, "{name}: {h} x {w}");
        // Centre of mass near the middle.
        let (mut mr, mut mc, mut m) = (0.0, 0.0, 0.0);
        for r in 0..20 {
            for c in 0..20 {
                mr += img(r, c) * (r as f64 + 0.5);
                mc += img(r, c) * (c as f64 + 0.5);
                m += img(r, c);
            }
        }
        assert!((mr / m - 10.0).abs() < 1.0 && (mc / m - 10.0).abs() < 1.0, "{name}: {} {}", mr / m, mc / m);
        if let Ok(net) = crate::io::bundled::weights() {
            let p = net.predict(&x).unwrap()[0];
            assert_eq!(crate::lecture::data::label_to_digit(p), digit, "{name}");
            let fig = digit_prediction(&net, &x).unwrap();
            keep(&format!("prediction-{}.png", name.split('.').next().unwrap()), fig.png_bytes());
            // The predicted digit's bar is green, the others blue.
            let img = decode_png(fig.png_bytes());
            let bar = |d: usize| pixel(&img, BARS_X + d * BAR_PITCH + BAR_W / 2, BARS_BASE - 2);
            assert_eq!(bar(digit), [0, 120, 40], "{name}");
            let out = crate::lecture::network::feedforward(&net, &x).unwrap();
            for d in (0..10).filter(|&d| d != digit) {
                let label = if d == 0 { 10 } else { d };
                if out.h()[[0, label - 1]] > 0.01 {
                    assert_eq!(bar(d), PALETTE_BLUE, "{name} digit {d}");
                }
            }
            // The bar's height is its output: the top of the predicted digit's bar.
            let top =
                BARS_BASE - (out.h()[[0, if digit == 0 { 9 } else { digit - 1 }]] * BARS_H as f64).round() as usize;
            assert_eq!(pixel(&img, BARS_X + digit * BAR_PITCH + BAR_W / 2, top + 1), [0, 120, 40]);
            assert_eq!(pixel(&img, BARS_X + digit * BAR_PITCH + BAR_W / 2, top - 3), [255, 255, 255]);
        }
    }
}

const PALETTE_BLUE: [u8; 3] = [31, 119, 180];

#[test]
fn inverted_and_transparent_drawings_give_the_same_row() {
    // A plus sign, dark on light, light on dark, and opaque on transparent.
    let (w, h) = (60, 50);
    let ink = |x: usize, y: usize| {
        (x.abs_diff(30) < 4 && (10..40).contains(&y)) || (y.abs_diff(25) < 4 && (12..48).contains(&x))
    };
    let gray = |dark_on_light: bool| GrayImage {
        width: w,
        height: h,
        pixels: (0..w * h).map(|i| if ink(i % w, i / w) == dark_on_light { 0.05 } else { 0.95 }).collect(),
        alpha: None,
    };
    let p = std::path::Path::new("plus.png");
    let a = digit_from_gray(&gray(true), p).unwrap();
    let b = digit_from_gray(&gray(false), p).unwrap();
    let c = digit_from_gray(
        &GrayImage {
            width: w,
            height: h,
            pixels: vec![0.0; w * h],
            alpha: Some((0..w * h).map(|i| if ink(i % w, i / w) { 1.0 } else { 0.0 }).collect()),
        },
        p,
    )
    .unwrap();
    let diff = |x: &Array2<f64>, y: &Array2<f64>| (x - y).iter().fold(0.0f64, |m, v| m.max(v.abs()));
    assert!(diff(&a, &b) < 1e-9 && diff(&a, &c) < 1e-9);
    // Wider than tall: 16 columns wide.
    let cols = (0..20).filter(|&col| (0..20).any(|r| a[[0, col * 20 + r]] > 0.0)).count();
    assert_eq!(cols, 16);
    // The same plus 40 times larger, as an RGB PNG: averaged down 2x2 on decoding
    // (4.8 megapixels > WORK_PIXELS), the same row to within rounding of the edges.
    let k = 40;
    let mut big = Canvas::new(w * k, h * k, [240, 240, 235]);
    for y in 0..h {
        for x in 0..w {
            if ink(x, y) {
                big.fill_rect((x * k) as i64, (y * k) as i64, k, k, [20, 20, 60]);
            }
        }
    }
    let png = Figure::from_canvas(&big, None).unwrap();
    let decoded = decode_gray(png.png_bytes(), std::path::Path::new("big.png")).unwrap();
    assert_eq!((decoded.width, decoded.height), (w * k / 2, h * k / 2));
    let d = digit_from_gray(&decoded, p).unwrap();
    let mean = (&d - &a).iter().map(|v| v.abs()).sum::<f64>() / 400.0;
    assert!(mean < 0.02, "{mean}");
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &b in data {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = if crc & 1 != 0 { (crc >> 1) ^ 0xedb8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

/// A PNG signature and IHDR claiming `w x h` (and nothing else).
fn png_header(w: u32, h: u32) -> Vec<u8> {
    let mut v = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut chunk = b"IHDR".to_vec();
    chunk.extend_from_slice(&w.to_be_bytes());
    chunk.extend_from_slice(&h.to_be_bytes());
    chunk.extend_from_slice(&[8, 0, 0, 0, 0]); // 8-bit gray
    v.extend_from_slice(&13u32.to_be_bytes());
    v.extend_from_slice(&chunk);
    v.extend_from_slice(&crc32(&chunk).to_be_bytes());
    v
}

#[test]
fn bad_images_are_clear_errors_naming_the_file() {
    let dir = crate::test_support::TempDir::new("digit");
    let write = |name: &str, bytes: &[u8]| {
        let p = dir.join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    };
    let three = std::fs::read(example_path("three.png")).unwrap();
    let seven = std::fs::read(example_path("seven.jpg")).unwrap();
    // A blank white PNG, drawn by the kit's own encoder.
    let blank = Figure::from_canvas(&Canvas::new(50, 40, [250, 250, 250]), None).unwrap();
    // A JPEG header (SOI, SOF0) claiming 60000 x 60000.
    let mut huge_jpeg = vec![0xFF, 0xD8, 0xFF, 0xC0, 0, 11, 8];
    huge_jpeg.extend_from_slice(&60000u16.to_be_bytes());
    huge_jpeg.extend_from_slice(&60000u16.to_be_bytes());
    huge_jpeg.extend_from_slice(&[1, 1, 0x11, 0]);
    let cases: Vec<(std::path::PathBuf, &str)> = vec![
        (write("notes.png", b"these are my notes, not a picture"), "not a PNG or JPEG"),
        (write("empty.png", b""), "empty"),
        (write("blank.png", blank.png_bytes()), "blank"),
        (write("huge.png", &png_header(20_000, 20_000)), "20000 x 20000"),
        (write("wide.png", &png_header(10_001, 1)), "10001 x 1"),
        (write("zero.png", &png_header(0, 5)), "PNG"),
        (write("huge.jpg", &huge_jpeg), "60000 x 60000"),
        (write("half.png", &three[..three.len() / 2]), "PNG"),
        (write("half.jpg", &seven[..seven.len() / 3]), "JPEG"),
        (write("header-only.png", &png_header(30, 30)), "PNG"),
        (dir.join("missing.png"), "could not read"),
    ];
    for (path, want) in &cases {
        let e = load_digit(path).unwrap_err().to_string();
        assert!(e.contains(&path.display().to_string()), "{e}");
        assert!(e.contains(want), "{}: {e}", path.display());
    }
    assert!(decode_gray(b"GIF89a", std::path::Path::new("x.gif")).unwrap_err().to_string().contains("x.gif"));
}

#[test]
fn digit_prediction_checks_its_input() {
    let net = Network::random(&[400, 25, 10], Default::default(), 0).unwrap();
    assert!(digit_prediction(&net, &Array2::zeros((1, 399))).is_err());
    assert!(digit_prediction(&net, &Array2::zeros((3, 400))).unwrap_err().to_string().contains("one row"));
    let small = Network::random(&[4, 3, 2], Default::default(), 0).unwrap();
    assert!(digit_prediction(&small, &Array2::zeros((1, 4))).unwrap_err().to_string().contains("10 units"));
    let mut x = Array2::zeros((1, 400));
    x[[0, 3]] = f64::NAN;
    assert!(digit_prediction(&net, &x).is_err());
}
