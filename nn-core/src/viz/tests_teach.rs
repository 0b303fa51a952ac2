//! Tests of the explaining pictures: their layout numbers against the lecture's own
//! functions (unroll, feedforward, the labels), and pixels where the layout says.

use ndarray::{Array1, Array2};

use super::network_diagram::{diagram_layout, Node, BIAS};
use super::one_hot::one_hot_layout;
use super::tests_play::{decode_png, pixel};
use super::theta_index::index_layout;
use super::unit_response::{responses, LEFT, PANEL, PANEL_PITCH, TOP};
use super::unrolling::unroll_layout;
use super::*;
use crate::lecture::data::Dataset;
use crate::lecture::network::{feedforward, Init, Network};

fn close(a: [u8; 3], b: [u8; 3], tol: i32) -> bool {
    (0..3).all(|k| (a[k] as i32 - b[k] as i32).abs() <= tol)
}

fn digits(m: usize) -> Dataset {
    let x = Array2::from_shape_fn((m, 400), |(i, j)| {
        let (col, row) = (j / 20, j % 20);
        if (row + i) % 7 < 3 && (3..17).contains(&col) {
            1.0
        } else {
            0.0
        }
    });
    Dataset::new(x, Array1::from_shape_fn(m, |i| 1 + (i * 3) % 10), 10).unwrap()
}

#[test]
fn the_diagram_draws_each_layer_with_its_bias_and_no_weight_into_a_bias() {
    let sizes = [400, 25, 10];
    let lay = diagram_layout(&sizes);
    assert_eq!(lay.layers.len(), 3);
    for (l, layer) in lay.layers.iter().enumerate() {
        let biases = layer.nodes.iter().filter(|n| n.0 == Node::Bias).count();
        assert_eq!(biases, usize::from(l + 1 < sizes.len()), "layer {l}: a bias except in the output layer");
        // The units drawn are real units of the layer, first and last included.
        let units: Vec<usize> =
            layer.nodes.iter().filter_map(|n| if let Node::Unit(k) = n.0 { Some(k) } else { None }).collect();
        assert_eq!((units[0], *units.last().unwrap()), (0, sizes[l] - 1));
        assert_eq!(layer.gap.is_some(), sizes[l] > units.len(), "dots exactly where units are left out");
        // Units go down the column in order and do not overlap.
        assert!(layer.nodes.windows(2).all(|w| w[1].1 - w[0].1 >= 2.0 * lay.radius));
    }
    assert_eq!(lay.layers[2].nodes.len(), 10, "all ten output units");
    let fig = network_diagram(&sizes).unwrap();
    assert!(fig.width() <= 900);
    let p = decode_png(fig.png_bytes());
    // The bias units are orange at their centres, the other units not.
    for layer in &lay.layers {
        for &(node, y) in &layer.nodes {
            let c = pixel(&p, layer.x as usize + 6, y as usize + 6);
            assert_eq!(close(c, BIAS, 30), node == Node::Bias, "{node:?} at ({}, {y}): {c:?}", layer.x);
        }
    }
    // No line ends in the hidden layer's bias: just left of it the canvas is white, while
    // just left of a hidden unit the lines arrive.
    let hidden = &lay.layers[1];
    let left_of = |y: f32| pixel(&p, (hidden.x - lay.radius - 3.0) as usize, y as usize);
    assert!(close(left_of(hidden.nodes[0].1), [255; 3], 10) || hidden.nodes[0].0 != Node::Bias);
    assert!(!close(left_of(hidden.nodes[1].1), [255; 3], 10), "lines arrive at hidden unit 0");
    assert!(network_diagram(&[400]).is_err() && network_diagram(&[400, 0, 10]).is_err());
    // Deeper networks draw every layer.
    assert_eq!(diagram_layout(&[400, 25, 25, 10]).layers.len(), 4);
}

#[test]
fn one_hot_rows_light_column_label_minus_one() {
    let data = digits(30);
    let rows = [0usize, 3, 6, 9, 29];
    let fig = one_hot_labels(&data, &rows).unwrap();
    let lay = one_hot_layout(10, rows.len());
    assert_eq!((fig.width() as usize, fig.height() as usize), (lay.width, lay.height));
    let p = decode_png(fig.png_bytes());
    for (i, &r) in rows.iter().enumerate() {
        let label = data.y()[r];
        for col in 0..10 {
            // A corner of the cell, clear of the "0"/"1" text.
            let c = pixel(&p, lay.cells_x + col * lay.cell + 4, lay.top + i * lay.row_h + 4);
            let lit = !close(c, [255; 3], 20);
            assert_eq!(lit, col == label - 1, "example {r} (y = {label}), column {col}: {c:?}");
        }
    }
    // The labels drawn include a 10 (the digit 0) in the last column.
    assert!(rows.iter().any(|&r| data.y()[r] == 10));
    assert!(one_hot_labels(&data, &[]).is_err());
    let e = one_hot_labels(&data, &[30]).unwrap_err().to_string();
    assert!(e.contains("rows") && e.contains("30"), "{e}");
    assert!(one_hot_labels(&data, &[0; 13]).is_err());
}

