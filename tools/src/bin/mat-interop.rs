//! A small driver for checking nn-core's MAT files against other readers and
//! writers (used by `tests/python/test_mat_interop.py`).
//!
//! ```text
//! mat-interop write-demo DIR     writes DIR/demo.mat (awkward matrices with write_mat),
//!                                DIR/net.mat (Network::save, 400-25-25-10), DIR/data.mat
//!                                (Dataset::save), and prints the values written as JSON
//! mat-interop dump FILE          reads every variable with nn-core, prints JSON
//! mat-interop load-dataset FILE  Dataset::load: prints "ok m n counts" or the error (exit 1)
//! mat-interop load-network FILE  Network::load: prints "ok sizes" or the error (exit 1)
//! ```
//! JSON values are `{name: {"shape": [r, c], "bits": [hex u64, ...]}}`, row-major,
//! so that a comparison is exact to the bit.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use ndarray::{Array1, Array2};
use nn_core::io::write_mat;
use nn_core::{Dataset, Init, Network};
use serde_json::{json, Map, Value};

fn bits_json(a: &Array2<f64>) -> Value {
    json!({
        "shape": [a.nrows(), a.ncols()],
        "bits": a.iter().map(|v| format!("{:016x}", v.to_bits())).collect::<Vec<_>>(),
    })
}

/// Awkward values: thirds, tiny, huge, subnormal, negative zero, pi multiples, sines.
fn awkward(rows: usize, cols: usize, salt: usize) -> Array2<f64> {
    Array2::from_shape_fn((rows, cols), |(r, c)| match (r * cols + c + salt) % 7 {
        0 => (r as f64 + 1.0) / 3.0,
        1 => -1e-300 * (c as f64 + 1.0),
        2 => 1.7976931348623157e308 / (r as f64 + 2.0),
        3 => f64::from_bits(1 + (r * 31 + c) as u64),
        4 => -0.0,
        5 => std::f64::consts::PI * (r as f64 - c as f64),
        _ => ((r * 7 + c * 13 + salt) as f64).sin(),
    })
}

fn write_demo(dir: &Path) -> Result<Value, nn_core::NnError> {
    let mut out = Map::new();
    let vars: Vec<(String, Array2<f64>)> = vec![
        ("A".into(), awkward(3, 5, 0)),
        ("b".into(), awkward(1, 1, 1)),
        ("col7".into(), awkward(7, 1, 2)),
        ("row9".into(), awkward(1, 9, 3)),
        ("Tall_401x25".into(), awkward(401, 25, 4)),
        ("transposed_view".into(), awkward(6, 4, 5).reversed_axes().to_owned()),
        ("a_rather_long_variable_name_of_exactly_sixty_three_characters_x".into(), awkward(2, 2, 6)),
    ];
    let views: Vec<(&str, ndarray::ArrayView2<f64>)> = vars.iter().map(|(n, a)| (n.as_str(), a.view())).collect();
    write_mat(dir.join("demo.mat"), &views)?;
    out.insert("demo.mat".into(), Value::Object(vars.iter().map(|(n, a)| (n.clone(), bits_json(a))).collect()));

    let net = Network::random(&[400, 25, 25, 10], Init::default(), 2024)?;
    net.save(dir.join("net.mat"))?;
    out.insert(
        "net.mat".into(),
        Value::Object(
            net.thetas().iter().enumerate().map(|(i, t)| (format!("Theta{}", i + 1), bits_json(t))).collect(),
        ),
    );

    let x = awkward(12, 400, 7).mapv(|v| if v.abs() > 1e3 { 1.0 / 7.0 } else { v });
    let y: Array1<usize> = (0..12).map(|i| [10, 1, 2, 3, 4, 5, 6, 7, 8, 9][i % 10]).collect();
    let data = Dataset::new(x, y, 10)?;
    data.save(dir.join("data.mat"))?;
    let yf = data.y().mapv(|l| l as f64).insert_axis(ndarray::Axis(1));
    let mut d = Map::new();
    d.insert("X".into(), bits_json(data.x()));
    d.insert("y".into(), bits_json(&yf));
    out.insert("data.mat".into(), Value::Object(d));
    Ok(Value::Object(out))
}

fn dump(path: &Path) -> Result<Value, nn_core::NnError> {
    let mat = nn_core::io::read::read_mat(path)?;
    let mut out = Map::new();
    for a in mat.arrays() {
        out.insert(a.name().to_string(), bits_json(&nn_core::io::read::matrix(&mat, path, a.name())?));
    }
    Ok(Value::Object(out))
}

fn run(args: &[String]) -> Result<String, String> {
    let usage = "usage: mat-interop (write-demo DIR | dump FILE | load-dataset FILE | load-network FILE)";
    let (cmd, arg) = match args {
        [c, a] => (c.as_str(), PathBuf::from(a)),
        _ => return Err(usage.into()),
    };
    let e = |e: nn_core::NnError| e.to_string();
    match cmd {
        "write-demo" => Ok(write_demo(&arg).map_err(e)?.to_string()),
        "dump" => Ok(dump(&arg).map_err(e)?.to_string()),
        "load-dataset" => {
            let d = Dataset::load(&arg).map_err(e)?;
            Ok(format!("ok {} {} {:?}", d.len(), d.num_features(), d.label_counts()))
        }
        "load-network" => {
            let n = Network::load(&arg).map_err(e)?;
            Ok(format!("ok {:?}", n.layer_sizes()))
        }
        _ => Err(usage.into()),
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(s) => {
            println!("{s}");
            ExitCode::SUCCESS
        }
        Err(msg) => {
            println!("error: {msg}");
            ExitCode::FAILURE
        }
    }
}
