//! How a result crosses from the child process that ran student code to the grader:
//! a plain little-endian byte encoding of the few types the grader sends.
//!
//! The class grader's sandbox hands back one [`Values`] (the student's calls on the
//! problems of a seed) as one [`frame`]: a magic word, the length, the bytes. The grader
//! takes exactly one whole frame ([`unframe`]) and nothing else: a short, long, doubled or
//! garbled report decodes to nothing.

use ndarray::{Array1, Array2};
use nn_core::lecture::gradcheck::GradEntry;
use nn_core::GradCheckReport;

use crate::outcome::{Calls, Failure};
use crate::student::CostValue;

/// A value that can be written to bytes and read back.
pub trait Wire: Sized {
    /// Appends the value's bytes.
    fn put(&self, out: &mut Vec<u8>);
    /// Reads a value from the front of `input`, advancing it; `None` when the bytes run out.
    fn take(input: &mut &[u8]) -> Option<Self>;
}

/// The bytes of one value.
pub fn encode<T: Wire>(value: &T) -> Vec<u8> {
    let mut out = Vec::new();
    value.put(&mut out);
    out
}

/// A value from exactly these bytes.
pub fn decode<T: Wire>(mut bytes: &[u8]) -> Option<T> {
    let value = T::take(&mut bytes)?;
    bytes.is_empty().then_some(value)
}

fn take_bytes<'a>(input: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
    if input.len() < n {
        return None;
    }
    let (head, rest) = input.split_at(n);
    *input = rest;
    Some(head)
}

impl Wire for u64 {
    fn put(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_le_bytes());
    }
    fn take(input: &mut &[u8]) -> Option<Self> {
        Some(u64::from_le_bytes(take_bytes(input, 8)?.try_into().ok()?))
    }
}

impl Wire for usize {
    fn put(&self, out: &mut Vec<u8>) {
        (*self as u64).put(out);
    }
    fn take(input: &mut &[u8]) -> Option<Self> {
        usize::try_from(u64::take(input)?).ok()
    }
}

impl Wire for f64 {
    fn put(&self, out: &mut Vec<u8>) {
        self.to_bits().put(out);
    }
    fn take(input: &mut &[u8]) -> Option<Self> {
        Some(f64::from_bits(u64::take(input)?))
    }
}

impl Wire for String {
    fn put(&self, out: &mut Vec<u8>) {
        self.len().put(out);
        out.extend_from_slice(self.as_bytes());
    }
    fn take(input: &mut &[u8]) -> Option<Self> {
        let n = usize::take(input)?;
        String::from_utf8(take_bytes(input, n)?.to_vec()).ok()
    }
}

impl<T: Wire> Wire for Vec<T> {
    fn put(&self, out: &mut Vec<u8>) {
        self.len().put(out);
        for v in self {
            v.put(out);
        }
    }
    fn take(input: &mut &[u8]) -> Option<Self> {
        let n = usize::take(input)?;
        // Each element takes at least one byte: a corrupt length cannot reserve much.
        let mut v = Vec::with_capacity(n.min(input.len()));
        for _ in 0..n {
            v.push(T::take(input)?);
        }
        Some(v)
    }
}

impl<T: Wire, E: Wire> Wire for Result<T, E> {
    fn put(&self, out: &mut Vec<u8>) {
        match self {
            Ok(v) => {
                out.push(0);
                v.put(out);
            }
            Err(e) => {
                out.push(1);
                e.put(out);
            }
        }
    }
    fn take(input: &mut &[u8]) -> Option<Self> {
        match take_bytes(input, 1)?[0] {
            0 => Some(Ok(T::take(input)?)),
            1 => Some(Err(E::take(input)?)),
            _ => None,
        }
    }
}

impl<A: Wire, B: Wire, C: Wire> Wire for (A, B, C) {
    fn put(&self, out: &mut Vec<u8>) {
        self.0.put(out);
        self.1.put(out);
        self.2.put(out);
    }
    fn take(input: &mut &[u8]) -> Option<Self> {
        Some((A::take(input)?, B::take(input)?, C::take(input)?))
    }
}

impl Wire for Array2<f64> {
    fn put(&self, out: &mut Vec<u8>) {
        self.nrows().put(out);
        self.ncols().put(out);
        for v in self.iter() {
            v.put(out);
        }
    }
    fn take(input: &mut &[u8]) -> Option<Self> {
        let (r, c) = (usize::take(input)?, usize::take(input)?);
        let n = r.checked_mul(c)?;
        if n.checked_mul(8)? > input.len() {
            return None;
        }
        let values: Vec<f64> = (0..n).map(|_| f64::take(input)).collect::<Option<_>>()?;
        Array2::from_shape_vec((r, c), values).ok()
    }
}

impl Wire for Array1<f64> {
    fn put(&self, out: &mut Vec<u8>) {
        self.to_vec().put(out);
    }
    fn take(input: &mut &[u8]) -> Option<Self> {
        Some(Array1::from(Vec::<f64>::take(input)?))
    }
}

/// `Wire` for a struct: its fields one after the other, in the order listed, which is the
/// order of both `put` and `take` (written once, so the two cannot disagree).
macro_rules! wire_struct {
    ($ty:ident { $($field:ident),* $(,)? }) => {
        impl Wire for $ty {
            fn put(&self, out: &mut Vec<u8>) {
                $(self.$field.put(out);)*
            }
            fn take(input: &mut &[u8]) -> Option<Self> {
                Some($ty { $($field: Wire::take(input)?),* })
            }
        }
    };
}

