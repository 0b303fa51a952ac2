//! Pixel-level and end-to-end tests of the pictures, on small synthetic inputs.

use std::io::Cursor;

use base64::Engine as _;
use ndarray::{Array1, Array2};

use super::canvas::{font, text_mask, Canvas};
use super::images::{grid_canvas, grid_shape, lambda_panel_of, PanelEntry, CM_CELL, CM_LEFT, CM_TOP};
use super::validation_chart::validation_curve_of;
use super::*;
use crate::lecture::gradcheck::{check_gradients, check_nn_gradients};
use crate::lecture::network::{Init, Network};
use crate::optim::{History, StopReason};
use crate::NnError;

/// A decoded PNG: size, channels, 8-bit samples.
struct Decoded {
    w: usize,
    h: usize,
    channels: usize,
    data: Vec<u8>,
}

impl Decoded {
    fn rgb(&self, x: usize, y: usize) -> [u8; 3] {
        let i = (y * self.w + x) * self.channels;
        if self.channels == 1 {
            [self.data[i]; 3]
        } else {
            [self.data[i], self.data[i + 1], self.data[i + 2]]
        }
    }
    /// Pixels in the rectangle that are clearly not white (text, lines, images).
    fn inked(&self, x0: usize, y0: usize, x1: usize, y1: usize) -> usize {
        let mut n = 0;
        for y in y0..y1.min(self.h) {
            for x in x0..x1.min(self.w) {
                if self.rgb(x, y).iter().any(|&c| c < 160) {
                    n += 1;
                }
            }
        }
        n
    }
}

fn decode(fig: &Figure) -> Decoded {
    let dec = png::Decoder::new(Cursor::new(fig.png_bytes().to_vec()));
    let mut reader = dec.read_info().expect("a valid PNG header");
    let mut buf = vec![0; reader.output_buffer_size().expect("size fits")];
    let info = reader.next_frame(&mut buf).expect("a valid PNG frame");
    assert_eq!(info.bit_depth, png::BitDepth::Eight);
    let channels = match info.color_type {
        png::ColorType::Grayscale => 1,
        png::ColorType::Rgb => 3,
        other => panic!("unexpected colour type {other:?}"),
    };
    buf.truncate(info.buffer_size());
    Decoded { w: info.width as usize, h: info.height as usize, channels, data: buf }
}

/// One 20x20 image, unrolled column-major, zero except `value` at (row, col).
fn one_pixel(row: usize, col: usize, value: f64) -> Array2<f64> {
    let mut x = Array2::zeros((1, 400));
    x[[0, col * 20 + row]] = value;
    x
}

fn history(n: usize, start: f64) -> History {
    History {
        costs: (1..=n).map(|i| start / (1.0 + i as f64)).collect(),
        initial_cost: start,
        evaluations: n,
        elapsed: Default::default(),
        stop_reason: StopReason::IterationLimit,
    }
}

/// Images that look a bit like strokes: smooth, mostly zero, values in 0..1.
fn strokes(m: usize) -> Array2<f64> {
    Array2::from_shape_fn((m, 400), |(i, j)| {
        let (col, row) = (j / 20, j % 20);
        let c = 4 + i % 12;
        if (row as i64 - c as i64).abs() <= 1 && (3..17).contains(&col) || (col == 10 && (2..18).contains(&row)) {
            0.5 + 0.5 * ((i + j) % 3) as f64 / 2.0
        } else {
            0.0
        }
    })
}

fn labels(m: usize) -> Array1<usize> {
    Array1::from_shape_fn(m, |i| 1 + (i * 7) % 10)
}

// ---------------------------------------------------------------------------
// Pixels of the digit grid.