#[test]
fn unrolling_labels_each_entry_with_its_place_in_net_unroll() {
    for sizes in [vec![400, 25, 10], vec![3, 5, 3], vec![400, 25, 25, 10]] {
        // Every weight's value encodes its place: layer, row, column.
        let thetas: Vec<Array2<f64>> = sizes
            .windows(2)
            .enumerate()
            .map(|(l, w)| Array2::from_shape_fn((w[1], w[0] + 1), |(r, c)| (l * 1_000_000 + r * 1000 + c) as f64))
            .collect();
        let net = Network::new(thetas).unwrap();
        let v = net.unroll();
        let lay = unroll_layout(&sizes);
        assert_eq!(lay.blocks.first().unwrap().start, 0);
        assert_eq!(lay.blocks.last().unwrap().end, v.len());
        for (l, b) in lay.blocks.iter().enumerate() {
            if l > 0 {
                assert_eq!(b.start, lay.blocks[l - 1].end);
            }
            assert!(b.shown_cols.contains(&0) && b.shown_cols.contains(&(b.cols - 1)));
            for cell in &b.cells {
                let want = (l * 1_000_000 + cell.row * 1000 + cell.col) as f64;
                assert_eq!(v[cell.index], want, "{sizes:?} Theta{} [[{}, {}]]", l + 1, cell.row, cell.col);
                assert!((b.start..b.end).contains(&cell.index));
            }
        }
        let fig = unrolling(&sizes).unwrap();
        assert!(fig.width() as usize <= 900, "{sizes:?}: {} px", fig.width());
        assert!(lay.blocks.iter().flat_map(|b| &b.cells).all(|c| c.x + lay.cell_w <= lay.width));
    }
    let lay = unroll_layout(&[400, 25, 10]);
    assert_eq!((lay.blocks[0].start, lay.blocks[0].end, lay.blocks[1].end), (0, 10025, 10285));
    // The course's 3-5-3 check network is drawn whole: all 38 entries, each once.
    let small = unroll_layout(&[3, 5, 3]);
    let mut seen: Vec<usize> = small.blocks.iter().flat_map(|b| b.cells.iter().map(|c| c.index)).collect();
    seen.sort();
    assert_eq!(seen, (0..38).collect::<Vec<_>>());
}

#[test]
fn theta_index_marks_the_entry_of_its_row_and_column() {
    let net = Network::random(&[400, 25, 10], Init::default(), 3).unwrap();
    for (layer, row, col) in [(1usize, 0usize, 0usize), (1, 2, 0), (1, 24, 400), (1, 7, 150), (2, 9, 25), (2, 3, 1)] {
        let theta = net.theta(layer).unwrap();
        let (rows, cols) = theta.dim();
        let lay = index_layout(rows, cols, row, col);
        let (ex, ey, ew, eh) = lay.entry;
        // The marked square sits at the entry's place in the matrix, to within a cell.
        let fx = (ex as f64 + ew as f64 / 2.0 - lay.mx as f64) / lay.mw as f64;
        let fy = (ey as f64 + eh as f64 / 2.0 - lay.my as f64) / lay.mh as f64;
        let (cw, rh) = (1.0 / cols as f64, 1.0 / rows as f64);
        assert!((fx - (col as f64 + 0.5) * cw).abs() <= cw.max(8.0 / lay.mw as f64), "column {col}: {fx}");
        assert!((fy - (row as f64 + 0.5) * rh).abs() <= rh.max(8.0 / lay.mh as f64), "row {row}: {fy}");
        let fig = theta_index(&net, layer, row, col).unwrap();
        let p = decode_png(fig.png_bytes());
        assert_eq!((p.0, p.1), (lay.width, lay.height));
        let c = pixel(&p, ex + ew / 2, ey + eh / 2);
        assert!(close(c, [200, 20, 20], 10), "entry ({row}, {col}) marked: {c:?}");
    }
    assert!(theta_index(&net, 3, 0, 0).unwrap_err().to_string().contains("Theta3"));
    assert!(theta_index(&net, 1, 25, 0).unwrap_err().to_string().contains("25 x 401"));
    assert!(theta_index(&net, 2, 0, 26).unwrap_err().to_string().contains("col"));
}

