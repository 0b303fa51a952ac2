//! Backpropagation as an idea: the error terms delta of one example, on the network
//! diagram, flowing back from the output layer, with every delta's number.

use ndarray::{s, Array1, Array2, Axis};

use super::canvas::{fit_size, line_height, text_width, Align, Canvas, Rgb, MUTED, TEXT, WHITE};
use super::figure::Figure;
use super::images::{image_canvas, lerp};
use super::network_diagram::{diagram_layout, DiagramLayout, Node, BIAS};
use crate::error::{NnError, Result};
use crate::lecture::data::{label_to_digit, Dataset};
use crate::lecture::network::{feedforward, Network};
use crate::lecture::sigmoid::sigmoid_gradient;

const POS: Rgb = [200, 30, 30];
const NEG: Rgb = [30, 80, 200];
const INPUT: Rgb = [170, 170, 170];
const EDGE: Rgb = [215, 215, 215];

/// One example's backpropagation, for the picture and its tests.
#[derive(Clone, Debug)]
pub(crate) struct ExampleDeltas {
    /// The network's output h for the example, and its one-hot label y.
    pub h: Array1<f64>,
    pub y: Array1<f64>,
    /// `deltas[i]` is delta(i + 2): the hidden layers' first, the output layer's last.
    pub deltas: Vec<Array1<f64>>,
}

/// delta(L) = h - y, then delta(l) = delta(l + 1) Theta(l) without its bias column, times
/// g'(z(l)) entry by entry: the course's steps 2 and 3 for example `example` of `data`.
pub(crate) fn example_deltas(network: &Network, data: &Dataset, example: usize) -> Result<ExampleDeltas> {
    if example >= data.len() {
        return Err(NnError::InvalidArgument {
            name: "example",
            reason: format!("example {example} does not exist: the data has {} rows (0..{})", data.len(), data.len()),
        });
    }
    let label = data.y()[example];
    let k = network.layer_sizes().last().copied().unwrap_or(0);
    if label == 0 || label > k {
        return Err(NnError::InvalidArgument {
            name: "data",
            reason: format!(
                "example {example} has label {label}, but the network has {k} output units (labels 1..={k})"
            ),
        });
    }
    let x = data.x().slice(s![example..=example, ..]).to_owned();
    let ff = feedforward(network, &x)?;
    let h = ff.h().row(0).to_owned();
    let y = Array1::from_shape_fn(k, |i| if i + 1 == label { 1.0 } else { 0.0 });
    let thetas = network.thetas();
    let mut back = vec![&h - &y];
    // From the last hidden layer l = L - 1 down to l = 2: Theta(l) maps layer l to l + 1.
    for l in (2..thetas.len() + 1).rev() {
        let next = back.last().expect("the output layer's delta");
        let theta = &thetas[l - 1];
        let delta = next.dot(&theta.slice(s![.., 1..])) * sigmoid_gradient(&ff.z(l).row(0).to_owned());
        back.push(delta);
    }
    back.reverse();
    Ok(ExampleDeltas { h, y, deltas: back })
}

/// A delta as the picture prints it: 4 decimals, or 2 significant digits when smaller.
fn fmt_delta(v: f64) -> String {
    if v == 0.0 {
        "0".into()
    } else if v.abs() >= 1e-3 {
        format!("{v:+.4}")
    } else {
        format!("{v:+.1e}")
    }
}

/// Red for a positive delta, blue for a negative one, white for 0, the strength relative
/// to the largest |delta| of the layer.
fn delta_colour(v: f64, scale: f64) -> Rgb {
    let t = if scale > 0.0 { (v / scale).clamp(-1.0, 1.0) } else { 0.0 };
    if t >= 0.0 {
        lerp(WHITE, POS, t)
    } else {
        lerp(WHITE, NEG, -t)
    }
}

fn max_abs(v: &Array1<f64>) -> f64 {
    v.iter().fold(0.0f64, |m, x| m.max(x.abs()))
}