#[test]
fn one_bright_pixel_lands_upright_not_transposed() {
    // Pixel (row 2, column 7) of the upright image; unrolled index 7 * 20 + 2.
    let c = grid_canvas(one_pixel(2, 7, 1.0).view(), "X").unwrap();
    assert_eq!((c.w, c.h), (22, 22)); // 1-pixel padding around one 20x20 image
    assert_eq!(c.get(1 + 7, 1 + 2), [255; 3], "the bright pixel is at x = column, y = row");
    // Transposed, it would be at (x = 2, y = 7): there the image is zero, mid-gray.
    assert_eq!(c.get(1 + 2, 1 + 7), [128; 3], "a transposed image would put the pixel here");
    let bright = (0..22).flat_map(|y| (0..22).map(move |x| (x, y))).filter(|&(x, y)| c.get(x, y) == [255; 3]).count();
    assert_eq!(bright, 1);

    // The same through the public function, enlarged and PNG-encoded.
    let fig = display_data(&one_pixel(2, 7, 1.0)).unwrap();
    let d = decode(&fig);
    let k = d.w / 22;
    assert!(k >= 2 && d.w == 22 * k && d.h == 22 * k, "{}x{}", d.w, d.h);
    assert_eq!(d.rgb((1 + 7) * k + k / 2, (1 + 2) * k + k / 2), [255; 3]);
    assert_eq!(d.rgb((1 + 2) * k + k / 2, (1 + 7) * k + k / 2), [128; 3]);
}

#[test]
fn a_vertical_stroke_stays_vertical() {
    // Column 5, rows 2..18 of the upright image: a "1". Column-major, that is one
    // contiguous run of the unrolled row: indices 5 * 20 + 2 .. 5 * 20 + 18.
    let mut x = Array2::zeros((1, 400));
    for r in 2..18 {
        x[[0, 5 * 20 + r]] = 1.0;
    }
    let c = grid_canvas(x.view(), "X").unwrap();
    for r in 2..18 {
        assert_eq!(c.get(1 + 5, 1 + r), [255; 3], "row {r}");
        assert_eq!(c.get(1 + r, 1 + 5), if r == 5 { [255; 3] } else { [128; 3] }, "transposed row {r}");
    }
}

#[test]
fn each_image_is_scaled_by_its_own_max_abs() {
    let mut x = Array2::zeros((4, 400));
    x[[0, 0]] = 0.5; // max 0.5 -> white
    x[[0, 1]] = 0.25; // half of the max -> 0.5 -> 191
    x[[1, 0]] = 100.0; // max 100 -> white
    x[[1, 1]] = -100.0; // -max -> black
    x[[2, 3]] = -2.0; // only negative: -1 -> black; zeros stay mid-gray
                      // image 3 is all zeros: mid-gray everywhere, no division by zero
    let c = grid_canvas(x.view(), "X").unwrap();
    let (rows, cols) = grid_shape(4);
    assert_eq!((rows, cols), (2, 2));
    let origin = |k: usize| (1 + (k % cols) * 21, 1 + (k / cols) * 21);
    let px = |k: usize, row: usize, col: usize| {
        let (ox, oy) = origin(k);
        c.get(ox + col, oy + row)[0]
    };
    assert_eq!(px(0, 0, 0), 255);
    assert_eq!(px(0, 1, 0), 191); // (0.5 + 1) / 2 * 255 = 191.25
    assert_eq!(px(0, 5, 5), 128);
    assert_eq!(px(1, 0, 0), 255);
    assert_eq!(px(1, 1, 0), 0);
    assert_eq!(px(2, 3, 0), 0);
    assert_eq!(px(2, 0, 0), 128);
    assert!((0..20).all(|r| (0..20).all(|q| px(3, r, q) == 128)));
}

#[test]
fn padding_and_empty_cells_are_black() {
    // 5 images: floor(sqrt(5)) = 2 rows, 3 columns, one empty cell.
    let x = Array2::from_elem((5, 400), 1.0); // every image all white
    let c = grid_canvas(x.view(), "X").unwrap();
    assert_eq!((c.w, c.h), (1 + 3 * 21, 1 + 2 * 21));
    for y in 0..c.h {
        for x in 0..c.w {
            let on_pad = x % 21 == 0 || y % 21 == 0;
            let empty_cell = x > 2 * 21 && y > 21;
            let expect = if on_pad || empty_cell { [0; 3] } else { [255; 3] };
            assert_eq!(c.get(x, y), expect, "pixel ({x}, {y})");
        }
    }
}

