//! The network as the lecture draws it: one column of units per layer, the bias units
//! marked, a line for each weight, and each Theta's shape between the layers.

use super::canvas::{fit_size, line_height, Align, Canvas, Rgb, MUTED, PALETTE, TEXT, WHITE};
use super::figure::Figure;
use crate::error::Result;
use crate::lecture::data::label_to_digit;
use crate::lecture::network::check_layer_sizes;

/// The colour of a bias unit and of its weights.
pub(crate) const BIAS: Rgb = [230, 120, 10];
const UNIT: Rgb = PALETTE[0];
const EDGE: Rgb = [185, 185, 185];

/// One drawn unit: a bias unit (always 1) or unit `index` of its layer (0-based).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Node {
    Bias,
    Unit(usize),
}

/// Where a layer's units go: its x, the y of each drawn unit, and the y of the "⋮" that
/// stands for the units not drawn (if any).
#[derive(Clone, Debug)]
pub(crate) struct LayerLayout {
    pub x: f32,
    pub nodes: Vec<(Node, f32)>,
    pub gap: Option<f32>,
}

#[derive(Clone, Debug)]
pub(crate) struct DiagramLayout {
    pub layers: Vec<LayerLayout>,
    pub radius: f32,
    pub width: usize,
    pub height: usize,
}

const TOP: f32 = 112.0;
const PITCH: f32 = 36.0;
/// At most this many units of a layer are drawn (more: the first 4, "⋮", the last 2).
const SHOWN: usize = 10;

/// The units drawn for a layer of `n` units.
fn shown_units(n: usize) -> (Vec<usize>, Option<usize>) {
    if n <= SHOWN {
        ((0..n).collect(), None)
    } else {
        (vec![0, 1, 2, 3, n - 2, n - 1], Some(4))
    }
}

pub(crate) fn diagram_layout(sizes: &[usize]) -> DiagramLayout {
    let n = sizes.len();
    let width = 820usize;
    let (left, right) = (110.0f32, width as f32 - 110.0);
    let mut layers = Vec::with_capacity(n);
    let mut tallest = 0.0f32;
    for (l, &size) in sizes.iter().enumerate() {
        let x = if n > 1 { left + (right - left) * l as f32 / (n - 1) as f32 } else { width as f32 / 2.0 };
        let (units, gap_at) = shown_units(size);
        let mut nodes = Vec::new();
        let mut y = TOP;
        if l + 1 < n {
            nodes.push((Node::Bias, y));
            y += PITCH * 1.25;
        }
        let mut gap = None;
        for (k, &u) in units.iter().enumerate() {
            if Some(k) == gap_at {
                gap = Some(y);
                y += PITCH;
            }
            nodes.push((Node::Unit(u), y));
            y += PITCH;
        }
        tallest = tallest.max(y);
        layers.push(LayerLayout { x, nodes, gap });
    }
    // Centre each column on the tallest one.
    for layer in &mut layers {
        let bottom = layer.nodes.last().map_or(TOP, |n| n.1) + PITCH;
        let shift = ((tallest - bottom) / 2.0).max(0.0);
        for node in &mut layer.nodes {
            node.1 += shift;
        }
        if let Some(g) = &mut layer.gap {
            *g += shift;
        }
    }
    DiagramLayout { layers, radius: 12.0, width, height: (tallest + 70.0) as usize }
}

