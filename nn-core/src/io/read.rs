//! Reading the exercise's files: the digits (`X`, `y`) and the weights
//! (`Theta1`, `Theta2`, ...) from MATLAB `.mat` files, in the course's layout.
//!
//! The MAT v5 decoder is the kit's own ([`MatFile`]): it never panics, prints
//! nothing, and costs memory and time in proportion to the file, whatever its
//! headers claim. Every failure is an [`NnError`] naming the file, the variable
//! and what to do.
//!
//! ```no_run
//! use nn_core::{Dataset, Network};
//! let data = Dataset::load("data/digits.mat")?;
//! let net = Network::load("data/weights.mat")?;
//! # Ok::<(), nn_core::NnError>(())
//! ```

use std::io::Read;
use std::path::{Path, PathBuf};

use ndarray::{Array1, Array2, ShapeBuilder};

use flate2::read::ZlibDecoder;

use crate::error::{first_non_finite, shape_str, NnError, Result};
use crate::io::diagnose::header_problem;
use crate::io::format::{
    class_name, element_at, endianness, read_u32, MI_COMPRESSED, MI_INT32, MI_INT8, MI_MATRIX, MI_UINT32,
    NUM_LABELS_VAR, RESAVE_HINT,
};
use crate::lecture::data::{MAX_LABELS, NUM_LABELS};
use crate::lecture::{Dataset, Network};

impl Dataset {
    /// Loads `X` and `y` from an ex4data1-style `.mat` file (labels `1..=10`,
    /// or `1..=K` when the file has a `num_labels` variable, as [`Dataset::save`]
    /// writes for K other than 10).
    pub fn load(path: impl AsRef<Path>) -> Result<Dataset> {
        let path = path.as_ref();
        let mat = read_mat(path)?;
        let k = match mat.find_by_name(NUM_LABELS_VAR) {
            None => NUM_LABELS,
            Some(_) => {
                let v = matrix(&mat, path, NUM_LABELS_VAR)?;
                let k = v.iter().next().copied().filter(|_| v.len() == 1).ok_or_else(|| NnError::Shape {
                    what: format!("{NUM_LABELS_VAR} in {}", path.display()),
                    expected: "1x1 (the number of classes K)".into(),
                    got: shape_str(v.nrows(), v.ncols()),
                })?;
                if !(k.fract() == 0.0 && (1.0..=MAX_LABELS as f64).contains(&k)) {
                    return Err(NnError::InvalidArgument {
                        name: "number of labels",
                        reason: format!(
                            "`{NUM_LABELS_VAR}` in {} is {k}; it must be a whole number between 1 and {MAX_LABELS}",
                            path.display()
                        ),
                    });
                }
                k as usize
            }
        };
        dataset_from(&mat, path, k)
    }

    /// Like [`Dataset::load`], for `num_labels` classes (whatever the file says).
    pub fn load_with_labels(path: impl AsRef<Path>, num_labels: usize) -> Result<Dataset> {
        let path = path.as_ref();
        let mat = read_mat(path)?;
        dataset_from(&mat, path, num_labels)
    }
}

fn dataset_from(mat: &MatFile, path: &Path, num_labels: usize) -> Result<Dataset> {
    let x = matrix(mat, path, "X")?;
    let yv = matrix(mat, path, "y")?;
    let in_file = |name: &str| format!("{name} in {}", path.display());
    if yv.ncols() != 1 && yv.nrows() != 1 {
        return Err(NnError::Shape {
            what: in_file("y"),
            expected: format!("{}x1 (a column of labels, one per row of X)", x.nrows()),
            got: shape_str(yv.nrows(), yv.ncols()),
        });
    }
    let m = yv.len();
    if m != x.nrows() {
        if m == x.ncols() && m > 0 {
            return Err(NnError::Shape {
                what: in_file("X"),
                expected: format!("one example per row: {m}x{} (m x {}, one row per label of y)", x.nrows(), x.nrows()),
                got: format!(
                    "{} — X is {}x{}, one example per column; is it transposed? Save X' (MATLAB/Octave) or X.T (numpy) instead",
                    shape_str(x.nrows(), x.ncols()),
                    x.nrows(),
                    x.ncols()
                ),
            });
        }
        return Err(NnError::Shape {
            what: in_file("y"),
            expected: format!("{}x1 (one label per row of X, which is {})", x.nrows(), shape_str(x.nrows(), x.ncols())),
            got: shape_str(yv.nrows(), yv.ncols()),
        });
    }
    if num_labels == 0 || num_labels > MAX_LABELS {
        return Err(NnError::InvalidArgument {
            name: "number of labels",
            reason: format!("K must be between 1 and {MAX_LABELS}, got {num_labels}"),
        });
    }
    let y = labels_from_f64(&in_file("y"), yv.iter().copied(), num_labels)?;
    if let Some((r, c, v)) = first_non_finite(x.view()) {
        return Err(NnError::NonFinite { what: in_file("X"), row: r, col: c, value: v });
    }
    Dataset::new(x, y, num_labels)
}