#[test]
fn grid_shape_is_displaydata_s() {
    assert_eq!(grid_shape(1), (1, 1));
    assert_eq!(grid_shape(3), (1, 3));
    assert_eq!(grid_shape(10), (3, 4));
    assert_eq!(grid_shape(25), (5, 5));
    assert_eq!(grid_shape(100), (10, 10));
    assert_eq!(grid_shape(5000), (70, 72));
}

#[test]
fn digit_grid_samples_distinct_rows_reproducibly() {
    // Row i is all i + 1: each image is uniformly white after scaling, so look at
    // which rows were drawn through a marker pixel whose value encodes the row.
    let m = 50;
    let mut x = Array2::from_elem((m, 400), 1.0);
    for i in 0..m {
        x[[i, 0]] = -(i as f64) / m as f64; // pixel (0, 0): gray level encodes the row
    }
    let a = digit_grid(&x, Some(16), 7).unwrap();
    assert_eq!(a, digit_grid(&x, Some(16), 7).unwrap());
    assert_ne!(a, digit_grid(&x, Some(16), 8).unwrap());
    let d = decode(&a);
    let k = d.w / (1 + 4 * 21);
    let mut seen: Vec<u8> = (0..16).map(|j| d.rgb((1 + (j % 4) * 21) * k, (1 + (j / 4) * 21) * k)[0]).collect();
    seen.sort_unstable();
    seen.dedup();
    assert_eq!(seen.len(), 16, "16 different rows");
    // Default: 100, or all rows when there are fewer.
    assert_eq!(
        decode(&digit_grid(&x, None, 0).unwrap()).w,
        decode(&display_data(x.slice(ndarray::s![..50, ..])).unwrap()).w
    );
}

// ---------------------------------------------------------------------------
// Figure: PNG, SVG, evcxr, files.

#[test]
fn png_decodes_with_the_figure_s_size() {
    let x = strokes(100);
    let net = Network::random(&[400, 25, 10], Init::default(), 3).unwrap();
    let figs = [
        digit_grid(&x, None, 0).unwrap(),
        hidden_units(&net).unwrap(),
        cost_curves(&[("a", &history(30, 7.0))]).unwrap(),
        confusion_matrix(&labels(100), &labels(100)).unwrap(),
    ];
    for fig in &figs {
        let d = decode(fig);
        assert_eq!((d.w as u32, d.h as u32), (fig.width(), fig.height()));
        assert_eq!(d.data.len(), d.w * d.h * d.channels);
    }
    // Digit grids are grayscale PNGs; charts are colour.
    assert_eq!(decode(&figs[0]).channels, 1);
    assert_eq!(decode(&figs[2]).channels, 3);
    // 100 digits: 10 x 10 images of 20 pixels plus padding, enlarged.
    let d = decode(&figs[0]);
    assert_eq!(d.w % 211, 0);
    assert!(d.w >= 600 && d.w <= 640, "{}", d.w);
}

#[test]
fn pngs_are_small() {
    let grid = digit_grid(&strokes(200), None, 0).unwrap();
    assert!(grid.png_bytes().len() < 40_000, "100 stroke digits: {} bytes", grid.png_bytes().len());
    // Worst case, pure noise in every pixel, still well under 100 KB.
    let noise = Array2::from_shape_fn((100, 400), |(i, j)| (((i * 7919 + j * 104729) % 1009) as f64 / 1009.0) - 0.5);
    let grid = display_data(&noise).unwrap();
    assert!(grid.png_bytes().len() < 100_000, "100 noise digits: {} bytes", grid.png_bytes().len());
    let net = Network::random(&[400, 25, 10], Init::default(), 3).unwrap();
    assert!(hidden_units(&net).unwrap().png_bytes().len() < 100_000);
}

