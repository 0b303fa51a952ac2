//! MAT v5 files: a small writer. The reader is in [`read`](super::read), the
//! explanation of why a file could not be read in [`diagnose`](super::diagnose), the
//! format's numbers and element framing in [`format`](super::format).
//!
//! The writer stores real double matrices, each as a zlib-compressed
//! `miCOMPRESSED` element — the format MATLAB's `save -v7`, Octave's
//! `save -v7` and `scipy.io.savemat(..., do_compression=True)` write, and that
//! all three (and the kit's reader) read back bit for bit. The bytes are
//! deterministic: the header carries no timestamp, so saving the same values
//! twice gives identical files (the bundled data in `data/` relies on it).
//!
//! Writes are atomic: the bytes go to a temporary file in the target's folder,
//! are flushed to disk, and the temporary file is then renamed over the
//! target. A failed save leaves the previous file (or no file) in place, never
//! a truncated one.
//!
//! ```
//! use ndarray::array;
//! use nn_core::io::write_mat;
//! let dir = std::env::temp_dir().join(format!("nn-core-doc-mat-{}", std::process::id()));
//! std::fs::create_dir_all(&dir).unwrap();
//! let path = dir.join("small.mat");
//! let a = array![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]];
//! write_mat(&path, &[("A", a.view())]).unwrap();
//! // Any MAT reader sees A as the 2x3 matrix above; here with the kit's own reader:
//! let mat = nn_core::io::read::read_mat(&path).unwrap();
//! assert_eq!(nn_core::io::read::matrix(&mat, &path, "A").unwrap(), a);
//! # std::fs::remove_dir_all(&dir).unwrap();
//! ```

use std::io::Write;
use std::path::Path;

use flate2::write::ZlibEncoder;
use flate2::Compression;
use ndarray::ArrayView2;

use super::atomic::write_atomic;
use super::format::{
    HEADER_TEXT, MAX_NAME_LEN, MI_COMPRESSED, MI_DOUBLE, MI_INT32, MI_INT8, MI_MATRIX, MI_UINT32, MX_DOUBLE_CLASS,
    MX_INT32_CLASS, NUM_LABELS_VAR,
};
use crate::error::{NnError, Result};
use crate::lecture::{Dataset, Network};

/// Writes real double matrices as a MAT v5 file (compressed, one variable per
/// `(name, matrix)` pair, in the given order), atomically.
///
/// Names must be valid MATLAB identifiers (a letter, then letters, digits or
/// `_`; at most 63 characters) and distinct. Values are stored exactly (every
/// bit of every f64), in MATLAB's column-major order whatever the memory
/// layout of the view.
///
/// ```
/// use ndarray::array;
/// let dir = std::env::temp_dir().join(format!("nn-core-doc-write-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// let theta = array![[0.5, -1.0], [0.25, 2.0]];
/// nn_core::io::write_mat(dir.join("t.mat"), &[("Theta1", theta.view())]).unwrap();
/// // A bad name is refused before anything is written.
/// assert!(nn_core::io::write_mat(dir.join("u.mat"), &[("1st", theta.view())]).is_err());
/// assert!(!dir.join("u.mat").exists());
/// # std::fs::remove_dir_all(&dir).unwrap();
/// ```
pub fn write_mat(path: impl AsRef<Path>, vars: &[(&str, ArrayView2<f64>)]) -> Result<()> {
    let path = path.as_ref();
    let vars: Vec<(&str, Payload)> = vars.iter().map(|(n, a)| (*n, Payload::Double(a.view()))).collect();
    let bytes = encode_mat(&vars)?;
    write_atomic(path, &bytes)
}

/// The bytes of a MAT v5 file holding these double matrices (what
/// [`write_mat`] writes), for the tests.
#[cfg(test)]
pub(crate) fn mat_bytes(vars: &[(&str, ArrayView2<f64>)]) -> Result<Vec<u8>> {
    let vars: Vec<(&str, Payload)> = vars.iter().map(|(n, a)| (*n, Payload::Double(a.view()))).collect();
    encode_mat(&vars)
}