fn labels_from_f64(what: &str, values: impl Iterator<Item = f64>, k: usize) -> Result<Array1<usize>> {
    let mut out = Vec::new();
    for (row, v) in values.enumerate() {
        if !(v.fract() == 0.0 && v >= 1.0 && v <= k as f64) {
            return Err(NnError::Label { what: what.to_string(), row, value: v, k });
        }
        out.push(v as usize);
    }
    Ok(Array1::from(out))
}

impl Network {
    /// Loads `Theta1`, `Theta2`, ... (as many as the file has, in order) from a
    /// `.mat` file such as the course's `ex4weights.mat`.
    pub fn load(path: impl AsRef<Path>) -> Result<Network> {
        let path = path.as_ref();
        let mat = read_mat(path)?;
        let mut thetas = vec![matrix(&mat, path, "Theta1")?];
        let mut l = 2;
        while mat.find_by_name(&format!("Theta{l}")).is_some() {
            thetas.push(matrix(&mat, path, &format!("Theta{l}"))?);
            l += 1;
        }
        // Theta1 and Theta3 without Theta2: the gap is what is missing, not a layer.
        let numbered = |a: &MatArray| a.name.strip_prefix("Theta")?.parse::<usize>().ok();
        if mat.arrays.iter().filter_map(numbered).any(|n| n > l) {
            return Err(NnError::MissingVariable {
                path: path.to_path_buf(),
                name: format!("Theta{l}"),
                present: mat.arrays.iter().map(|a| a.name.clone()).collect(),
            });
        }
        Network::new(thetas).map_err(|e| match e {
            NnError::Shape { what, expected, got } => {
                NnError::Shape { what: format!("{what} in {}", path.display()), expected, got }
            }
            NnError::NonFinite { what, row, col, value } => {
                NnError::NonFinite { what: format!("{what} in {}", path.display()), row, col, value }
            }
            NnError::InvalidArgument { name, reason } => {
                NnError::InvalidArgument { name, reason: format!("{} holds no network: {reason}", path.display()) }
            }
            other => other,
        })
    }

    /// Loads a network and checks it has the expected layer sizes, e.g.
    /// `[400, 25, 10]` — catches a transposed or mismatched Theta early.
    pub fn load_expecting(path: impl AsRef<Path>, sizes: &[usize]) -> Result<Network> {
        let path = path.as_ref();
        if sizes.len() < 3 || sizes.contains(&0) {
            return Err(NnError::InvalidArgument {
                name: "layer sizes",
                reason: format!(
                    "expected layer sizes {sizes:?} for {}: give at least an input and an output layer, none empty, e.g. [400, 25, 10]",
                    path.display()
                ),
            });
        }
        let net = Network::load(path)?;
        let got = net.layer_sizes();
        if got != sizes {
            let l = got.len().min(sizes.len()).max(2);
            let (which, exp, have) = (1..l)
                .find_map(|i| {
                    let e = (sizes.get(i).copied().unwrap_or(0), sizes.get(i - 1).map_or(0, |s| s.saturating_add(1)));
                    let g = net.theta(i).map(|t| t.dim()).unwrap_or((0, 0));
                    (e != g).then_some((i, e, g))
                })
                .unwrap_or((got.len().min(sizes.len()), (0, 0), (0, 0)));
            if exp == (0, 0) && have == (0, 0) {
                // Every common Theta matches: the layer counts differ.
                return Err(NnError::Shape {
                    what: format!("the network in {}", path.display()),
                    expected: format!("{} (layer sizes {sizes:?})", thetas_word(sizes.len() - 1)),
                    got: format!("{} (layer sizes {got:?})", thetas_word(got.len() - 1)),
                });
            }
            return Err(NnError::Shape {
                what: format!("Theta{which} in {}", path.display()),
                expected: format!("{} (layer sizes {sizes:?})", shape_str(exp.0, exp.1)),
                got: format!("{} (layer sizes {got:?})", shape_str(have.0, have.1)),
            });
        }
        Ok(net)
    }
}