#[test]
fn evcxr_display_string_is_well_formed() {
    let fig = display_data(&one_pixel(0, 0, 1.0)).unwrap();
    let s = fig.evcxr_content();
    let lines: Vec<&str> = s.split('\n').collect();
    assert_eq!(lines.len(), 3, "{s:.200}");
    assert_eq!(lines[0], "EVCXR_BEGIN_CONTENT image/png");
    assert_eq!(lines[2], "EVCXR_END_CONTENT");
    assert!(lines[1].bytes().all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/' || b == b'='));
    let bytes = base64::engine::general_purpose::STANDARD.decode(lines[1]).unwrap();
    assert_eq!(bytes, fig.png_bytes());
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    assert_eq!(fig.png_base64(), lines[1]);
}

#[test]
fn saving_is_atomic_and_errors_name_the_path() {
    let dir = crate::test_support::TempDir::new("viz-test");
    let pixel = display_data(&one_pixel(1, 1, 1.0)).unwrap();
    let chart = cost_curves(&[("training", &history(5, 3.0))]).unwrap();

    let png_path = dir.join("grid.png");
    std::fs::write(&png_path, b"old contents").unwrap();
    pixel.save_png(&png_path).unwrap();
    assert_eq!(std::fs::read(&png_path).unwrap(), pixel.png_bytes());
    chart.save(dir.join("cost.svg")).unwrap();
    let svg = std::fs::read_to_string(dir.join("cost.svg")).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("Objective") && svg.trim_end().ends_with("</svg>"));
    chart.save(dir.join("cost.png")).unwrap();
    assert_eq!(std::fs::read(dir.join("cost.png")).unwrap(), chart.png_bytes());
    // No temporary files left behind.
    let names = dir.entries();
    assert!(names.iter().all(|n| !n.starts_with('.')), "{names:?}");

    // A pixel picture has no SVG.
    let e = pixel.save_svg(dir.join("grid.svg")).unwrap_err();
    assert!(matches!(e, NnError::Plot(_)) && e.to_string().contains("grid.svg"), "{e}");
    // A folder that does not exist.
    let missing = dir.join("no-such-folder").join("x.png");
    let e = pixel.save_png(&missing).unwrap_err();
    assert!(matches!(e, NnError::Io { .. }), "{e}");
    assert!(e.to_string().contains("no-such-folder"), "{e}");
    // An unknown extension.
    assert!(pixel.save(dir.join("x.jpg")).unwrap_err().to_string().contains("x.jpg"));
}

// ---------------------------------------------------------------------------
// Text.

#[test]
fn the_embedded_font_has_the_glyphs_we_write() {
    use ab_glyph::Font;
    for c in "AZaz09 =%.,:()-+λΘ·−≈→✓".chars() {
        assert!(font().glyph_id(c).0 != 0 || c == ' ', "no glyph for {c:?}");
    }
    let m = text_mask("λ = 0.3", 16.0);
    assert!(m.cov.iter().filter(|&&v| v > 0.5).count() > 30);
}

#[test]
fn the_lambda_panel_uses_one_gray_scale_so_small_weights_look_faint() {
    let net = Network::random(&[400, 25, 10], Init::default(), 1).unwrap();
    let faint = Network::new(net.thetas().iter().map(|t| t * 0.1).collect()).unwrap();
    let entry =
        |network| PanelEntry { network, lambda: 1.0, final_cost: 0.5, train_accuracy: 0.9, held_out_accuracy: None };
    let img = decode(&lambda_panel_of(&[entry(&net), entry(&faint)]).unwrap());
    // Spread of the gray values over the middle of each panel's grid.
    let spread = |x0: usize, x1: usize| {
        let v: Vec<f64> =
            (60..200).flat_map(|y| (x0..x1).map(move |x| (x, y))).map(|(x, y)| img.rgb(x, y)[0] as f64).collect();
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        (v.iter().map(|g| (g - mean).powi(2)).sum::<f64>() / v.len() as f64).sqrt()
    };
    let (strong, weak) = (spread(img.w / 8, 3 * img.w / 8), spread(5 * img.w / 8, 7 * img.w / 8));
    assert!(weak < 0.6 * strong, "weights 10x smaller should look faint: spread {weak:.1} vs {strong:.1}");
}