#[test]
fn unit_response_shows_the_units_own_z_for_its_strongest_and_weakest_digit() {
    let data = digits(40);
    let net = Network::random(&[400, 25, 10], Init::default(), 1).unwrap();
    let unit = 5;
    let [most, least] = responses(&net, &data, unit).unwrap();
    // z and a are feedforward's, and the two examples are the extremes of a(2) for the unit.
    let ff = feedforward(&net, data.x()).unwrap();
    for r in [&most, &least] {
        assert!((r.z - ff.z(2)[[r.example, unit]]).abs() < 1e-12);
        assert!((r.a - ff.a(2)[[r.example, unit + 1]]).abs() < 1e-12);
    }
    let col = ff.a(2).column(unit + 1).to_owned();
    assert!(col.iter().all(|&a| a <= most.a + 1e-15 && a >= least.a - 1e-15));
    assert!(most.a > least.a);

    // The product panel is red where a pixel's ink meets a positive weight, blue where a
    // negative one, white where there is no ink.
    let fig = unit_response(&net, &data, unit).unwrap();
    assert!(fig.width() <= 900);
    let p = decode_png(fig.png_bytes());
    let zoom = PANEL / 20;
    let w = net.theta1().row(unit);
    let x = data.x().row(most.example);
    let (mut red, mut blue, mut white) = (0, 0, 0);
    for col in 0..20 {
        for row in 0..20 {
            let (xi, wi) = (x[col * 20 + row], w[1 + col * 20 + row]);
            let c = pixel(&p, LEFT + 2 * PANEL_PITCH + col * zoom + zoom / 2, TOP + row * zoom + zoom / 2);
            if xi == 0.0 || wi.abs() < 1e-3 {
                if xi == 0.0 {
                    assert!(close(c, [255; 3], 2), "({row}, {col}) no ink: {c:?}");
                    white += 1;
                }
            } else if wi > 0.0 {
                assert!(c[0] > c[2], "({row}, {col}) positive: {c:?}");
                red += 1;
            } else {
                assert!(c[2] > c[0], "({row}, {col}) negative: {c:?}");
                blue += 1;
            }
        }
    }
    assert!(red > 10 && blue > 10 && white > 10, "{red} {blue} {white}");
    assert!(unit_response(&net, &data, 25).unwrap_err().to_string().contains("unit"));
}

#[test]
fn backprop_deltas_are_the_gradients_bias_columns_of_that_one_example() {
    use super::backprop_deltas::{example_deltas, layout, strip_cell, strips_top};
    use crate::lecture::cost::{nn_cost_function, nn_cost_function_deep};
    let data = digits(30);
    let net = Network::random(&[400, 25, 10], Init::default(), 2).unwrap();
    for t in [0, 7, 29] {
        let ex = example_deltas(&net, &data, t).unwrap();
        // With one example and lambda = 0, the gradient of Theta(l) is delta(l + 1) a(l)':
        // its column 0 (the bias unit's a = 1) is delta(l + 1) itself.
        let one = data.select(&[t]).unwrap();
        let (_, g1, g2) = nn_cost_function(net.theta1(), net.theta2(), one.x(), one.y(), 0.0).unwrap();
        let worst = |a: &Array1<f64>, b: ndarray::ArrayView1<f64>| (a - &b).iter().fold(0.0f64, |m, v| m.max(v.abs()));
        assert!(worst(&ex.deltas[1], g2.column(0)) < 1e-14, "delta3 of example {t}");
        assert!(worst(&ex.deltas[0], g1.column(0)) < 1e-14, "delta2 of example {t}");
        // delta3 = h - y with h from feedforward and y the one-hot label.
        let h = feedforward(&net, one.x()).unwrap().h().row(0).to_owned();
        assert!(worst(&ex.h, h.view()) < 1e-15);
        assert_eq!(ex.y.iter().position(|&v| v == 1.0), Some(data.y()[t] - 1));
    }
    // A deeper network: every layer's delta is its gradient's bias column.
    let deep = Network::random(&[400, 6, 5, 10], Init::default(), 3).unwrap();
    let ex = example_deltas(&deep, &data, 4).unwrap();
    let one = data.select(&[4]).unwrap();
    let (_, grads) = nn_cost_function_deep(&deep, one.x(), one.y(), 0.0).unwrap();
    assert_eq!(ex.deltas.len(), 3);
    for (d, g) in ex.deltas.iter().zip(&grads) {
        assert!((d - &g.column(0)).iter().all(|v| v.abs() < 1e-14));
    }

    // The picture: each output unit red where its delta is positive, blue where negative,
    // and each number's cell in the same colour.
    let t = 7;
    let ex = example_deltas(&net, &data, t).unwrap();
    let fig = backprop_deltas(&net, &data, t).unwrap();
    assert!(fig.width() <= 900);
    let p = decode_png(fig.png_bytes());
    let lay = layout(&net.layer_sizes());
    let mut seen = [0, 0];
    for &(node, y) in &lay.layers[2].nodes {
        let Node::Unit(k) = node else { continue };
        let c = pixel(&p, lay.layers[2].x as usize, y as usize);
        let d = ex.deltas[1][k];
        assert!(if d > 0.0 { c[0] > c[2] } else { c[2] > c[0] }, "output unit {k}: delta {d}, colour {c:?}");
        seen[usize::from(d > 0.0)] += 1;
        let (x0, y0, w) = strip_cell(strips_top(&lay), 10, k);
        let cell = pixel(&p, x0 + 3, y0 + 3);
        assert!(if d > 0.0 { cell[0] > cell[2] } else { cell[2] > cell[0] }, "cell {k}: {cell:?} ({w} wide)");
    }
    assert_eq!(seen, [1, 9], "one output (the label's) below its target, nine above");
    assert!(backprop_deltas(&net, &data, 30).unwrap_err().to_string().contains("example 30"));
}
