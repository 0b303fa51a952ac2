//! Turning a panic message from student code into advice.
//!
//! ndarray's messages ("inputs 5 × 3 and 4 × 5 are not compatible for matrix
//! multiplication", "ndarray: index out of bounds") and Rust's (`todo!()`, an index, a
//! `usize` below 0) say what broke, not why; here they are read with the shapes of the
//! problem at hand and turned into what to look at — and, where the shapes show one of
//! the classic mistakes, its name.

use crate::mistakes::Mistake;

/// What the student code was doing when it panicked.
#[derive(Clone, Copy, Debug)]
pub enum Context {
    /// Anything.
    General,
    /// `sigmoid_gradient(z)`.
    SigmoidGradient,
    /// `nn_cost_function` on a problem with these Theta1 and Theta2 shapes and m examples.
    Cost {
        /// Theta1's shape.
        theta1: (usize, usize),
        /// Theta2's shape.
        theta2: (usize, usize),
        /// The number of examples.
        m: usize,
    },
}

/// The numbers of ndarray's "inputs a × b and c × d are not compatible" message.
fn product_shapes(raw: &str) -> Option<[usize; 4]> {
    let rest = raw.split("inputs ").nth(1)?;
    let nums: Vec<usize> = rest
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .take(4)
        .map(|s| s.parse().ok())
        .collect::<Option<_>>()?;
    nums.try_into().ok()
}

/// "Classic mistake — name: text".
pub fn named(mistake: Mistake, text: &str) -> String {
    format!("Classic mistake — {}: {text}", mistake.name())
}

/// A panic message in words, and the classic mistake it shows, if any.
pub fn explain_panic(raw: &str, ctx: Context) -> (String, Option<Mistake>) {
    if raw.starts_with("not yet implemented") {
        return ("not implemented yet (todo!())".into(), None);
    }
    if raw.starts_with("not implemented") {
        return ("not implemented yet (unimplemented!())".into(), None);
    }
    if raw.contains("not compatible for matrix multiplication") {
        return explain_product(raw, ctx);
    }
    if raw.contains("could not broadcast") || raw.contains("IncompatibleShape") {
        return (
            format!(
                "an element-wise operation met arrays of different shapes ({raw}) — print the shapes (`.dim()`) \
                 of a1, z2, a2, h and the one-hot labels"
            ),
            None,
        );
    }
    if raw.contains("index out of bounds") || raw.contains("out of bounds for array") {
        let hint = match ctx {
            Context::Cost { .. } => {
                " — labels are 1..=K: label k is output unit k - 1 in Rust's 0-based indexing (label 10, the \
                 digit 0, is the last unit, index 9)"
            }
            _ => "",
        };
        return (format!("an index was out of bounds ({raw}){hint}"), None);
    }
    if raw.contains("subtract with overflow") {
        return (
            format!("panicked: {raw} — an unsigned integer (usize, u8...) went below 0 (label - 1 with label 0?)"),
            None,
        );
    }
    (format!("panicked: {raw}"), None)
}

fn explain_product(raw: &str, ctx: Context) -> (String, Option<Mistake>) {
    let operands = product_shapes(raw).map(|[a, b, c, d]| ((a, b), (c, d)));
    let shapes = operands.map(|((a, b), (c, d))| format!(" ({a}x{b} times {c}x{d})")).unwrap_or_default();
    match ctx {
        Context::SigmoidGradient => {
            let m = Mistake::SigmoidGradientMatrixProduct;
            (named(m, &format!("a matrix product had mismatched shapes{shapes}; {}", m.description())), Some(m))
        }
        Context::Cost { theta1: (r1, c1), theta2: (r2, c2), m } => {
            let thetas = [(r1, c1), (r2, c2)];
            // A Theta in its stored shape on either side of a product: used without `.t()`.
            let untransposed = operands.is_some_and(|(l, r)| thetas.contains(&r) || thetas.contains(&l));
            // g(z2).dot(1 - g(z2)): both sides m x s2.
            let g_product = operands.is_some_and(|(l, r)| l == r && l == (m, r1));
            // A correct Theta' on the right, but the left side one column short or long.
            let bias = operands.is_some_and(|((_, b), (c, d))| thetas.contains(&(d, c)) && (b + 1 == c || b == c + 1));
            let here = format!("Here Theta1 is {r1}x{c1} and Theta2 is {r2}x{c2} (25x401 and 10x26 for the digits)");
            if g_product {
                let mk = Mistake::SigmoidGradientMatrixProduct;
                (named(mk, &format!("a matrix product had mismatched shapes{shapes}; {}", mk.description())), Some(mk))
            } else if bias && !untransposed {
                (
                    format!(
                        "a matrix product had mismatched shapes{shapes}; the sizes differ by one — is the bias \
                         column of ones missing (a1 = [1 X], a2 = [1 g(z2)]), or added twice? {here}"
                    ),
                    None,
                )
            } else if untransposed {
                let mk = Mistake::TransposedTheta;
                (
                    named(
                        mk,
                        &format!(
                            "a matrix product had mismatched shapes{shapes} — is a Theta transposed? {here}: \
                             z2 is `a1.dot(&theta1.t())`"
                        ),
                    ),
                    Some(mk),
                )
            } else {
                (format!("a matrix product had mismatched shapes{shapes} — is a Theta transposed? {here}"), None)
            }
        }
        Context::General => (format!("a matrix product had mismatched shapes{shapes} — is a matrix transposed?"), None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const COST: Context = Context::Cost { theta1: (5, 4), theta2: (3, 6), m: 5 };

    #[test]
    fn the_usual_panics_in_words() {
        assert_eq!(explain_panic("not yet implemented: nn_cost_function", COST).0, "not implemented yet (todo!())");
        assert_eq!(explain_panic("not implemented", Context::General).0, "not implemented yet (unimplemented!())");
        let (msg, m) =
            explain_panic("ndarray: inputs 5 × 4 and 5 × 4 are not compatible for matrix multiplication", COST);
        assert_eq!(m, Some(Mistake::TransposedTheta));
        assert!(
            msg.starts_with(
                "Classic mistake — transposed Theta: a matrix product had mismatched shapes (5x4 times 5x4)"
            ),
            "{msg}"
        );
        let (msg, m) =
            explain_panic("ndarray: inputs 5 × 3 and 4 × 5 are not compatible for matrix multiplication", COST);
        assert!(m.is_none() && msg.contains("bias column of ones missing"), "{msg}");
        let (msg, m) =
            explain_panic("ndarray: inputs 5 × 5 and 5 × 5 are not compatible for matrix multiplication", COST);
        assert_eq!(m, Some(Mistake::SigmoidGradientMatrixProduct), "{msg}");
        let (msg, _) = explain_panic("ndarray: index out of bounds", COST);
        assert!(msg.contains("label k is output unit k - 1"), "{msg}");
        assert_eq!(explain_panic("boom", COST).0, "panicked: boom");
    }
}