#[test]
fn captions_render_text() {
    let net = Network::random(&[400, 25, 10], Init::default(), 1).unwrap();
    let panel = |lambda: f64| {
        lambda_panel_of(&[PanelEntry {
            network: &net,
            lambda,
            final_cost: 0.5,
            train_accuracy: 0.9,
            held_out_accuracy: Some(0.8),
        }])
        .unwrap()
    };
    let (a, b) = (decode(&panel(0.0)), decode(&panel(30.0)));
    assert_eq!((a.w, a.h), (b.w, b.h));
    // The caption (below the 5 x 5 grid, above the gray-scale legend) has ink in it...
    let caption_top = a.h - 150;
    let ink = a.inked(0, caption_top, a.w, a.h);
    assert!(ink > 300, "caption ink: {ink} pixels");
    // ...and the ink says which lambda: the two captions differ, the grids do not.
    let differ = |y0: usize, y1: usize| (y0..y1).any(|y| (0..a.w).any(|x| a.rgb(x, y) != b.rgb(x, y)));
    assert!(differ(caption_top, a.h));
    assert!(!differ(40, caption_top - 30));
    // The title too.
    assert!(a.inked(0, 0, a.w, 30) > 200);
    // Chart text: the legend column of a cost chart holds its labels.
    let c = decode(&cost_curves(&[("λ = 1", &history(10, 5.0))]).unwrap());
    assert!(c.inked(c.w - 120, 30, c.w, 80) > 100);
    // Axis labels below the plot.
    assert!(c.inked(0, c.h - 40, c.w - 200, c.h) > 100);
}

#[test]
fn text_is_placed_where_asked() {
    let mut c = Canvas::new(200, 40, [255; 3]);
    c.text("Hello", 100.0, 10.0, 16.0, [0; 3], super::canvas::Align::Center);
    let inked: Vec<(usize, usize)> =
        (0..40).flat_map(|y| (0..200).map(move |x| (x, y))).filter(|&(x, y)| c.get(x, y)[0] < 128).collect();
    let (xmin, xmax) = (inked.iter().map(|p| p.0).min().unwrap(), inked.iter().map(|p| p.0).max().unwrap());
    let (ymin, ymax) = (inked.iter().map(|p| p.1).min().unwrap(), inked.iter().map(|p| p.1).max().unwrap());
    assert!(ymin >= 10 && ymax < 10 + 20, "y {ymin}..{ymax}");
    assert!(((xmin + xmax) as i64 / 2 - 100).abs() <= 2, "x {xmin}..{xmax}");
}

/// Rendering never loads system font libraries: after drawing every kind of
/// text, the process has no fontconfig or freetype mapped.
#[cfg(target_os = "linux")]
#[test]
fn no_system_font_libraries_are_loaded() {
    let _ = cost_curves(&[("λ = 1", &history(10, 5.0))]).unwrap();
    let _ = confusion_matrix(&labels(20), &labels(20)).unwrap();
    let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
    for lib in ["fontconfig", "freetype"] {
        assert!(!maps.contains(lib), "{lib} is mapped into the test process");
    }
}

// ---------------------------------------------------------------------------
// Every figure, for 1, 25 and 100 images, 2-layer and 3-hidden-layer networks.

#[test]
fn every_figure_renders_for_1_25_and_100_images() {
    for m in [1usize, 25, 100] {
        let x = strokes(m);
        let y = labels(m);
        let mut pred = y.clone();
        pred[0] = if y[0] == 10 { 1 } else { y[0] + 1 };
        for fig in [
            display_data(&x).unwrap(),
            digit_grid(&x, Some(m), 0).unwrap(),
            digit_grid(&x, None, 0).unwrap(),
            predictions(&x, &pred, &y, None, 0).unwrap(),
            predictions(&x, &pred, &y, Some(m), 1).unwrap(),
            misclassified(&x, &pred, &y, None, 0).unwrap(),
            misclassified(&x, &y, &y, None, 0).unwrap(),
            confusion_matrix(&pred, &y).unwrap(),
            cost_curves(&[("training", &history(m, 6.9))]).unwrap(),
        ] {
            let d = decode(&fig);
            assert!(d.w > 20 && d.h > 20 && d.w < 4000 && d.h < 4000, "{m}: {}x{}", d.w, d.h);
        }
        let (rows, cols) = grid_shape(m);
        assert_eq!(decode(&display_data(&x).unwrap()).w % (1 + cols * 21), 0);
        assert_eq!(decode(&display_data(&x).unwrap()).h % (1 + rows * 21), 0);
        // m hidden units.
        let net = Network::random(&[400, m, 10], Init::default(), 0).unwrap();
        let d = decode(&hidden_units(&net).unwrap());
        assert_eq!((d.w % (1 + cols * 21), d.h % (1 + rows * 21)), (0, 0));
        assert!(lambda_panel_of(&[PanelEntry {
            network: &net,
            lambda: 1.0,
            final_cost: 0.3,
            train_accuracy: 0.95,
            held_out_accuracy: None
        }])
        .is_ok());
    }
}