impl Network {
    /// Saves `Theta1`, `Theta2`, ... `ThetaL` as a MAT v5 file (atomically),
    /// readable by [`Network::load`], MATLAB, Octave and `scipy.io.loadmat`.
    ///
    /// ```
    /// use nn_core::{Init, Network};
    /// let dir = std::env::temp_dir().join(format!("nn-core-doc-save-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir).unwrap();
    /// let net = Network::random(&[400, 25, 10], Init::default(), 1).unwrap();
    /// net.save(dir.join("weights.mat")).unwrap();
    /// assert_eq!(Network::load(dir.join("weights.mat")).unwrap(), net); // bit-identical
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// ```
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        let names: Vec<String> = (1..=self.thetas().len()).map(|l| format!("Theta{l}")).collect();
        let vars: Vec<(&str, ArrayView2<f64>)> =
            names.iter().zip(self.thetas()).map(|(n, t)| (n.as_str(), t.view())).collect();
        write_mat(path, &vars)
    }
}

impl Dataset {
    /// Saves the examples as an ex4data1-style MAT v5 file (atomically): `X`
    /// (m x n double) and `y` (m x 1 double, the labels `1..=K`).
    ///
    /// ```
    /// use ndarray::array;
    /// use nn_core::Dataset;
    /// let dir = std::env::temp_dir().join(format!("nn-core-doc-dsave-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir).unwrap();
    /// let data = Dataset::new(array![[0.0, 0.5], [1.0, -0.125]], array![10, 3], 10).unwrap();
    /// data.save(dir.join("two.mat")).unwrap();
    /// assert_eq!(Dataset::load(dir.join("two.mat")).unwrap(), data);
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// ```
    ///
    /// When K is not the course's 10, a third variable `num_labels` (1x1) keeps
    /// it, so that [`Dataset::load`] gives back the same dataset.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        let y = self.y().mapv(|l| l as f64).insert_axis(ndarray::Axis(1));
        let k = ndarray::arr2(&[[self.num_labels() as f64]]);
        let mut vars = vec![("X", self.x().view()), ("y", y.view())];
        if self.num_labels() != crate::lecture::data::NUM_LABELS {
            vars.push((NUM_LABELS_VAR, k.view()));
        }
        write_mat(path, &vars)
    }
}

/// What one variable holds. Only doubles are public; int32 exists so the
/// tests can build files with integer variables.
enum Payload<'a> {
    Double(ArrayView2<'a, f64>),
    #[cfg_attr(not(test), allow(dead_code))]
    Int32(ArrayView2<'a, i32>),
}

impl Payload<'_> {
    fn dim(&self) -> (usize, usize) {
        match self {
            Payload::Double(a) => a.dim(),
            Payload::Int32(a) => a.dim(),
        }
    }
}

fn check_name(name: &str) -> Result<()> {
    let bad = |reason: String| Err(NnError::InvalidArgument { name: "variable name", reason });
    let mut chars = name.chars();
    match chars.next() {
        None => return bad("a MAT variable needs a name, got an empty string".into()),
        Some(c) if !c.is_ascii_alphabetic() => {
            return bad(format!("`{name}` must start with a letter (MATLAB identifier rules)"))
        }
        _ => {}
    }
    if let Some(c) = chars.find(|c| !(c.is_ascii_alphanumeric() || *c == '_')) {
        return bad(format!("`{name}` contains {c:?}; use letters, digits and `_` only"));
    }
    if name.len() > MAX_NAME_LEN {
        return bad(format!("`{name}` has {} characters; MATLAB allows at most {MAX_NAME_LEN}", name.len()));
    }
    Ok(())
}

fn encode_mat(vars: &[(&str, Payload)]) -> Result<Vec<u8>> {
    for (i, (name, _)) in vars.iter().enumerate() {
        check_name(name)?;
        if vars[..i].iter().any(|(n, _)| n == name) {
            return Err(NnError::InvalidArgument {
                name: "variable name",
                reason: format!("`{name}` is given twice; each variable needs its own name"),
            });
        }
    }
    let mut out = header_bytes();
    for (name, payload) in vars {
        let element = matrix_element(name, payload)?;
        let mut z = ZlibEncoder::new(Vec::with_capacity(element.len() / 2), Compression::best());
        z.write_all(&element).and_then(|_| z.flush()).expect("writing to a Vec cannot fail");
        let compressed = z.finish().expect("writing to a Vec cannot fail");
        let len = u32_len(name, compressed.len())?;
        put_u32(&mut out, MI_COMPRESSED);
        put_u32(&mut out, len);
        out.extend_from_slice(&compressed);
        // Compressed elements are not padded (MATLAB and scipy write them back to back).
    }
    Ok(out)
}

