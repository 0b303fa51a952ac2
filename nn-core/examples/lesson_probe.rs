use nn_core::prelude::*;
fn main() {
    let data = bundled::digits().unwrap();
    let test = bundled::digits_test().unwrap();
    for per_digit in [100usize, 50] {
        let rows: Vec<usize> = (0..10).flat_map(|d| (d * 500)..(d * 500 + per_digit)).collect();
        let small = data.select(&rows).unwrap();
        for iters in [200usize, 400] {
            let config = TrainConfig::new(&[400, 25, 10]).iterations(iters).seed(0);
            let t = std::time::Instant::now();
            let study = compare_lambdas(&config, &small, &test, &[0.0, 0.01, 0.1, 1.0, 3.0, 10.0, 30.0, 100.0]).unwrap();
            println!("per digit {per_digit}, {iters} iterations ({:.1}s)\n{study}", t.elapsed().as_secs_f64());
        }
    }
}