#[test]
fn every_figure_renders_for_2_layer_and_3_hidden_layer_networks() {
    let shallow = Network::random(&[400, 25, 10], Init::default(), 0).unwrap();
    let deep = Network::random(&[400, 25, 16, 9, 10], Init::default(), 0).unwrap();
    let x = strokes(30);
    let y = labels(30);
    for net in [&shallow, &deep] {
        let a = decode(&hidden_units(net).unwrap());
        assert_eq!(a.w, a.h); // 25 units: 5 x 5
        let pred = net.predict(&x).unwrap();
        confusion_matrix(&pred, &y).unwrap();
        predictions(&x, &pred, &y, Some(9), 0).unwrap();
        misclassified(&x, &pred, &y, None, 0).unwrap();
    }
    let entries: Vec<PanelEntry> = [&shallow, &deep, &shallow, &deep, &shallow]
        .iter()
        .enumerate()
        .map(|(i, n)| PanelEntry {
            network: n,
            lambda: i as f64,
            final_cost: 1.0,
            train_accuracy: 0.9,
            held_out_accuracy: Some(0.85),
        })
        .collect();
    let five = decode(&lambda_panel_of(&entries).unwrap());
    let two = decode(&lambda_panel_of(&entries[..2]).unwrap());
    assert!(five.h > two.h, "five panels wrap to two rows");
    // Gradient checks of a 2-layer (one hidden layer) and a 3-hidden-layer network.
    let r2 = check_nn_gradients(&crate::lecture::cost::nn_cost_function, 0.0).unwrap();
    let r4 = check_gradients(&crate::lecture::cost::nn_cost_function_deep, &[4, 5, 4, 3, 3], 1.0).unwrap();
    for r in [&r2, &r4] {
        let fig = gradient_check(r).unwrap();
        assert!(fig.svg().unwrap().contains("Theta1"));
        let d = decode(&fig);
        assert!(d.w > d.h);
    }
    assert!(gradient_check(&r4).unwrap().svg().unwrap().contains("Theta4"));
}

#[test]
fn confusion_matrix_puts_digit_zero_first() {
    // Every example is label 10 (the digit 0), predicted right.
    let y = Array1::from_elem(20, 10usize);
    let d = decode(&confusion_matrix(&y, &y).unwrap());
    let cell = |row: usize, col: usize| d.rgb(CM_LEFT + col * CM_CELL + 4, CM_TOP + row * CM_CELL + 4);
    let [r, g, b] = cell(0, 0);
    assert!(b > r + 60 && b > g, "the 0 / 0 cell (first row, first column) is blue: {:?}", [r, g, b]);
    assert_eq!(cell(9, 9), [255; 3], "the 9 / 9 cell is empty");
    // A mistake: true 1 predicted as 7 -> row 1, column 7, red.
    let y = Array1::from_shape_fn(30, |i| 1 + i % 10);
    let mut p = y.clone();
    p[0] = 7;
    let d = decode(&confusion_matrix(&p, &y).unwrap());
    let [r, g, b] = d.rgb(CM_LEFT + 7 * CM_CELL + 4, CM_TOP + CM_CELL + 4);
    assert!(r > g + 60 && r > b + 60, "mistake cell is red: {:?}", [r, g, b]);
    let counts = confusion_counts(&p, &y).unwrap();
    assert_eq!(counts[[0, 6]], 1);
    assert_eq!(counts.sum(), 30);
}