fn header_bytes() -> Vec<u8> {
    let mut h = Vec::with_capacity(128);
    h.extend_from_slice(HEADER_TEXT.as_bytes());
    h.resize(116, b' ');
    h.extend_from_slice(&[0u8; 8]); // subsystem data offset: none
    h.extend_from_slice(&0x0100u16.to_le_bytes()); // version
    h.extend_from_slice(b"IM"); // little-endian marker
    debug_assert_eq!(h.len(), 128);
    h
}

fn u32_len(name: &str, n: usize) -> Result<u32> {
    u32::try_from(n).map_err(|_| NnError::InvalidArgument {
        name: "matrix size",
        reason: format!("variable `{name}` needs {n} bytes; a MAT v5 element holds at most 4 GiB"),
    })
}

fn put_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn pad8(out: &mut Vec<u8>) {
    while !out.len().is_multiple_of(8) {
        out.push(0);
    }
}

/// The uncompressed `miMATRIX` element (tag included) of one variable.
fn matrix_element(name: &str, payload: &Payload) -> Result<Vec<u8>> {
    let (rows, cols) = payload.dim();
    let dims_ok = i32::try_from(rows).is_ok() && i32::try_from(cols).is_ok();
    if !dims_ok {
        return Err(NnError::InvalidArgument {
            name: "matrix size",
            reason: format!("variable `{name}` is {rows}x{cols}; MAT v5 dimensions must be below 2^31"),
        });
    }
    let (class, data_type, elem_size) = match payload {
        Payload::Double(_) => (MX_DOUBLE_CLASS, MI_DOUBLE, 8),
        Payload::Int32(_) => (MX_INT32_CLASS, MI_INT32, 4),
    };
    let data_len = u32_len(name, rows.saturating_mul(cols).saturating_mul(elem_size))?;
    let mut body = Vec::with_capacity(64 + data_len as usize);
    // Array flags: class, no complex/global/logical bits; nzmax unused.
    put_u32(&mut body, MI_UINT32);
    put_u32(&mut body, 8);
    put_u32(&mut body, class);
    put_u32(&mut body, 0);
    // Dimensions.
    put_u32(&mut body, MI_INT32);
    put_u32(&mut body, 8);
    body.extend_from_slice(&(rows as i32).to_le_bytes());
    body.extend_from_slice(&(cols as i32).to_le_bytes());
    // Name: the small element format when it fits in 4 bytes, as MATLAB does.
    if name.len() <= 4 {
        put_u32(&mut body, ((name.len() as u32) << 16) | MI_INT8);
        let mut b = name.as_bytes().to_vec();
        b.resize(4, 0);
        body.extend_from_slice(&b);
    } else {
        put_u32(&mut body, MI_INT8);
        put_u32(&mut body, name.len() as u32);
        body.extend_from_slice(name.as_bytes());
        pad8(&mut body);
    }
    // Real part, column-major (MATLAB order): iterate the transpose's rows.
    put_u32(&mut body, data_type);
    put_u32(&mut body, data_len);
    match payload {
        Payload::Double(a) => {
            for col in a.columns() {
                for v in col {
                    body.extend_from_slice(&v.to_le_bytes());
                }
            }
        }
        Payload::Int32(a) => {
            for col in a.columns() {
                for v in col {
                    body.extend_from_slice(&v.to_le_bytes());
                }
            }
        }
    }
    pad8(&mut body);
    let mut element = Vec::with_capacity(body.len() + 8);
    put_u32(&mut element, MI_MATRIX);
    put_u32(&mut element, u32_len(name, body.len())?);
    element.extend_from_slice(&body);
    Ok(element)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::diagnose::header_problem;
    use crate::io::format::{read_u32, HDF5_SIGNATURE};
    use ndarray::{array, Array2};
    use std::fs;

    use crate::lecture::network::Init;
    use crate::test_support::TempDir;

    fn bits(a: &Array2<f64>) -> Vec<u64> {
        a.iter().map(|v| v.to_bits()).collect()
    }

    /// Awkward values: thirds, tiny, huge, subnormal, negative zero, pi.
    fn awkward(rows: usize, cols: usize) -> Array2<f64> {
        Array2::from_shape_fn((rows, cols), |(r, c)| match (r * cols + c) % 7 {
            0 => (r as f64 + 1.0) / 3.0,
            1 => -1e-300 * (c as f64 + 1.0),
            2 => 1.7976931348623157e308 / (r as f64 + 2.0),
            3 => f64::from_bits(1 + (r * 31 + c) as u64), // subnormal
            4 => -0.0,
            5 => std::f64::consts::PI * (r as f64 - c as f64),
            _ => ((r * 7 + c * 13) as f64).sin(),
        })
    }

    #[test]
    fn dataset_round_trip_is_bit_exact() {
        let dir = TempDir::new("ds");
        let x = awkward(37, 400);
        let y: ndarray::Array1<usize> = (0..37).map(|i| i % 10 + 1).collect();
        let data = Dataset::new(x, y, 10).unwrap();
        let path = dir.join("d.mat");
        data.save(&path).unwrap();
        let back = Dataset::load(&path).unwrap();
        assert_eq!(bits(back.x()), bits(data.x()));
        assert_eq!(back.y(), data.y());
        assert_eq!(dir.entries(), vec!["d.mat"], "no temporary file left behind");
    }

    #[test]
    fn network_round_trip_is_bit_exact_including_deep_networks() {
        let dir = TempDir::new("net");
        for sizes in [&[400, 25, 10][..], &[400, 25, 25, 10], &[3, 5, 3], &[1, 1, 1]] {
            let net = Network::random(sizes, Init::default(), 11).unwrap();
            let path = dir.join("w.mat");
            net.save(&path).unwrap();
            let back = Network::load(&path).unwrap();
            assert_eq!(back.layer_sizes(), sizes);
            for (a, b) in back.thetas().iter().zip(net.thetas()) {
                assert_eq!(bits(a), bits(b));
            }
            let mat = crate::io::read::read_mat(&path).unwrap();
            let names: Vec<&str> = mat.arrays().iter().map(|a| a.name()).collect();
            let expected: Vec<String> = (1..sizes.len()).map(|l| format!("Theta{l}")).collect();
            assert_eq!(names, expected);
        }
    }

    #[test]
    fn odd_shapes_and_layouts_round_trip() {
        let dir = TempDir::new("shapes");
        let path = dir.join("s.mat");
        let a = awkward(3, 5);
        let b = awkward(1, 1);
        let c = awkward(7, 1);
        let d = awkward(1, 9);
        let e = awkward(6, 4).reversed_axes(); // a column-major (transposed) view: 4x6
        let f = Array2::<f64>::zeros((0, 3));
        let long_name = "a_rather_long_variable_name_of_exactly_sixty_three_characters_x";
        assert_eq!(long_name.len(), 63);
        let vars = [
            ("A", a.view()),
            ("Bb", b.view()),
            ("Ccc", c.view()),
            ("Dddd", d.view()),
            ("Eeeee", e.view()),
            ("F", f.view()),
            (long_name, a.view()),
        ];
        write_mat(&path, &vars).unwrap();
        let mat = crate::io::read::read_mat(&path).unwrap();
        for (name, view) in &vars {
            let got = crate::io::read::matrix(&mat, &path, name).unwrap();
            assert_eq!(got.dim(), view.dim(), "{name}");
            assert_eq!(bits(&got), bits(&view.to_owned()), "{name}");
        }
    }

    #[test]
    fn writing_is_deterministic_and_has_no_timestamp() {
        let x = awkward(20, 30);
        let a = mat_bytes(&[("X", x.view())]).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(1100));
        let b = mat_bytes(&[("X", x.view())]).unwrap();
        assert_eq!(a, b);
        assert!(a.starts_with(b"MATLAB 5.0 MAT-file"));
        assert_eq!(&a[124..128], b"\x00\x01IM");
        let text = String::from_utf8_lossy(&a[..116]);
        assert!(!text.contains("Created on"), "{text}");
    }

    #[test]
    fn bad_names_are_refused() {
        let a = array![[1.0]];
        for name in ["", "1x", "has space", "é", &"n".repeat(64)] {
            let e = mat_bytes(&[(name, a.view())]).unwrap_err();
            assert!(matches!(e, NnError::InvalidArgument { .. }), "{name}: {e}");
        }
        let e = mat_bytes(&[("A", a.view()), ("A", a.view())]).unwrap_err();
        assert!(e.to_string().contains("`A` is given twice"), "{e}");
    }

    #[test]
    fn failed_write_names_the_path_and_leaves_nothing() {
        let dir = TempDir::new("fail");
        let target = dir.join("missing-folder").join("w.mat");
        let net = Network::random(&[4, 3, 2], Init::default(), 0).unwrap();
        let e = net.save(&target).unwrap_err();
        assert!(matches!(e, NnError::Io { action: "write", .. }), "{e}");
        assert!(e.to_string().contains(&target.display().to_string()), "{e}");
        assert!(!target.exists());
        assert!(dir.entries().is_empty(), "{:?}", dir.entries());

        // The target is a folder: the rename fails; the temp file is cleaned up.
        let folder_target = dir.join("a-folder");
        fs::create_dir(&folder_target).unwrap();
        let e = net.save(&folder_target).unwrap_err();
        assert!(e.to_string().contains("a-folder"), "{e}");
        assert_eq!(dir.entries(), vec!["a-folder"]);
        assert!(fs::read_dir(&folder_target).unwrap().next().is_none());
    }

    #[test]
    fn overwrite_replaces_whole_file_and_a_failed_save_keeps_the_old_one() {
        let dir = TempDir::new("over");
        let path = dir.join("w.mat");
        let big = Network::random(&[400, 25, 10], Init::default(), 1).unwrap();
        let small = Network::random(&[2, 2, 2], Init::default(), 2).unwrap();
        big.save(&path).unwrap();
        small.save(&path).unwrap();
        assert_eq!(Network::load(&path).unwrap(), small);
        // A save that fails before writing (bad name) leaves the previous file intact.
        let before = fs::read(&path).unwrap();
        let a = array![[1.0]];
        assert!(write_mat(&path, &[("bad name", a.view())]).is_err());
        assert_eq!(fs::read(&path).unwrap(), before);
        assert_eq!(dir.entries(), vec!["w.mat"]);
    }

    fn load_err(dir: &TempDir, name: &str, bytes: &[u8]) -> String {
        let path = dir.join(name);
        fs::write(&path, bytes).unwrap();
        let e = Dataset::load(&path).unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains(name), "error should name the file: {msg}");
        assert!(matches!(e, NnError::NotMat { .. }), "{msg}");
        msg
    }

    #[test]
    fn missing_file_is_an_io_error_naming_it() {
        let dir = TempDir::new("missing");
        let path = dir.join("nope.mat");
        let e = Dataset::load(&path).unwrap_err();
        assert!(matches!(e, NnError::Io { action: "read", .. }), "{e}");
        assert!(e.to_string().contains("nope.mat"), "{e}");
        let e = Network::load(&path).unwrap_err();
        assert!(e.to_string().contains("nope.mat"), "{e}");
    }

    #[test]
    fn text_files_are_not_mat_files() {
        let dir = TempDir::new("text");
        let csv = "x1,x2,y\n".to_string() + &"0.1,0.2,3\n".repeat(40);
        let msg = load_err(&dir, "data.csv", csv.as_bytes());
        assert!(msg.contains("text file") && msg.contains("x1,x2,y"), "{msg}");
        let msg = load_err(&dir, "short.mat", b"hello");
        assert!(msg.contains("only 5 bytes") && msg.contains("hello"), "{msg}");
        let msg = load_err(&dir, "empty.mat", b"");
        assert!(msg.contains("empty"), "{msg}");
        let octave = "# Created by Octave 8.4.0\n# name: X\n# type: matrix\n".repeat(5);
        let msg = load_err(&dir, "oct.mat", octave.as_bytes());
        assert!(msg.contains("Octave text file") && msg.contains("save -v7"), "{msg}");
    }

    #[test]
    fn v73_hdf5_files_are_explained() {
        let dir = TempDir::new("v73");
        // What MATLAB's `save -v7.3` writes: a 512-byte user block holding the
        // MAT header text (version 0x0200), then the HDF5 signature.
        let mut bytes =
            b"MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: Mon Jan  1 00:00:00 2024 HDF5 schema 1.00 .".to_vec();
        bytes.resize(116, b' ');
        bytes.extend_from_slice(&[0u8; 8]);
        bytes.extend_from_slice(&0x0200u16.to_le_bytes());
        bytes.extend_from_slice(b"IM");
        bytes.resize(512, 0);
        bytes.extend_from_slice(HDF5_SIGNATURE);
        bytes.resize(2048, 0);
        let msg = load_err(&dir, "v73.mat", &bytes);
        assert!(
            msg.contains("v7.3") && msg.contains("HDF5") && msg.contains("save -v7") && msg.contains("savemat"),
            "{msg}"
        );
        // Also caught by the version field alone, and for a bare HDF5 file.
        let mut b2 = header_bytes();
        b2[124..126].copy_from_slice(&0x0200u16.to_le_bytes());
        assert!(header_problem(&b2).unwrap().contains("v7.3"));
        let mut h5 = HDF5_SIGNATURE.to_vec();
        h5.resize(1024, 0);
        assert!(header_problem(&h5).unwrap().contains("v7.3"));
    }

    #[test]
    fn truncated_files_are_reported_as_truncated() {
        let dir = TempDir::new("trunc");
        let net = Network::random(&[400, 25, 10], Init::default(), 3).unwrap();
        let path = dir.join("full.mat");
        net.save(&path).unwrap();
        let full = fs::read(&path).unwrap();
        // Cut inside the first variable, inside the second, inside a tag, inside the header.
        let theta1_end = 128 + 8 + read_u32(&full, 132, true).unwrap() as usize;
        for (cut, expect) in [
            (full.len() / 3, "variable `Theta1`"),
            (full.len() - 10, "variable `Theta2`"),
            (theta1_end + 5, "tag of element 2"),
            (100, "128-byte MAT header"),
        ] {
            let msg = load_err(&dir, "cut.mat", &full[..cut]);
            assert!(msg.contains("truncated") && msg.contains(expect), "cut at {cut}: {msg}");
            let e = Network::load(dir.join("cut.mat")).unwrap_err();
            assert!(e.to_string().contains("truncated"), "{e}");
        }
        // The header alone is a valid (empty) MAT file: the variables are missing.
        fs::write(dir.join("hdr.mat"), &full[..128]).unwrap();
        let e = Network::load(dir.join("hdr.mat")).unwrap_err();
        assert!(matches!(e, NnError::MissingVariable { .. }), "{e}");
    }

    #[test]
    fn corrupt_compressed_data_is_explained() {
        let dir = TempDir::new("corrupt");
        let x = awkward(10, 10);
        let mut bytes = mat_bytes(&[("X", x.view())]).unwrap();
        let n = bytes.len();
        for b in &mut bytes[140..n - 4] {
            *b ^= 0x5a;
        }
        let msg = load_err(&dir, "bad.mat", &bytes);
        assert!(msg.contains("corrupt") || msg.contains("malformed"), "{msg}");
    }

    fn int32_file(vars: &[(&str, Payload)]) -> Vec<u8> {
        encode_mat(vars).unwrap()
    }

    #[test]
    fn int32_variables_are_read_as_numbers() {
        // matfile 0.5 (the reader the kit used before) rejected a whole file for
        // one int32 variable; the kit's own reader takes every numeric class.
        let x = awkward(4, 3);
        let y = array![[1i32], [2], [10], [3]];
        let bytes = int32_file(&[("X", Payload::Double(x.view())), ("y", Payload::Int32(y.view()))]);
        assert!(matfile::MatFile::parse(&bytes[..]).is_err(), "matfile 0.5 fails on int32");
        let dir = TempDir::new("int32");
        let path = dir.join("labels.mat");
        fs::write(&path, &bytes).unwrap();
        let data = Dataset::load(&path).unwrap();
        assert_eq!(data.y(), &ndarray::arr1(&[1usize, 2, 10, 3]));
        assert_eq!(bits(data.x()), bits(&x));
    }

    #[test]
    fn uncompressed_elements_are_walked_too() {
        // A v6-style (uncompressed) file with an int32 variable.
        let y = array![[1i32], [2]];
        let mut bytes = header_bytes();
        bytes.extend_from_slice(&matrix_element("labels", &Payload::Int32(y.view())).unwrap());
        assert!(header_problem(&bytes).is_none());
        let mat = crate::io::read::parse_mat(Path::new("v6.mat"), &bytes).unwrap();
        let labels = crate::io::read::matrix(&mat, Path::new("v6.mat"), "labels").unwrap();
        assert_eq!(labels, array![[1.0], [2.0]]);
        let cut = &bytes[..bytes.len() - 3];
        assert!(header_problem(cut).unwrap().contains("variable `labels`"), "{:?}", header_problem(cut));
    }

    #[test]
    fn missing_variable_lists_the_present_ones() {
        let dir = TempDir::new("missvar");
        let path = dir.join("xonly.mat");
        let x = awkward(3, 4);
        write_mat(&path, &[("X", x.view()), ("labels", x.view())]).unwrap();
        let e = Dataset::load(&path).unwrap_err();
        let msg = e.to_string();
        assert!(matches!(e, NnError::MissingVariable { .. }), "{msg}");
        assert!(msg.contains("`y`") && msg.contains("X, labels") && msg.contains("xonly.mat"), "{msg}");
        let e = Network::load(&path).unwrap_err();
        assert!(e.to_string().contains("`Theta1`"), "{e}");
    }

    #[test]
    fn transposed_theta1_is_a_shape_error_naming_the_file() {
        let dir = TempDir::new("transp");
        let path = dir.join("transposed.mat");
        let net = Network::random(&[400, 25, 10], Init::default(), 5).unwrap();
        let t1t = net.theta1().t().to_owned(); // 401 x 25
        write_mat(&path, &[("Theta1", t1t.view()), ("Theta2", net.theta2().view())]).unwrap();
        let e = Network::load(&path).unwrap_err();
        let msg = e.to_string();
        assert!(matches!(e, NnError::Shape { .. }), "{msg}");
        assert!(msg.contains("transposed.mat") && msg.contains("Theta2") && msg.contains("26"), "{msg}");
        let e = Network::load_expecting(&path, &[400, 25, 10]).unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("transposed.mat") && msg.contains("Theta"), "{msg}");

        // A Theta1 saved alone is not a network (no hidden layer).
        let path1 = dir.join("t1only.mat");
        write_mat(&path1, &[("Theta1", t1t.view())]).unwrap();
        let msg = Network::load_expecting(&path1, &[400, 25, 10]).unwrap_err().to_string();
        assert!(msg.contains("two Thetas"), "{msg}");
    }

    #[test]
    fn big_endian_files_are_walked() {
        // Hand-built big-endian header + one uncompressed int32 matrix element.
        let mut b = header_bytes();
        b[124..126].copy_from_slice(&0x0100u16.to_be_bytes());
        b[126..128].copy_from_slice(b"MI");
        let be = |v: u32| v.to_be_bytes();
        let mut body = Vec::new();
        for v in [MI_UINT32, 8, MX_INT32_CLASS, 0, MI_INT32, 8, 1, 1] {
            body.extend_from_slice(&be(v));
        }
        body.extend_from_slice(&be((1 << 16) | MI_INT8));
        body.extend_from_slice(b"y\0\0\0");
        for v in [MI_INT32, 4, 7, 0] {
            body.extend_from_slice(&be(v));
        }
        b.extend_from_slice(&be(MI_MATRIX));
        b.extend_from_slice(&be(body.len() as u32));
        b.extend_from_slice(&body);
        assert!(header_problem(&b).is_none());
        let mat = crate::io::read::parse_mat(Path::new("be.mat"), &b).unwrap();
        assert_eq!(crate::io::read::matrix(&mat, Path::new("be.mat"), "y").unwrap(), array![[7.0]]);
    }
}