impl Wire for Failure {
    fn put(&self, out: &mut Vec<u8>) {
        match self {
            Failure::Panicked(s) => (0u64, s.clone()).put2(out),
            Failure::TimedOut(d) => {
                1u64.put(out);
                d.as_secs_f64().put(out);
            }
            Failure::OutOfMemory => 2u64.put(out),
            Failure::StackOverflow => 3u64.put(out),
            Failure::Exited(c) => (4u64, *c as i64 as u64).put2(out),
            Failure::Crashed(s) => (5u64, *s as i64 as u64).put2(out),
            Failure::Broken(s) => (6u64, s.clone()).put2(out),
        }
    }
    fn take(input: &mut &[u8]) -> Option<Self> {
        let int = |input: &mut &[u8]| i32::try_from(u64::take(input)? as i64).ok();
        Some(match u64::take(input)? {
            0 => Failure::Panicked(String::take(input)?),
            1 => Failure::TimedOut(std::time::Duration::try_from_secs_f64(f64::take(input)?).ok()?),
            2 => Failure::OutOfMemory,
            3 => Failure::StackOverflow,
            4 => Failure::Exited(int(input)?),
            5 => Failure::Crashed(int(input)?),
            6 => Failure::Broken(String::take(input)?),
            _ => return None,
        })
    }
}

/// A tag and its payload, one after the other.
trait Put2 {
    fn put2(&self, out: &mut Vec<u8>);
}

impl<A: Wire, B: Wire> Put2 for (A, B) {
    fn put2(&self, out: &mut Vec<u8>) {
        self.0.put(out);
        self.1.put(out);
    }
}

/// What the sandboxed student program hands back: its calls on the problems of one seed
/// (the grader's [`crate::cases`]), in the order the class grader runs them.
#[derive(Clone, Debug)]
pub struct Values {
    /// `nn_cost_function` on every cost case at lambda = 0.
    pub lambda0: Calls<CostValue>,
    /// ... and at each case's lambda.
    pub regularized: Calls<CostValue>,
    /// `sigmoid_gradient` on every input.
    pub sigmoid: Calls<Array2<f64>>,
    /// The five calls of `rand_initialize_weights`.
    pub init: Calls<Array2<f64>>,
}

wire_struct!(Values { lambda0, regularized, sigmoid, init });

/// What starts every frame.
pub const MAGIC: &[u8; 8] = b"NNX4VAL1";

/// `MAGIC`, the payload's length (u64, little-endian) and the payload.
pub fn frame(payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 16);
    out.extend_from_slice(MAGIC);
    payload.len().put(&mut out);
    out.extend_from_slice(payload);
    out
}

/// The payload of exactly one whole frame; `None` for anything else (empty, cut short,
/// followed by more bytes, another magic word).
pub fn unframe(bytes: &[u8]) -> Option<&[u8]> {
    let rest = bytes.strip_prefix(MAGIC.as_slice())?;
    let mut input = rest;
    let n = usize::take(&mut input)?;
    (input.len() == n).then_some(input)
}

wire_struct!(GradEntry { index, layer, row, col, numerical, analytical });
wire_struct!(GradCheckReport { sizes, lambda, numerical, analytical, relative_difference, per_theta, worst });

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    type Calls = Vec<Result<CostValue, String>>;

    #[test]
    fn round_trips() {
        let value: Calls = vec![
            Ok((f64::NAN, array![[1.0, -2.5], [3.0, f64::INFINITY], [0.0, 1e-300]], Array2::zeros((0, 3)))),
            Err("panicked: ünïcode".into()),
        ];
        let back: Calls = decode(&encode(&value)).unwrap();
        assert_eq!(back.len(), 2);
        let (Ok((j, a, b)), Ok((_, a0, b0))) = (&back[0], &value[0]) else { panic!() };
        assert!(j.is_nan() && a == a0 && b == b0);
        assert_eq!(back[1], value[1]);
        let report = nn_core::check_nn_gradients(&nn_core::nn_cost_function, 1.0).unwrap();
        let r: GradCheckReport = decode(&encode(&report)).unwrap();
        assert_eq!(r.to_string(), report.to_string());
        assert_eq!(r.entries(), report.entries());
        // Truncated or padded bytes are refused.
        let bytes = encode(&value);
        assert!(decode::<Calls>(&bytes[..bytes.len() - 1]).is_none());
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(decode::<Calls>(&longer).is_none());
    }

    #[test]
    fn a_frame_is_taken_whole_and_alone() {
        let payload = encode(&vec![1.5f64, -2.0]);
        let f = frame(&payload);
        assert_eq!(unframe(&f), Some(payload.as_slice()));
        assert_eq!(unframe(&f[..f.len() - 1]), None);
        assert_eq!(unframe(&[f.clone(), f.clone()].concat()), None);
        assert_eq!(unframe(&[f.as_slice(), b"x"].concat()), None);
        assert_eq!(unframe(&f[1..]), None);
        assert_eq!(unframe(b""), None);
    }

    #[test]
    fn failures_round_trip() {
        for f in [
            Failure::Panicked("p".into()),
            Failure::TimedOut(std::time::Duration::from_millis(1500)),
            Failure::OutOfMemory,
            Failure::StackOverflow,
            Failure::Exited(-3),
            Failure::Crashed(9),
            Failure::Broken("b".into()),
        ] {
            assert_eq!(decode::<Failure>(&encode(&f)), Some(f));
        }
        assert_eq!(decode::<Failure>(&encode(&7u64)), None);
    }
}