/// A MAT file's variables, decoded by the kit's own MAT v5 reader.
///
/// The reader takes what MATLAB's `save -v6`/`-v7`, Octave's `save -v7` and
/// `scipy.io.savemat` write: numeric matrices of every class (double, single,
/// int8..uint64, logical) become f64; sparse, cell, struct, char and object
/// variables are listed (so an error can say what they are) but carry no values.
///
/// Reading costs memory and time in proportion to the file, never to what a
/// header claims: sizes are checked against the bytes present before anything
/// is allocated, and compressed variables are inflated no further than their
/// declared dimensions (and zlib's maximum ratio) allow.
#[derive(Clone, Debug, PartialEq)]
pub struct MatFile {
    arrays: Vec<MatArray>,
}

/// One variable of a [`MatFile`].
#[derive(Clone, Debug, PartialEq)]
pub struct MatArray {
    name: String,
    class: u32,
    dims: Vec<usize>,
    complex: bool,
    /// Column-major values of a numeric variable; `None` for other classes.
    values: Option<Vec<f64>>,
}

impl MatFile {
    /// Every variable, in file order.
    pub fn arrays(&self) -> &[MatArray] {
        &self.arrays
    }

    /// The first variable with this name.
    pub fn find_by_name(&self, name: &str) -> Option<&MatArray> {
        self.arrays.iter().find(|a| a.name == name)
    }
}

impl MatArray {
    /// The variable's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its dimensions as stored (MATLAB's `size`).
    pub fn size(&self) -> &[usize] {
        &self.dims
    }

    /// MATLAB's class name: `double`, `int32`, `sparse`, `cell`...
    pub fn class_name(&self) -> &'static str {
        crate::io::format::class_name(self.class)
    }
}

/// `Theta1 only`, `Theta1..Theta3`.
fn thetas_word(n: usize) -> String {
    if n == 1 {
        "Theta1 only".into()
    } else {
        format!("Theta1..Theta{n}")
    }
}

/// Reads and parses a `.mat` file, turning every failure into an error that
/// names the file and, where it can, the variable and the cause.
pub fn read_mat(path: &Path) -> Result<MatFile> {
    if path.as_os_str().is_empty() {
        return Err(NnError::InvalidArgument {
            name: "path",
            reason: "the path is empty: give the path of a .mat file, e.g. \"data/ex4data1.mat\"".into(),
        });
    }
    let io_err = |source| NnError::Io { path: path.to_path_buf(), action: "read", source };
    // Only regular files: a folder, a pipe or a device (/dev/zero) would fail
    // obscurely, block, or never end.
    let meta = std::fs::metadata(path).map_err(io_err)?;
    if !meta.is_file() {
        let what = if meta.is_dir() { "a folder" } else { "not a regular file (a device, pipe or socket)" };
        return Err(NnError::NotMat {
            path: path.to_path_buf(),
            reason: format!("it is {what}; give the path of a .mat file"),
        });
    }
    let bytes = std::fs::read(path).map_err(io_err)?;
    parse_mat(path, &bytes)
}

/// Parses the bytes of a MAT v5 file (see [`MatFile`]).
pub fn parse_mat(path: &Path, bytes: &[u8]) -> Result<MatFile> {
    let not_mat = |reason: String| NnError::NotMat { path: PathBuf::from(path), reason };
    if let Some(reason) = header_problem(bytes) {
        return Err(not_mat(reason));
    }
    let little = endianness(bytes).ok_or_else(|| not_mat("it has no MAT v5 header".into()))?;
    let mut arrays = Vec::new();
    let (mut at, mut index) = (128, 0);
    while at < bytes.len() {
        index += 1;
        let data = element_at(bytes, at, little)
            .and_then(|el| Some((el.data_type, bytes.get(el.data_start..el.end)?, el.next)));
        let Some((data_type, data, next)) = data else {
            return Err(not_mat(format!(
                "the file is truncated at element {index} (byte {at}); copy or save it again"
            )));
        };
        let decoded = match data_type {
            MI_MATRIX => decode_matrix(data, little, None),
            MI_COMPRESSED => decode_compressed(data, little),
            // Not a variable (MATLAB writes none at the top level): skipped.
            _ => Ok(None),
        };
        match decoded {
            Ok(Some(array)) => arrays.push(array),
            Ok(None) => {}
            Err(bad) => return Err(not_mat(bad.explain(index, at))),
        }
        at = next;
    }
    Ok(MatFile { arrays })
}