#[test]
fn charts_handle_edge_cases() {
    // A history with no iterations, one with one.
    cost_curves(&[("empty", &history(0, 5.0)), ("one", &history(1, 5.0))]).unwrap();
    // Costs spanning a factor > 20: log axis, labelled as such.
    let steep = History { costs: vec![1.0, 0.1, 0.01], ..history(3, 5.0) };
    assert!(cost_curves(&[("training", &steep)]).unwrap().svg().unwrap().contains("log scale"));
    assert!(!cost_curves(&[("training", &history(3, 2.0))]).unwrap().svg().unwrap().contains("log scale"));
    // Validation curve: lambda = 0 labelled "0"; a single lambda; only lambda = 0; unsorted.
    let fig = validation_curve_of(&[0.0, 0.01, 1.0], &[1.0, 0.95, 0.9], &[0.8, 0.85, 0.82], Measure::Accuracy).unwrap();
    let svg = fig.svg().unwrap();
    let texts: Vec<&str> = svg.split("</text>").filter_map(|t| t.rsplit('>').next()).map(str::trim).collect();
    for label in ["0", "0.01", "1", "training", "held-out"] {
        assert!(texts.contains(&label), "no text {label:?} in {texts:?}");
    }
    validation_curve_of(&[1.0], &[0.9], &[0.8], Measure::Accuracy).unwrap();
    validation_curve_of(&[0.0], &[0.9], &[0.8], Measure::Accuracy).unwrap();
    validation_curve_of(&[10.0, 0.0, 1.0], &[0.3, 0.1, 0.2], &[0.5, 0.4, 0.3], Measure::Cost).unwrap();
    // Equal values everywhere.
    validation_curve_of(&[0.1, 1.0], &[0.5, 0.5], &[0.5, 0.5], Measure::Accuracy).unwrap();
    cost_curves(&[("training", &History { costs: vec![2.0, 2.0], ..history(2, 2.0) })]).unwrap();
}

// ---------------------------------------------------------------------------
// Invalid input: a clear error, never a panic.

#[test]
fn invalid_input_gives_clear_errors() {
    let x = strokes(10);
    let y = labels(10);
    let msg = |e: NnError| e.to_string();
    assert!(msg(display_data(&Array2::<f64>::zeros((0, 400))).unwrap_err()).contains("no rows"));
    assert!(msg(display_data(&Array2::<f64>::zeros((3, 399))).unwrap_err()).contains("399"));
    assert!(display_data(&Array2::<f64>::zeros((3, 0))).is_err());
    let mut bad = x.clone();
    bad[[2, 5]] = f64::NAN;
    assert!(msg(display_data(&bad).unwrap_err()).contains("row 3"));
    assert!(msg(digit_grid(&x, Some(0), 0).unwrap_err()).contains("0"));
    assert!(msg(digit_grid(&x, Some(11), 0).unwrap_err()).contains("only 10"));
    assert!(hidden_units(&Network::debug(&[3, 5, 3]).unwrap()).unwrap_err().to_string().contains("square"));
    assert!(lambda_panel_of(&[]).is_err());
    let net = Network::random(&[400, 4, 10], Init::default(), 0).unwrap();
    let entry =
        PanelEntry { network: &net, lambda: 1.0, final_cost: 0.1, train_accuracy: 95.0, held_out_accuracy: None };
    assert!(msg(lambda_panel_of(&[entry]).unwrap_err()).contains("fractions"));
    assert!(lambda_panel_of(&[PanelEntry { lambda: -1.0, train_accuracy: 0.9, ..entry }]).is_err());
    assert!(lambda_panel_of(&[PanelEntry { final_cost: f64::NAN, train_accuracy: 0.9, ..entry }]).is_err());
    let short = y.slice(ndarray::s![..9]).to_owned();
    assert!(msg(predictions(&x, &short, &y, None, 0).unwrap_err()).contains("10 labels"));
    assert!(misclassified(&x, &y, &short, None, 0).is_err());
    let zero = Array1::from_elem(10, 0usize);
    assert!(predictions(&x, &zero, &y, None, 0).is_err());
    assert!(confusion_matrix(&short, &y).is_err());
    assert!(confusion_matrix(&Array1::zeros(0), &Array1::zeros(0)).is_err());
    assert!(confusion_matrix(&zero, &y).is_err());
    let none: [(&str, &History); 0] = [];
    assert!(cost_curves(&none).is_err());
    let nan = History { costs: vec![1.0, f64::NAN], ..history(2, 2.0) };
    assert!(cost_curves(&[("training", &nan)]).is_err());
    assert!(validation_curve_of(&[], &[], &[], Measure::Cost).is_err());
    assert!(validation_curve_of(&[1.0], &[0.5, 0.4], &[0.5], Measure::Cost).is_err());
    assert!(validation_curve_of(&[-1.0], &[0.5], &[0.5], Measure::Cost).is_err());
    assert!(msg(validation_curve_of(&[1.0], &[95.0], &[90.0], Measure::Accuracy).unwrap_err()).contains("fractions"));
    let mut report = check_nn_gradients(&crate::lecture::cost::nn_cost_function, 0.0).unwrap();
    report.analytical = report.analytical.slice(ndarray::s![..5]).to_owned();
    assert!(gradient_check(&report).is_err());
    let mut report = check_nn_gradients(&crate::lecture::cost::nn_cost_function, 0.0).unwrap();
    report.sizes = vec![3, 5, 4];
    assert!(gradient_check(&report).is_err());
}

