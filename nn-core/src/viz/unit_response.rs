//! Why a hidden unit's picture means something: its 400 input weights, as a 20 x 20
//! image, are the template it matches. A digit, the weights, their product pixel by pixel,
//! and the unit's z and activation, for the digit it responds to most and least.

use ndarray::ArrayView1;

use super::canvas::{fit_size, line_height, Align, Canvas, Rgb, MUTED, TEXT, WHITE};
use super::figure::Figure;
use super::images::{image_canvas, lerp};
use crate::error::{NnError, Result};
use crate::lecture::data::{label_to_digit, Dataset};
use crate::lecture::network::{feedforward, Network};
use crate::lecture::sigmoid::sigmoid_scalar;

const POS: Rgb = [200, 30, 30];
const NEG: Rgb = [30, 80, 200];

/// What the picture shows, for the tests: the two examples and their numbers.
#[derive(Clone, Debug)]
pub(crate) struct Response {
    /// Row of the data, the bias weight, the sum of x * w, z = bias + sum, a = g(z).
    pub example: usize,
    pub bias: f64,
    pub sum: f64,
    pub z: f64,
    pub a: f64,
}

/// Layout: panel i (0 digit, 1 weights, 2 product) of row r at (`LEFT + i * PANEL_PITCH`,
/// `TOP + r * ROW_H`), `PANEL` px square (20 x 20 pixels, `PANEL / 20` px each).
pub(crate) const LEFT: usize = 24;
pub(crate) const TOP: usize = 92;
pub(crate) const PANEL: usize = 120;
pub(crate) const PANEL_PITCH: usize = 146;
pub(crate) const ROW_H: usize = 170;

/// The examples with the largest and the smallest activation of hidden unit `unit`.
pub(crate) fn responses(network: &Network, data: &Dataset, unit: usize) -> Result<[Response; 2]> {
    let hidden = network.theta1().nrows();
    if unit >= hidden {
        return Err(NnError::InvalidArgument {
            name: "unit",
            reason: format!("hidden unit {unit} does not exist: Theta1 has {hidden} rows (units 0..{hidden})"),
        });
    }
    if data.is_empty() {
        return Err(NnError::InvalidArgument { name: "data", reason: "no examples".into() });
    }
    let z2 = feedforward(network, data.x())?.z(2).column(unit).to_owned();
    let most = (0..z2.len()).max_by(|&a, &b| z2[a].total_cmp(&z2[b])).unwrap_or(0);
    let least = (0..z2.len()).min_by(|&a, &b| z2[a].total_cmp(&z2[b])).unwrap_or(0);
    let w = network.theta1().row(unit);
    let make = |example: usize| {
        let x = data.x().row(example);
        let sum: f64 = x.iter().zip(w.iter().skip(1)).map(|(a, b)| a * b).sum();
        let bias = w[0];
        Response { example, bias, sum, z: bias + sum, a: sigmoid_scalar(bias + sum) }
    };
    Ok([make(most), make(least)])
}

/// A 20 x 20 image of signed values on white: red for positive, blue for negative, the
/// strength relative to `scale`.
fn signed_canvas(v: ArrayView1<f64>, side: usize, scale: f64) -> Canvas {
    let mut c = Canvas::new(side, side, WHITE);
    for col in 0..side {
        for r in 0..side {
            let t = if scale > 0.0 { (v[col * side + r] / scale).clamp(-1.0, 1.0) } else { 0.0 };
            let colour = if t >= 0.0 { lerp(WHITE, POS, t) } else { lerp(WHITE, NEG, -t) };
            c.put(col as i64, r as i64, colour);
        }
    }
    c
}