/// Why one element cannot be decoded (and the variable's name when known).
struct Bad {
    name: Option<String>,
    what: String,
}

impl Bad {
    fn new(what: impl Into<String>) -> Bad {
        Bad { name: None, what: what.into() }
    }

    fn named(mut self, name: &str) -> Bad {
        self.name.get_or_insert_with(|| name.to_string());
        self
    }

    fn explain(&self, index: usize, at: usize) -> String {
        let who = match &self.name {
            Some(n) => format!("variable `{n}` (element {index}, at byte {at})"),
            None => format!("element {index} (at byte {at})"),
        };
        format!(
            "{who} {}; the file is damaged or was not written by MATLAB, Octave or scipy — copy it again, or {}",
            self.what, RESAVE_HINT
        )
    }
}

type Decoded = std::result::Result<Option<MatArray>, Bad>;

/// deflate expands at most about 1032:1: no honest compressed element inflates beyond this.
const MAX_INFLATE_RATIO: u64 = 1032;

/// How much of an inflated element is read before its header is checked.
const HEADER_PREFIX: u64 = 64 * 1024;

fn decode_compressed(data: &[u8], little: bool) -> Decoded {
    let mut z = ZlibDecoder::new(data);
    let corrupt = |e: std::io::Error| Bad::new(format!("has corrupt compressed data ({e})"));
    let mut tag = Vec::with_capacity(8);
    (&mut z).take(8).read_to_end(&mut tag).map_err(corrupt)?;
    let (Some(data_type), Some(size)) = (read_u32(&tag, 0, little), read_u32(&tag, 4, little)) else {
        return Err(Bad::new("inflates to fewer than the 8 bytes of a tag"));
    };
    if data_type != MI_MATRIX {
        return Ok(None); // compressed, but not a variable
    }
    let size = u64::from(size);
    let ratio_cap = (data.len() as u64).saturating_mul(MAX_INFLATE_RATIO).saturating_add(1024);
    if size > ratio_cap {
        return Err(Bad::new(format!(
            "claims {size} bytes once inflated, more than its {} compressed bytes can hold",
            data.len()
        )));
    }
    // The header first (flags, dimensions, name), to bound the rest by the dimensions.
    let mut body = Vec::new();
    (&mut z).take(size.min(HEADER_PREFIX)).read_to_end(&mut body).map_err(corrupt)?;
    let header = decode_header(&body, little, size > HEADER_PREFIX)?;
    let Some(bound) = header.max_body_len() else {
        // Not numeric (sparse, cell, struct...): the values are never used.
        return Ok(Some(header.into_array(None)));
    };
    if size > bound {
        return Err(Bad::new(format!(
            "claims {size} bytes, but a {} {} matrix needs at most {bound}",
            dims_str(&header.dims),
            class_name(header.class)
        ))
        .named(&header.name));
    }
    (&mut z).take(size - body.len() as u64).read_to_end(&mut body).map_err(|e| corrupt(e).named(&header.name))?;
    if (body.len() as u64) < size {
        return Err(Bad::new(format!(
            "inflates to {} bytes, fewer than the {size} its tag declares (the compressed data is cut short)",
            body.len()
        ))
        .named(&header.name));
    }
    decode_matrix(&body, little, Some(header))
}

/// The flags, dimensions and name of a `miMATRIX` body.
struct Header {
    name: String,
    class: u32,
    complex: bool,
    dims: Vec<usize>,
    /// Where the data subelements start.
    data_start: usize,
}

/// MATLAB's numeric classes: double, single, int8..uint64.
fn is_numeric_class(class: u32) -> bool {
    (6..=15).contains(&class)
}

impl Header {
    fn count(&self) -> Option<u64> {
        self.dims.iter().try_fold(1u64, |n, &d| n.checked_mul(d as u64))
    }