/// Layout of the picture: the diagram's columns moved right of the digit, the strips of
/// numbers under the diagram.
/// Narrow enough for a notebook's output area at 900 px (about 760 px) to show it unscaled.
pub(crate) const WIDTH: usize = 740;
pub(crate) const DIAGRAM_TOP: f32 = 40.0;
const CELL_H: usize = 38;
const STRIP_HEAD: usize = 26;
/// Cells per row of a strip of numbers.
const PER_ROW: usize = 10;

pub(crate) fn layout(sizes: &[usize]) -> DiagramLayout {
    let mut lay = diagram_layout(sizes);
    let n = sizes.len();
    let (left, right) = (170.0f32, 520.0f32);
    for (l, layer) in lay.layers.iter_mut().enumerate() {
        layer.x = left + (right - left) * l as f32 / (n - 1) as f32;
        for node in &mut layer.nodes {
            node.1 += DIAGRAM_TOP - 40.0;
        }
        if let Some(g) = &mut layer.gap {
            *g += DIAGRAM_TOP - 40.0;
        }
    }
    lay.width = WIDTH;
    lay
}

/// Where the strip of layer `i` (0: the output layer, 1: the last hidden layer, ...)
/// starts, and its cell `u`'s top-left corner and width.
pub(crate) fn strip_cell(top: usize, units: usize, u: usize) -> (usize, usize, usize) {
    let per_row = units.min(PER_ROW);
    let w = (WIDTH - 40) / per_row;
    (20 + (u % per_row) * w, top + STRIP_HEAD + (u / per_row) * CELL_H, w)
}

fn strip_height(units: usize) -> usize {
    STRIP_HEAD + units.div_ceil(PER_ROW) * CELL_H + 14
}

/// The diagram's bottom (its last unit plus room), where the strips begin.
pub(crate) fn strips_top(lay: &DiagramLayout) -> usize {
    let bottom = lay.layers.iter().flat_map(|l| l.nodes.iter().map(|n| n.1)).fold(0.0f32, f32::max);
    (bottom + lay.radius + 28.0) as usize
}

