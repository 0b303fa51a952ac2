// ===== slot: files =====
// The test run with the course's own weights (read from ../shared/reference, never copied
// into the repository) on the bundled digits: the values an independent NumPy
// implementation gives, 0.287676 / 0.383816 / 97.52%.
let digits_file = bundled::digits_path();
let weights_file = std::path::PathBuf::from("../../shared/reference/ex4weights.mat");

let expected = bundled::expected_for_files(&digits_file, &weights_file);
println!("digits:  {}", bundled::kit_path(&digits_file));
println!("weights: {}", bundled::kit_path(&weights_file));
println!("expected values: {}", expected.map_or("none known for these files", |e| e.what));