    /// The most bytes an honest body of this variable can take: header, then
    /// the real and imaginary parts at 8 bytes a value at most (plus tags and
    /// padding). `None` for variables whose values the kit never reads.
    fn max_body_len(&self) -> Option<u64> {
        if !is_numeric_class(self.class) {
            return None;
        }
        let part = self.count().and_then(|n| n.checked_mul(8)).and_then(|b| b.checked_add(16)).unwrap_or(u64::MAX);
        let parts = if self.complex { 2 } else { 1 };
        Some((self.data_start as u64).saturating_add(part.saturating_mul(parts)))
    }

    fn into_array(self, values: Option<Vec<f64>>) -> MatArray {
        MatArray { name: self.name, class: self.class, dims: self.dims, complex: self.complex, values }
    }
}

fn dims_str(dims: &[usize]) -> String {
    dims.iter().map(|d| d.to_string()).collect::<Vec<_>>().join("x")
}

/// One subelement at `*pos` (small or long format): its type and data; moves `*pos` past it.
fn subelement<'a>(
    body: &'a [u8],
    pos: &mut usize,
    little: bool,
    what: &str,
) -> std::result::Result<(u32, &'a [u8]), Bad> {
    let cut = || Bad::new(format!("ends inside its {what} (the variable is cut short)"));
    let first = read_u32(body, *pos, little).ok_or_else(cut)?;
    if first >> 16 != 0 {
        let size = (first >> 16) as usize;
        if size > 4 {
            return Err(Bad::new(format!(
                "has a malformed field for its {what}: a small field cannot hold {size} bytes"
            )));
        }
        let data = body.get(*pos + 4..*pos + 4 + size).ok_or_else(cut)?;
        *pos += 8;
        return Ok((first & 0xffff, data));
    }
    let size = read_u32(body, *pos + 4, little).ok_or_else(cut)? as usize;
    let data = body.get(*pos + 8..*pos + 8 + size).ok_or_else(|| {
        Bad::new(format!(
            "has a field for its {what} that claims {size} bytes where only {} remain",
            body.len().saturating_sub(*pos + 8)
        ))
    })?;
    *pos += 8 + size.div_ceil(8) * 8;
    Ok((first, data))
}

/// `prefix_only`: `body` is the first bytes of a longer body (say so if the header does not fit).
fn decode_header(body: &[u8], little: bool, prefix_only: bool) -> std::result::Result<Header, Bad> {
    let too_long = |b: Bad| if prefix_only { Bad::new("has a header longer than 64 KiB") } else { b };
    let mut pos = 0;
    let (ty, flags) = subelement(body, &mut pos, little, "array flags").map_err(too_long)?;
    let flags_word = read_u32(flags, 0, little).filter(|_| ty == MI_UINT32 && flags.len() == 8);
    let Some(flags_word) = flags_word else {
        return Err(Bad::new("has a malformed field for its array flags"));
    };
    let class = flags_word & 0xff;
    let complex = flags_word & 0x800 != 0;
    const MX_OPAQUE_CLASS: u32 = 17;
    let raw_dims: Vec<i64> = if class == MX_OPAQUE_CLASS {
        Vec::new() // objects (string, table, ...) carry their name right after the flags
    } else {
        let (ty, d) = subelement(body, &mut pos, little, "dimensions").map_err(too_long)?;
        if ty != MI_INT32 || d.len() < 8 || d.len() % 4 != 0 {
            return Err(Bad::new("has a malformed field for its dimensions"));
        }
        d.chunks_exact(4).map(|c| i64::from(read_u32(c, 0, little).unwrap_or(0) as i32)).collect()
    };
    let (ty, name) = subelement(body, &mut pos, little, "name").map_err(too_long)?;
    if ![MI_INT8, 2, 16].contains(&ty) {
        return Err(Bad::new("has a malformed field for its name"));
    }
    let name = String::from_utf8_lossy(name).trim_end_matches('\0').to_string();
    if raw_dims.iter().any(|&d| d < 0) {
        let shown = raw_dims.iter().map(|d| d.to_string()).collect::<Vec<_>>().join("x");
        return Err(Bad::new(format!("declares the dimensions {shown}; a dimension cannot be negative")).named(&name));
    }
    let dims = raw_dims.into_iter().map(|d| d as usize).collect();
    Ok(Header { name, class, complex, dims, data_start: pos })
}