/// Backpropagation as an idea, for one example: the network's diagram (like
/// [`network_diagram`](crate::viz::network_diagram)) with every drawn unit coloured by its
/// error term delta, red for positive, blue for negative, stronger for larger |delta|
/// (one scale per layer). The output layer's delta is h - y: how far each output is
/// from the label. A hidden unit's delta is the sum of the output deltas it fed, each
/// times the weight it fed it through, times g'(z) of the unit: how much that unit is
/// responsible for the output's error. The lines from a hidden unit to the outputs are
/// those products (weight times output delta), coloured by sign, thicker when larger.
/// The input layer has no delta (its values are the data). Under the diagram, every
/// delta of every layer as a number, the output layer first (the order backpropagation
/// computes them), each cell coloured like its unit.
///
/// Errors: an example past the last row of `data`, a label the network has no output
/// unit for, data whose rows do not fit the network.
///
/// ```
/// use nn_core::prelude::*;
/// let net = Network::random(&[400, 25, 10], Init::default(), 0).unwrap();
/// let x = ndarray::Array2::from_shape_fn((10, 400), |(i, j)| ((i * 3 + j) % 11) as f64 / 11.0);
/// let data = Dataset::new(x, ndarray::Array1::from_iter(1..=10), 10).unwrap();
/// let fig = viz::backprop_deltas(&net, &data, 3).unwrap();
/// assert!(fig.width() <= 900);
/// assert!(viz::backprop_deltas(&net, &data, 10).is_err());
/// ```
pub fn backprop_deltas(network: &Network, data: &Dataset, example: usize) -> Result<Figure> {
    let ex = example_deltas(network, data, example)?;
    let sizes = network.layer_sizes();
    let n = sizes.len();
    let lay = layout(&sizes);
    let top = strips_top(&lay);
    let strips: usize = (1..n).map(|l| strip_height(sizes[l])).sum();
    let height = top + strips + 56;
    let mut c = Canvas::new(WIDTH, height, WHITE);

    let label = data.y()[example];
    let digit = label_to_digit(label);
    let predicted = ex.h.iter().enumerate().fold((0, f64::MIN), |b, (i, &v)| if v > b.1 { (i, v) } else { b }).0;
    let title = format!(
        "Backpropagation for example {example} (a {digit}; the network answers {}): each unit's delta",
        label_to_digit(predicted + 1)
    );
    let ts = fit_size(&title, 17.0, 11.0, WIDTH as f32 - 20.0);
    c.text(&title, WIDTH as f32 / 2.0, 8.0, ts, TEXT, Align::Center);

    // The digit itself, left of the input layer.
    let side = (data.num_features() as f64).sqrt().round() as usize;
    if side * side == data.num_features() && side > 0 {
        let zoom = (100 / side).max(1);
        let img = image_canvas(data.x().row(example), side).scaled(zoom);
        let (ix, iy) = (8i64, (lay.layers[0].nodes.first().map_or(100.0, |n| n.1) + 40.0) as i64);
        c.fill_rect(ix - 1, iy - 1, side * zoom + 2, side * zoom + 2, [150, 150, 150]);
        c.blit(&img, ix, iy);
        c.text("the example x", ix as f32 + (side * zoom) as f32 / 2.0, iy as f32 - 20.0, 12.0, MUTED, Align::Center);
    }

    // The weights: into layer l + 1. Into the output layer (and any layer with a delta
    // after it) coloured by weight times delta; the rest light gray.
    let scales: Vec<f64> = ex.deltas.iter().map(max_abs).collect();
    let thetas = network.thetas();
    for (l, theta) in thetas.iter().enumerate() {
        let (a, b) = (&lay.layers[l], &lay.layers[l + 1]);
        let delta_next = &ex.deltas[l]; // delta(l + 2), of layer l + 1 (0-based)
        let flows = l > 0; // the weights from a hidden layer carry its delta back
        let products: Option<Array2<f64>> =
            flows.then(|| &theta.slice(s![.., 1..]) * &delta_next.view().insert_axis(Axis(1)));
        let pmax = products.as_ref().map_or(0.0, |p| p.iter().fold(0.0f64, |m, v| m.max(v.abs())));
        for &(from, y0) in &a.nodes {
            for &(to, y1) in &b.nodes {
                let Node::Unit(k) = to else { continue };
                let (colour, width) = match (from, &products) {
                    (Node::Bias, _) => ([245, 205, 160], 0.8),
                    (Node::Unit(j), Some(p)) if pmax > 0.0 => {
                        let v = p[[k, j]];
                        (delta_colour(v, pmax), 0.6 + 3.4 * (v.abs() / pmax) as f32)
                    }
                    _ => (EDGE, 0.7),
                };
                c.line((a.x + lay.radius, y0), (b.x - lay.radius, y1), width, colour);
            }
        }
    }
    // The flow, over the columns.
    for l in 1..n {
        let b = &lay.layers[l];
        let text =
            if l == n - 1 { format!("delta{} = h - y", l + 1) } else { format!("delta{} from delta{}", l + 1, l + 2) };
        c.text(&text, b.x, DIAGRAM_TOP, 13.0, TEXT, Align::Center);
        if l >= 2 {
            let mid = (lay.layers[l - 1].x + b.x) / 2.0;
            c.text(&format!("← back through Theta{l}"), mid, DIAGRAM_TOP + 20.0, 12.0, MUTED, Align::Center);
        }
    }
    c.text("input: no delta", lay.layers[0].x, DIAGRAM_TOP, 13.0, MUTED, Align::Center);

    // The units.
    for (l, layer) in lay.layers.iter().enumerate() {
        for &(node, y) in &layer.nodes {
            let fill = match node {
                Node::Bias => BIAS,
                Node::Unit(_) if l == 0 => INPUT,
                Node::Unit(k) => delta_colour(ex.deltas[l - 1][k], scales[l - 1]),
            };
            c.disc(layer.x, y, lay.radius + 1.5, MUTED);
            c.disc(layer.x, y, lay.radius, fill);
            if node == Node::Bias {
                c.text("+1", layer.x, y - line_height(11.0) / 2.0, 11.0, WHITE, Align::Center);
            }
            let label = match node {
                Node::Bias => "bias".to_string(),
                Node::Unit(k) if l == 0 => format!("pixel {k}"),
                Node::Unit(k) if l + 1 == n => {
                    format!(
                        "digit {}  h {:.3}  y {}  delta {}",
                        label_to_digit(k + 1),
                        ex.h[k],
                        ex.y[k],
                        fmt_delta(ex.deltas[l - 1][k])
                    )
                }
                Node::Unit(k) => format!("unit {k}: {}", fmt_delta(ex.deltas[l - 1][k])),
            };
            let right = l + 1 == n;
            let x = if right { layer.x + lay.radius + 6.0 } else { layer.x - lay.radius - 6.0 };
            let room = if right { WIDTH as f32 - x - 4.0 } else { x - 4.0 };
            let size = fit_size(&label, 12.0, 9.0, room);
            let lw = text_width(&label, size);
            let lx = if right { x } else { x - lw };
            c.fill_rect((lx - 2.0) as i64, (y - 8.0) as i64, lw as usize + 4, 16, WHITE);
            let colour = if node == Node::Bias { BIAS } else { TEXT };
            c.text(
                &label,
                x,
                y - line_height(size) / 2.0,
                size,
                colour,
                if right { Align::Left } else { Align::Right },
            );
        }
        if let Some(g) = layer.gap {
            for k in [-1.0f32, 0.0, 1.0] {
                c.disc(layer.x, g + k * 8.0, 2.2, TEXT);
            }
        }
    }

    // Every delta as a number, the output layer first.
    let mut y0 = top;
    for l in (1..n).rev() {
        let delta = &ex.deltas[l - 1];
        let head = if l == n - 1 {
            format!("delta{}, output layer, {} numbers: h - y", l + 1, delta.len())
        } else {
            format!(
                "delta{}, hidden layer, {} numbers: delta{}.dot(&theta{}.slice(s![.., 1..])) * sigmoid_gradient(&z{})",
                l + 1,
                delta.len(),
                l + 2,
                l + 1,
                l + 1
            )
        };
        let hs = fit_size(&head, 14.0, 10.0, WIDTH as f32 - 40.0);
        c.text(&head, 20.0, y0 as f32, hs, TEXT, Align::Left);
        for (u, &v) in delta.iter().enumerate() {
            let (x, y, w) = strip_cell(y0, delta.len(), u);
            c.fill_rect(x as i64 + 1, y as i64, w - 2, CELL_H - 4, delta_colour(v, scales[l - 1]));
            let name = if l == n - 1 && delta.len() == 10 {
                format!("digit {}", label_to_digit(u + 1))
            } else {
                format!("unit {u}")
            };
            let cx = (x + w / 2) as f32;
            c.text(&name, cx, y as f32 + 1.0, 11.0, TEXT, Align::Center);
            let value = fmt_delta(v);
            let vs = fit_size(&value, 13.0, 9.0, w as f32 - 6.0);
            c.text(&value, cx, y as f32 + 15.0, vs, TEXT, Align::Center);
        }
        y0 += strip_height(delta.len());
    }
    let cap =
        "red: positive delta (this example's cost grows with the unit's z) · blue: negative · lines: weight × delta";
    let cs = fit_size(cap, 12.0, 9.0, WIDTH as f32 - 20.0);
    c.text(cap, WIDTH as f32 / 2.0, (height - 44) as f32, cs, MUTED, Align::Center);
    let cap2 =
        "a hidden unit's delta: the output deltas it fed, each times its weight, summed, times g'(z) of the unit";
    let cs2 = fit_size(cap2, 12.0, 9.0, WIDTH as f32 - 20.0);
    c.text(cap2, WIDTH as f32 / 2.0, (height - 24) as f32, cs2, MUTED, Align::Center);
    Figure::from_canvas(&c, None)
}
