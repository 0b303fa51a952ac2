// ===== slot: files =====
// The test run with the course's own weights (NN_EX4_COURSE_WEIGHTS or data/ex4weights.mat;
// the runner skips this run where neither is set up) on the bundled digits: the values an
// independent NumPy implementation gives, 0.287676 / 0.383816 / 97.52%.
let digits_file = bundled::Source::Bundled.digits_file();
let weights_file = bundled::course_weights_file()
    .expect("NN_EX4_COURSE_WEIGHTS")
    .expect("the runner runs this only where the course's ex4weights.mat is reachable");

let expected = bundled::expected_for_files(&digits_file, &weights_file);
println!("digits:  {}", bundled::kit_path(&digits_file));
println!("weights: {}", bundled::kit_path(&weights_file));
println!("expected values: {}", expected.map_or("none known for these files", |e| e.what));