#[test]
fn number_formats() {
    assert_eq!(fmt_lambda(0.0), "0");
    assert_eq!(fmt_lambda(0.03), "0.03");
    assert_eq!(fmt_lambda(1.0), "1");
    assert_eq!(fmt_lambda(1e-5), "1e-5");
    assert_eq!(fmt_percent(0.9752), "97.5%");
    assert_eq!(fmt_num(0.30000000000000004), "0.3");
    assert_eq!(fmt_num(-0.2), "-0.2");
    assert_eq!(fmt_num(1e-12), "1e-12");
    assert_eq!(fmt_num(2.5e-11), "2.5e-11");
    assert_eq!(fmt_num(100.0), "100");
    assert_eq!(fmt_sci(2.23e-11), "2.2e-11");
    assert_eq!(fmt_sci(28.7), "28.7");
    assert_eq!(fmt_sci(0.04213), "0.0421");
    assert_eq!(fmt_sci(5.4e10), "5.4e10");
}

#[test]
fn gradient_check_pictures_fit_900_pixels() {
    // Notebooks are read about 900 px wide: wider pictures get shrunk and their text with them.
    for sizes in [&[3, 5, 3][..], &[4, 5, 4, 3, 3]] {
        let report = check_gradients(&crate::lecture::cost::nn_cost_function_deep, sizes, 1.0).unwrap();
        let fig = gradient_check(&report).unwrap();
        assert!(fig.width() <= 900, "{sizes:?}: {} px wide", fig.width());
        if sizes.len() == 3 {
            assert!(gradient_check_map(&report).unwrap().width() <= 900, "the course's 3-5-3 map");
        }
    }
}

#[test]
fn the_notebooks_pictures_fit_a_900_px_page() {
    // The widest the notebooks draw: 8 lambdas of the 400-25-10 digits network, the
    // longest cost-curve labels of notebook 03.
    let net = Network::random(&[400, 25, 10], Init::default(), 0).unwrap();
    let lambdas = [0.0, 0.01, 0.1, 1.0, 3.0, 10.0, 30.0, 100.0];
    let entries: Vec<PanelEntry> = lambdas
        .iter()
        .map(|&lambda| PanelEntry {
            network: &net,
            lambda,
            final_cost: 3.2508,
            train_accuracy: 1.0,
            held_out_accuracy: Some(0.8790),
        })
        .collect();
    assert!(lambda_panel_of(&entries).unwrap().width() <= 900);
    let (a, b) = (history(50, 6.7), history(83, 6.7));
    let fig = cost_curves(&[("fmincg (per iteration)", &a), ("gradient descent, alpha = 2 (per step)", &b)]).unwrap();
    assert!(fig.width() <= 800, "{}", fig.width());
    let many: Vec<(String, &History)> = lambdas.iter().map(|l| (format!("lambda = {l}"), &a)).collect();
    let many: Vec<(&str, &History)> = many.iter().map(|(s, h)| (s.as_str(), *h)).collect();
    assert!(cost_curves(&many[..]).unwrap().width() <= 800);
}