/// Why a hidden unit's picture means something. Hidden unit `unit` computes
/// z = Theta1[[unit, 0]] + sum over the 400 pixels of x * w, with w its other 400 weights
/// (row `unit` of Theta1 without the bias), and a = g(z). Drawn as a 20 x 20 image, w is
/// a template: where it is bright (positive), ink adds to z; where dark, ink subtracts.
/// The picture shows, for the example of `data` that excites the unit most (top row) and
/// the one it excites least (bottom row): the digit x, the weights w (gray, like
/// [`hidden_units`](crate::viz::hidden_units): mid-gray 0, white the largest positive),
/// their product x * w pixel by pixel (red adds to z, blue subtracts, one scale for both
/// rows), and the numbers: the bias weight, the sum of the product, z and a.
///
/// Errors: a unit past the last row of Theta1, no examples, data whose rows do not fit
/// the network.
///
/// ```
/// use nn_core::prelude::*;
/// let net = Network::random(&[400, 25, 10], Init::default(), 0).unwrap();
/// let x = ndarray::Array2::from_shape_fn((10, 400), |(i, j)| ((i * 3 + j) % 11) as f64 / 11.0);
/// let data = Dataset::new(x, ndarray::Array1::from_iter(1..=10), 10).unwrap();
/// let fig = viz::unit_response(&net, &data, 3).unwrap();
/// assert!(fig.width() <= 900);
/// assert!(viz::unit_response(&net, &data, 25).is_err());
/// ```
pub fn unit_response(network: &Network, data: &Dataset, unit: usize) -> Result<Figure> {
    let rs = responses(network, data, unit)?;
    let side = (data.num_features() as f64).sqrt().round() as usize;
    if side * side != data.num_features() {
        return Err(NnError::Shape {
            what: "data".into(),
            expected: "square images (400 pixels for 20 x 20)".into(),
            got: format!("{} pixels per example", data.num_features()),
        });
    }
    let w = network.theta1().row(unit);
    let w = w.slice(ndarray::s![1..]);
    let products: Vec<ndarray::Array1<f64>> = rs.iter().map(|r| &data.x().row(r.example) * &w).collect();
    let pscale = products.iter().flat_map(|p| p.iter()).fold(0.0f64, |m, v| m.max(v.abs()));
    let zoom = (PANEL / side).max(1);
    let width = LEFT + 3 * PANEL_PITCH + 370;
    let height = TOP + 2 * ROW_H + 20;
    let mut c = Canvas::new(width, height, WHITE);
    let title = format!("Hidden unit {unit}: its 400 input weights, as a 20 x 20 picture, are the pattern it matches");
    let ts = fit_size(&title, 17.0, 11.0, width as f32 - 20.0);
    c.text(&title, width as f32 / 2.0, 8.0, ts, TEXT, Align::Center);
    let heads = ["the digit x", "the unit's weights w", "x * w, pixel by pixel"];
    for (i, h) in heads.iter().enumerate() {
        c.text(h, (LEFT + i * PANEL_PITCH + PANEL / 2) as f32, (TOP - 30) as f32, 14.0, TEXT, Align::Center);
    }
    for (r, resp) in rs.iter().enumerate() {
        let y0 = (TOP + r * ROW_H) as i64;
        let x = data.x().row(resp.example);
        let panels = [image_canvas(x, side), image_canvas(w, side), signed_canvas(products[r].view(), side, pscale)];
        for (i, p) in panels.iter().enumerate() {
            let px = (LEFT + i * PANEL_PITCH) as i64;
            c.fill_rect(px - 1, y0 - 1, side * zoom + 2, side * zoom + 2, [150, 150, 150]);
            c.blit(&p.scaled(zoom), px, y0);
        }
        let sign = |v: f64| if v < 0.0 { "−" } else { "+" };
        let tx = (LEFT + 3 * PANEL_PITCH - 10) as f32;
        let which = if r == 0 { "the example it responds to most" } else { "the example it responds to least" };
        let digit = label_to_digit(data.y()[resp.example]);
        let lines: [(String, f32, Rgb); 5] = [
            (which.to_string(), 15.0, TEXT),
            (format!("example {}, a {digit}", resp.example), 14.0, MUTED),
            (
                format!("z = {:.3} (bias) {} {:.3} (sum of x * w)", resp.bias, sign(resp.sum), resp.sum.abs()),
                14.0,
                TEXT,
            ),
            (format!("   = {:.3}", resp.z), 14.0, TEXT),
            (format!("a = g(z) = {:.3}", resp.a), 17.0, if resp.a >= 0.5 { POS } else { NEG }),
        ];
        let mut y = y0 as f32 + 10.0;
        for (text, size, colour) in &lines {
            let s = fit_size(text, *size, 9.0, (width as f32 - tx) - 8.0);
            c.text(text, tx, y, s, *colour, Align::Left);
            y += line_height(s) + 6.0;
        }
    }
    let cap = "red: ink where the weight is positive (adds to z) · blue: ink where it is negative (subtracts)";
    let cs = fit_size(cap, 13.0, 9.0, width as f32 - 20.0);
    c.text(cap, width as f32 / 2.0, (height - 26) as f32, cs, MUTED, Align::Center);
    Figure::from_canvas(&c, None)
}