/// The network as the lecture draws it: a column of units per layer (input, hidden,
/// output), each layer's size written above it, and a line for every weight between the
/// units drawn. A layer of more than 10 units is drawn as its first four units, "⋮" and
/// its last two (three dots between). Every layer but the output has a **bias unit** (orange, "+1"): it is
/// always 1, it feeds every unit of the next layer (orange lines: column 0 of the next
/// Theta) and nothing feeds it. Between two layers, the Theta with its shape:
/// `Theta1 25 x 401` is 25 units by 400 inputs + the bias. The output units are labelled
/// with the digit each stands for (unit k - 1 is label k; label 10, the digit 0, is last).
///
/// ```
/// let fig = nn_core::viz::network_diagram(&[400, 25, 10]).unwrap();
/// assert!(fig.width() <= 900);
/// assert!(nn_core::viz::network_diagram(&[400]).is_err());
/// ```
pub fn network_diagram(sizes: &[usize]) -> Result<crate::viz::Figure> {
    check_layer_sizes(sizes)?;
    let lay = diagram_layout(sizes);
    let mut c = Canvas::new(lay.width, lay.height, WHITE);
    let n = sizes.len();
    let title = format!(
        "The network {}: {} weights",
        sizes.iter().map(|s| s.to_string()).collect::<Vec<_>>().join("-"),
        crate::lecture::network::param_count(sizes)
    );
    c.text(&title, lay.width as f32 / 2.0, 8.0, 18.0, TEXT, Align::Center);

    // The weights first, under the units: from every drawn unit (and the bias) of layer l
    // to every drawn unit of layer l + 1 (never to its bias).
    for l in 0..n - 1 {
        let (a, b) = (&lay.layers[l], &lay.layers[l + 1]);
        for &(from, y0) in &a.nodes {
            for &(to, y1) in &b.nodes {
                if to == Node::Bias {
                    continue;
                }
                let (colour, width) = if from == Node::Bias { (BIAS, 1.4) } else { (EDGE, 0.8) };
                c.line((a.x + lay.radius, y0), (b.x - lay.radius, y1), width, colour);
            }
        }
        // The Theta between the layers, under the columns.
        let mid = (a.x + b.x) / 2.0;
        let name = format!("Theta{}: {} x {}", l + 1, sizes[l + 1], sizes[l] + 1);
        let yb = lay.height as f32 - 56.0;
        c.text(&name, mid, yb, 15.0, TEXT, Align::Center);
        let detail = format!("{} units x ({} + bias)", sizes[l + 1], sizes[l]);
        c.text(&detail, mid, yb + line_height(15.0), 12.0, MUTED, Align::Center);
    }

    for (l, layer) in lay.layers.iter().enumerate() {
        let (head, sub) = match l {
            0 => ("input layer a(1)".to_string(), format!("{} pixels + bias", sizes[0])),
            _ if l + 1 == n => (format!("output layer a({}) = h", l + 1), format!("{} units, one per digit", sizes[l])),
            _ => (format!("hidden layer a({})", l + 1), format!("{} units + bias", sizes[l])),
        };
        let hs = fit_size(&head, 15.0, 10.0, 240.0);
        c.text(&head, layer.x, 44.0, hs, TEXT, Align::Center);
        c.text(&sub, layer.x, 44.0 + line_height(hs), 13.0, MUTED, Align::Center);
        for &(node, y) in &layer.nodes {
            let colour = if node == Node::Bias { BIAS } else { UNIT };
            c.disc(layer.x, y, lay.radius, colour);
            let inside = match node {
                Node::Bias => "+1".to_string(),
                Node::Unit(_) => String::new(),
            };
            if !inside.is_empty() {
                c.text(&inside, layer.x, y - line_height(11.0) / 2.0, 11.0, WHITE, Align::Center);
            }
            // Beside the unit: the digit of an output unit, the index of the others.
            let (label, align, x) = match node {
                Node::Bias => ("bias".to_string(), Align::Right, layer.x - lay.radius - 6.0),
                Node::Unit(k) if l + 1 == n && sizes[l] == 10 => {
                    (format!("digit {}", label_to_digit(k + 1)), Align::Left, layer.x + lay.radius + 6.0)
                }
                Node::Unit(k) if l == 0 => (format!("pixel {k}"), Align::Right, layer.x - lay.radius - 6.0),
                Node::Unit(k) => (format!("unit {k}"), Align::Right, layer.x - lay.radius - 6.0),
            };
            let colour = if node == Node::Bias { BIAS } else { MUTED };
            // On a white ground: in a hidden layer the incoming lines pass behind the label.
            let lw = super::canvas::text_width(&label, 12.0);
            let lx = if align == Align::Right { x - lw } else { x };
            c.fill_rect((lx - 2.0) as i64, (y - 8.0) as i64, lw as usize + 4, 16, WHITE);
            c.text(&label, x, y - line_height(12.0) / 2.0, 12.0, colour, align);
        }
        if let Some(g) = layer.gap {
            for k in [-1.0f32, 0.0, 1.0] {
                c.disc(layer.x, g + k * 8.0, 2.2, TEXT);
            }
        }
    }
    let cap = "every line is one weight · orange: the bias unit (always 1) and its weights, column 0 of the next Theta";
    let cs = fit_size(cap, 12.0, 9.0, lay.width as f32 - 20.0);
    c.text(cap, lay.width as f32 / 2.0, lay.height as f32 - 20.0, cs, MUTED, Align::Center);
    Figure::from_canvas(&c, None)
}