/// A `miMATRIX` body (tag excluded). `header`: already decoded from its start.
fn decode_matrix(body: &[u8], little: bool, header: Option<Header>) -> Decoded {
    let header = match header {
        Some(h) => h,
        None => decode_header(body, little, false)?,
    };
    if !is_numeric_class(header.class) {
        return Ok(Some(header.into_array(None)));
    }
    let name = header.name.clone();
    let n = header.count().and_then(|n| usize::try_from(n).ok()).unwrap_or(usize::MAX);
    let mut pos = header.data_start;
    let (ty, real) = subelement(body, &mut pos, little, "values").map_err(|b| b.named(&name))?;
    let values = numbers(ty, real, little, n, &header.dims).map_err(|b| b.named(&name))?;
    if header.complex {
        let (ty, imag) = subelement(body, &mut pos, little, "imaginary part").map_err(|b| b.named(&name))?;
        numbers(ty, imag, little, n, &header.dims).map_err(|b| b.named(&name))?;
    }
    Ok(Some(header.into_array(Some(values))))
}

/// The values of a numeric subelement as f64; exactly `n` of them.
fn numbers(ty: u32, data: &[u8], little: bool, n: usize, dims: &[usize]) -> std::result::Result<Vec<f64>, Bad> {
    let size = match ty {
        1 | 2 => 1,
        3 | 4 => 2,
        5..=7 => 4,
        9 | 12 | 13 => 8,
        _ => return Err(Bad::new(format!("stores its values with data type {ty}, which is not a number type"))),
    };
    if !data.len().is_multiple_of(size) || data.len() / size != n {
        return Err(Bad::new(format!(
            "says it is {} ({n} values) but holds {} bytes of {size}-byte numbers",
            dims_str(dims),
            data.len()
        )));
    }
    macro_rules! conv {
        ($t:ty) => {
            data.chunks_exact(size)
                .map(|c| {
                    let b = c.try_into().unwrap_or_default();
                    (if little { <$t>::from_le_bytes(b) } else { <$t>::from_be_bytes(b) }) as f64
                })
                .collect()
        };
    }
    Ok(match ty {
        1 => conv!(i8),
        2 => conv!(u8),
        3 => conv!(i16),
        4 => conv!(u16),
        5 => conv!(i32),
        6 => conv!(u32),
        7 => conv!(f32),
        9 => conv!(f64),
        12 => conv!(i64),
        _ => conv!(u64),
    })
}

/// What a variable is and how to save it as a plain matrix instead.
fn unsupported(a: &MatArray) -> (String, String) {
    let name = &a.name;
    let resave =
        format!("then `save -v7 file.mat {name} ...` (Python: `scipy.io.savemat('file.mat', {{'{name}': ...}})`)");
    match a.class_name() {
        "sparse" => (
            "a sparse matrix".into(),
            format!("store it full: MATLAB/Octave `{name} = full({name});` (Python: `{name}.toarray()`), {resave}"),
        ),
        "cell" => (
            "a cell array".into(),
            format!("store a numeric matrix: MATLAB/Octave `{name} = cell2mat({name});` (Python: `numpy.array(...)` of numbers, not objects), {resave}"),
        ),
        "struct" => (
            "a struct".into(),
            format!("save the field that holds the matrix as its own variable: MATLAB/Octave `{name} = s.{name};` {resave}"),
        ),
        "char" => (
            "text (a char array)".into(),
            format!("store numbers, not text: MATLAB/Octave `{name} = str2double({name});` {resave}"),
        ),
        other => (
            format!("a MATLAB {other} value"),
            format!("store a plain numeric matrix: MATLAB/Octave `{name} = double({name});` {resave}"),
        ),
    }
}

/// A named 2-D numeric variable as a row-major f64 matrix.
pub fn matrix(mat: &MatFile, path: &Path, name: &str) -> Result<Array2<f64>> {
    let arr = mat.find_by_name(name).ok_or_else(|| NnError::MissingVariable {
        path: path.to_path_buf(),
        name: name.to_string(),
        present: mat.arrays().iter().map(|a| a.name().to_string()).collect(),
    })?;
    let Some(values) = &arr.values else {
        let (found, hint) = unsupported(arr);
        return Err(NnError::UnsupportedVariable { path: path.to_path_buf(), name: name.to_string(), found, hint });
    };
    if arr.complex {
        return Err(NnError::UnsupportedVariable {
            path: path.to_path_buf(),
            name: name.to_string(),
            found: format!("a complex {} matrix", arr.class_name()),
            hint: format!(
                "store real numbers: MATLAB/Octave `{name} = real({name});` then save it again with `save -v7`"
            ),
        });
    }
    // MATLAB never stores fewer than 2 dimensions; trailing singleton ones are harmless.
    let size = arr.size();
    let (rows, cols) = match size {
        [r, c, rest @ ..] if rest.iter().all(|&d| d == 1) => (*r, *c),
        _ => {
            return Err(NnError::Shape {
                what: format!("{name} in {}", path.display()),
                expected: format!(
                    "a 2-D matrix (reshape it before saving, e.g. MATLAB/Octave `{name} = reshape({name}, size({name}, 1), [])`)"
                ),
                got: format!("{} dimensions ({})", size.len(), dims_str(size)),
            })
        }
    };
    let a = Array2::from_shape_vec((rows, cols).f(), values.clone()).map_err(|_| NnError::NotMat {
        path: path.to_path_buf(),
        reason: format!("variable `{name}` says {rows}x{cols} but holds {} values", values.len()),
    })?;
    Ok(a.as_standard_layout().into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fractional_labels_are_rejected() {
        let e = labels_from_f64("y", [1.0, 2.5].into_iter(), 10).unwrap_err();
        assert!(e.to_string().contains("2.5") && e.to_string().contains("row 2"), "{e}");
    }

    /// The bundled files load with the kit's reader, identical to what matfile reads.
    #[test]
    fn bundled_files_load_and_agree_with_matfile() {
        let t = std::time::Instant::now();
        let data = Dataset::load(crate::io::bundled::digits_path()).unwrap();
        let ours = t.elapsed();
        assert_eq!((data.len(), data.num_features()), (5000, 400));
        assert_eq!(data.label_counts(), vec![500; 10]);
        let net = Network::load_expecting(crate::io::bundled::weights_path(), &[400, 25, 10]).unwrap();
        let bytes = std::fs::read(crate::io::bundled::digits_path()).unwrap();
        let t = std::time::Instant::now();
        let theirs = matfile::MatFile::parse(&bytes[..]).unwrap();
        println!("digits.mat (5000x400): Dataset::load {ours:?}; matfile's parse alone {:?}", t.elapsed());
        let matfile::NumericData::Double { real, .. } = theirs.find_by_name("X").unwrap().data() else { panic!() };
        // matfile gives X column-major.
        let x = ndarray::ArrayView2::from_shape((5000, 400).f(), real.as_slice()).unwrap();
        assert_eq!(&x, data.x());
        assert!(net.thetas().iter().all(|t| t.iter().all(|v| v.is_finite())));
    }

    /// The kit's reader agrees with the `matfile` crate (the reader it replaces)
    /// on every valid file both can read: shapes, order, every bit of the values.
    #[test]
    fn agrees_with_matfile_on_valid_files() {
        let mut state = 0x1234_5678_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for case in 0..200 {
            let vars: Vec<(String, Array2<f64>)> = (0..1 + next() % 3)
                .map(|i| {
                    let (r, c) = ((next() % 6) as usize, (next() % 6) as usize);
                    let a = Array2::from_shape_fn((r, c), |_| f64::from_bits(next()) % 1e6);
                    (format!("V{i}_{case}"), a.mapv(|v| if v.is_finite() { v } else { 0.5 }))
                })
                .collect();
            let views: Vec<(&str, ndarray::ArrayView2<f64>)> =
                vars.iter().map(|(n, a)| (n.as_str(), a.view())).collect();
            let bytes = crate::io::mat::mat_bytes(&views).unwrap();
            let ours = parse_mat(Path::new("case.mat"), &bytes).unwrap();
            let theirs = matfile::MatFile::parse(&bytes[..]).unwrap();
            assert_eq!(ours.arrays().len(), theirs.arrays().len());
            for (a, b) in ours.arrays().iter().zip(theirs.arrays()) {
                assert_eq!((a.name(), a.size()), (b.name(), b.size().as_slice()));
                let matfile::NumericData::Double { real, imag: None } = b.data() else { panic!("{case}") };
                let mine = a.values.as_ref().unwrap();
                assert_eq!(
                    mine.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                    real.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
                );
            }
        }
    }
}
