//! Speed figures with their baseline measured in the same run: `make bench`.
//!
//! ```text
//! cargo run --release -p nn-core --example bench -- [--rounds N] [--per-round N] [--train-rounds N]
//!     [--threads N] [--sweep] [--as-avx2] [--no-numpy] [--python PATH] [--json FILE]
//! ```
//!
//! `--as-avx2` measures as on a processor without AVX-512: the kit runs its AVX2 kernel
//! (`NN_CORE_KERNEL=avx2`) and NumPy's OpenBLAS its Haswell (AVX2) kernels
//! (`OPENBLAS_CORETYPE=Haswell`), in the same run, so an AVX-512 machine also gives the
//! ratio an AVX2-only one would.
//!
//! `--threads N` runs every variant on N threads (FastCost, the lecture code's
//! matrixmultiply, NumPy's OpenBLAS through threadpoolctl); by default each uses all the
//! cores, as the kit does. On a busy machine `--threads 1` gives steadier ratios: a
//! multi-threaded evaluation waits for its slowest thread.
//!
//! The machine may be busy (other builds, other programs), so absolute times move from run
//! to run; ratios between figures of the same run move much less. So every figure here
//! comes with its baseline, measured in the same run, in rounds that alternate between the
//! variants (a change of load hits them alike), and each figure is the median and the
//! minimum over its samples. Each variant runs 20 evaluations in a row per round, as
//! training runs them back to back: after the pause between variants (their idle threads
//! go to sleep), the first evaluations of a run also pay for waking the other core, which
//! on a virtual machine took up to a few milliseconds (with 3 per round, the kit's median
//! was twice its steady figure).
//!
//! - `numpy_ms`: the baseline, the seeds' vectorized NumPy cost + gradient
//!   (`tools/numpy_baseline.py`), run in a Python process this program starts from the
//!   kit's `.venv` (`make setup`) and drives over a pipe, so its rounds interleave with the
//!   Rust ones. OpenBLAS picks its own kernel there (`OPENBLAS_CORETYPE` and
//!   `OPENBLAS_L2_SIZE` are removed from that one process's environment); the kernel and
//!   thread count are printed, as threadpoolctl reports them. Its J must equal the
//!   kit's to 1e-9 (and its gradient too), or the run fails.
//! - `cost_grad_ms`: one cost + gradient of the 400-25-10 network on the 5000 x 400
//!   digits with [`FastCost`], as training runs it (X prepared once), with the kernel
//!   `Kernel::detect` picks (`NN_CORE_KERNEL` may force one); `cost_grad_<kernel>_ms`
//!   the same with each other kernel the processor runs (A/B in the same run).
//! - `lecture_ms`: the lecture's vectorized Rust, `nn_cost_function` (ndarray, dense).
//! - `fmincg_50_s`: `train` with the course's settings (50 fmincg iterations, lambda = 1,
//!   preparation included), against the same training with the lecture's code
//!   (`Engine::Lecture`) and NumPy's: the course's fmincg.m in NumPy from the same start,
//!   on the NumPy cost + gradient (`fmincg_50_numpy_s`).
//! - `sweep_8x400_s` (`--sweep`, slow): `compare_lambdas`, 8 lambdas x 400 iterations on
//!   the training digits, scored on the held-out ones.
//!
//! Ratios read "times NumPy": a figure's median over NumPy's median in this run (0.40
//! times NumPy = 2.5 times as fast). The lambda study has no NumPy counterpart here; its
//! NumPy figure is an estimate (its number of evaluations times `numpy_ms`), marked so.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::Instant;

use nn_core::engine::{FastCost, Kernel};
use nn_core::io::json_string;
use nn_core::lecture::network::unroll;
use nn_core::optim::fmincg;
use nn_core::train::{compare_lambdas, train, Engine, TrainConfig};
use nn_core::{bundled, nn_cost_function, Network};

type Error = Box<dyn std::error::Error>;

/// Pause between two variants' turns (not timed): longer than OpenBLAS spins its idle
/// threads (2^28 cycles by default, under 0.1 s at 3 GHz).
const SETTLE: std::time::Duration = std::time::Duration::from_millis(150);

/// Median and minimum of some samples (in seconds).
#[derive(Clone, Copy, Debug)]
struct Stats {
    median: f64,
    min: f64,
    n: usize,
}

fn stats(v: &[f64]) -> Stats {
    let mut v = v.to_vec();
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    let median = if n % 2 == 1 { v[n / 2] } else { 0.5 * (v[n / 2 - 1] + v[n / 2]) };
    Stats { median, min: v[0], n }
}

fn seconds(f: impl FnOnce()) -> f64 {
    let t = Instant::now();
    f();
    t.elapsed().as_secs_f64()
}

/// The NumPy baseline: a Python process speaking `tools/numpy_baseline.py --serve`.
struct NumPy {
    child: Child,
    input: ChildStdin,
    output: BufReader<ChildStdout>,
    /// The `info` line: a JSON object (printed as it is).
    info: String,
    cost: f64,
    grad: Vec<f64>,
}

impl NumPy {
    /// `coretype`: the OpenBLAS kernel to force (`None`: OpenBLAS picks its own).
    fn start(
        python: &str,
        digits: &str,
        weights: &str,
        threads: Option<usize>,
        coretype: Option<&str>,
    ) -> Result<NumPy, Error> {
        let script = bundled::kit_dir().join("tools/numpy_baseline.py");
        let mut command = Command::new(python);
        command.arg(&script).args(["--serve", "--digits", digits, "--weights", weights, "--lambda", "1"]);
        if let Some(t) = threads {
            command.args(["--threads", &t.to_string()]);
        }
        // OpenBLAS chooses its kernel for this processor (see the module documentation),
        // unless `--as-avx2` forces its Haswell one.
        command.env_remove("OPENBLAS_CORETYPE").env_remove("OPENBLAS_L2_SIZE");
        if let Some(core) = coretype {
            command.env("OPENBLAS_CORETYPE", core);
        }
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("cannot start {python} {}: {e}", script.display()))?;
        let input = child.stdin.take().expect("piped");
        let output = BufReader::new(child.stdout.take().expect("piped"));
        let mut numpy = NumPy { child, input, output, info: String::new(), cost: f64::NAN, grad: Vec::new() };
        loop {
            let line = numpy.line()?;
            let (word, rest) = line.split_once(' ').unwrap_or((line.as_str(), ""));
            match word {
                "info" => numpy.info = rest.to_string(),
                "cost" => numpy.cost = rest.trim().parse()?,
                "grad" => numpy.grad = rest.split_whitespace().map(str::parse).collect::<Result<_, _>>()?,
                "ready" => return Ok(numpy),
                _ => return Err(format!("NumPy baseline: unexpected line {line:?}").into()),
            }
        }
    }

    fn line(&mut self) -> Result<String, Error> {
        let mut line = String::new();
        if self.output.read_line(&mut line)? == 0 {
            return Err("the NumPy baseline process ended early (its error is above)".into());
        }
        Ok(line.trim_end().to_string())
    }

    /// Seconds of each of `n` evaluations (timed inside Python, without the pipe).
    fn time(&mut self, n: usize) -> Result<Vec<f64>, Error> {
        writeln!(self.input, "time {n}")?;
        self.input.flush()?;
        let line = self.line()?;
        let rest = line.strip_prefix("times ").ok_or_else(|| format!("NumPy baseline: unexpected line {line:?}"))?;
        Ok(rest.split_whitespace().map(str::parse).collect::<Result<_, _>>()?)
    }

    /// `iterations` fmincg iterations from `start`: (seconds, evaluations, final cost).
    fn train(&mut self, iterations: usize, start: &[f64]) -> Result<(f64, usize, f64), Error> {
        let path = std::env::temp_dir().join(format!("nn-ex4-bench-start-{}.txt", std::process::id()));
        let text: String = start.iter().map(|v| format!("{v:e}\n")).collect();
        std::fs::write(&path, text)?;
        writeln!(self.input, "train {iterations} {}", path.display())?;
        self.input.flush()?;
        let line = self.line();
        let _ = std::fs::remove_file(&path);
        let line = line?;
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["trained", secs, evals, cost] => Ok((secs.parse()?, evals.parse()?, cost.parse()?)),
            _ => Err(format!("NumPy baseline: unexpected line {line:?}").into()),
        }
    }

    /// A field of the `info` JSON object, crudely (no JSON parser in nn-core's dependencies).
    fn field(&self, key: &str) -> String {
        let pat = format!("\"{key}\": ");
        self.info
            .find(&pat)
            .map(|i| {
                let rest = &self.info[i + pat.len()..];
                let end = rest.find([',', '}']).unwrap_or(rest.len());
                rest[..end].trim_matches('"').to_string()
            })
            .unwrap_or_else(|| "?".into())
    }
}

impl Drop for NumPy {
    fn drop(&mut self) {
        let _ = writeln!(self.input, "quit");
        let _ = self.input.flush();
        // It ends at once, unless it is stuck writing to us (an error on our side): then kill it.
        for _ in 0..50 {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The processor as /proc/cpuinfo names it, with its family/model (a virtual machine may
/// show only "AMD EPYC") and the SIMD extensions that matter here.
fn cpu_model() -> String {
    let Ok(info) = std::fs::read_to_string("/proc/cpuinfo") else {
        return std::env::consts::ARCH.to_string();
    };
    let field = |name: &str| {
        info.lines()
            .find(|l| l.split(':').next().is_some_and(|k| k.trim() == name))
            .and_then(|l| l.split_once(':'))
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default()
    };
    let flags = field("flags");
    let simd: Vec<&str> =
        ["avx2", "fma", "avx512f"].into_iter().filter(|f| flags.split_whitespace().any(|g| g == *f)).collect();
    format!(
        "{} (family {}, model {}, stepping {}; {})",
        field("model name"),
        field("cpu family"),
        field("model"),
        field("stepping"),
        if simd.is_empty() { "no AVX2".to_string() } else { simd.join(" ") }
    )
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

/// "1 thread", "2 threads".
fn threads_text(n: impl std::fmt::Display) -> String {
    let n = n.to_string();
    format!("{n} thread{}", if n == "1" { "" } else { "s" })
}

/// Command-line options.
struct Options {
    rounds: usize,
    per_round: usize,
    train_rounds: usize,
    sweep: bool,
    numpy: bool,
    python: String,
    json: Option<String>,
    /// Threads for every variant (`None`: each its default, all the cores).
    threads: Option<usize>,
    /// Measure as on an AVX2-only processor (both the kit and OpenBLAS).
    as_avx2: bool,
}

fn options() -> Result<Options, Error> {
    let default_python = bundled::kit_dir().join(".venv/bin/python").display().to_string();
    let mut o = Options {
        rounds: 8,
        per_round: 20,
        train_rounds: 3,
        sweep: false,
        numpy: true,
        python: std::env::var("NN_BENCH_PYTHON").unwrap_or(default_python),
        json: None,
        threads: None,
        as_avx2: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{a} needs a value"));
        match a.as_str() {
            "--rounds" => o.rounds = value()?.parse()?,
            "--per-round" => o.per_round = value()?.parse()?,
            "--train-rounds" => o.train_rounds = value()?.parse()?,
            "--sweep" => o.sweep = true,
            "--as-avx2" => o.as_avx2 = true,
            "--no-numpy" => o.numpy = false,
            "--python" => o.python = value()?,
            "--json" => o.json = Some(value()?),
            "--threads" => o.threads = Some(value()?.parse::<usize>()?.max(1)),
            "--help" | "-h" => {
                println!("usage: bench [--rounds N (8)] [--per-round N (20)] [--train-rounds N (3)] [--threads N] [--sweep] [--as-avx2] [--no-numpy] [--python PATH] [--json FILE]");
                std::process::exit(0);
            }
            _ => return Err(format!("unknown argument {a:?} (try --help)").into()),
        }
    }
    o.rounds = o.rounds.max(1);
    o.per_round = o.per_round.max(1);
    o.train_rounds = o.train_rounds.max(1);
    Ok(o)
}

/// Largest absolute difference of two vectors of the same length.
fn max_diff(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len(), "same number of parameters");
    a.iter().zip(b).fold(0.0f64, |w, (x, y)| w.max((x - y).abs()))
}

fn main() {
    if let Err(e) = run() {
        eprintln!("bench: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), Error> {
    let o = options()?;
    if let Some(t) = o.threads {
        // Read once, at matrixmultiply's first product (none has run yet).
        std::env::set_var("MATMUL_NUM_THREADS", t.to_string());
    }
    if o.as_avx2 {
        if !Kernel::from_name("avx2").is_some_and(|k| k.is_supported()) {
            return Err("--as-avx2: this processor has no AVX2 and FMA".into());
        }
        // Read once, at the first `Kernel::detect` (none has run yet).
        std::env::set_var("NN_CORE_KERNEL", "avx2");
    }
    let mut json: Vec<(String, String)> = Vec::new();
    let mut put = |k: &str, v: String| json.push((k.to_string(), v));

    let data = bundled::digits()?;
    let net = bundled::weights()?;
    let sizes = net.layer_sizes();
    let (digits_path, weights_path) = (bundled::digits_path(), bundled::weights_path());
    let cpu = cpu_model();
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let threads = o.threads.unwrap_or(cores);
    let kernel = Kernel::detect();
    println!("cpu: {cpu} ({cores} cores available to this process)");
    println!(
        "kernel: {kernel} (available: {}{})",
        Kernel::available().iter().map(|k| k.name()).collect::<Vec<_>>().join(", "),
        std::env::var("NN_CORE_KERNEL").map(|v| format!("; NN_CORE_KERNEL={v}")).unwrap_or_default()
    );
    println!(
        "threads: FastCost {threads}, lecture code (matrixmultiply) {}",
        std::env::var("MATMUL_NUM_THREADS")
            .map(|v| format!("MATMUL_NUM_THREADS={v}"))
            .unwrap_or_else(|_| "one per physical core".into())
    );
    println!(
        "data: {} ({} x {}), network: {} {:?}, lambda 1",
        bundled::kit_path(&digits_path),
        data.len(),
        data.num_features(),
        bundled::kit_path(&weights_path),
        sizes
    );
    let load = load_average();
    println!("load_average_before: {load}");
    if load.split_whitespace().next().and_then(|l| l.parse::<f64>().ok()).is_some_and(|l| l > cores as f64)
        && o.threads.is_none()
    {
        println!(
            "warning: the machine is busy (load {} on {cores} cores): a multi-threaded evaluation waits for its slowest thread, so medians on all cores swing widely; `--threads 1` gives steadier ratios",
            load.split_whitespace().next().unwrap_or("?")
        );
    }
    put("cpu", json_string(&cpu));
    put("cores", cores.to_string());
    put("threads", threads.to_string());
    put("kernel", json_string(kernel.name()));
    put("as_avx2", o.as_avx2.to_string());

    // The NumPy baseline: started first, checked against the kit's numbers.
    let mut numpy = if o.numpy {
        let np = NumPy::start(&o.python, &digits_path.display().to_string(), &weights_path.display().to_string(), o.threads, o.as_avx2.then_some("Haswell")).map_err(|e| {
            format!("{e}\n(the NumPy baseline needs the kit's .venv: run `make setup`, or pass --python PATH, or --no-numpy)")
        })?;
        let inherited: Vec<String> = ["OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"]
            .iter()
            .filter_map(|k| std::env::var(k).ok().map(|v| format!("{k}={v}")))
            .collect();
        println!(
            "numpy: NumPy {}, {} {} kernel {} on {} ({}){}",
            np.field("numpy"),
            np.field("blas"),
            np.field("blas_version"),
            np.field("blas_kernel"),
            threads_text(np.field("blas_threads")),
            np.field("blas_threading_layer"),
            if o.as_avx2 {
                " (forced: OPENBLAS_CORETYPE=Haswell, --as-avx2)".to_string()
            } else if inherited.is_empty() {
                String::new()
            } else {
                format!("; {} unset for it", inherited.join(" "))
            }
        );
        put("numpy_info", np.info.clone());
        Some(np)
    } else {
        None
    };

    // The same numbers from the three codes.
    let fast = FastCost::new(&data, &sizes, 1.0)?.with_threads(threads);
    let (j_fast, g_fast) = fast.cost_and_gradient(&net)?;
    let (j_lecture, g1, g2) = nn_cost_function(net.theta1(), net.theta2(), data.x(), data.y(), 1.0)?;
    let (g_fast, g_lecture) = (unroll(&g_fast).to_vec(), unroll(&[g1, g2]).to_vec());
    println!(
        "cost: {j_fast:.12} (FastCost), lecture code differs by {:.1e} (gradient {:.1e})",
        (j_fast - j_lecture).abs(),
        max_diff(&g_fast, &g_lecture)
    );
    let mut failed = Vec::new();
    if let Some(np) = &numpy {
        let (dj, dg) = ((np.cost - j_fast).abs(), max_diff(&np.grad, &g_fast));
        let ok = dj <= 1e-9 && dg <= 1e-9;
        println!(
            "numpy_check: J {:.12}, differs from the kit's by {dj:.1e} (gradient {dg:.1e}): {}",
            np.cost,
            if ok { "ok (<= 1e-9)" } else { "MISMATCH" }
        );
        put("numpy_cost", format!("{:e}", np.cost));
        put("numpy_cost_diff", format!("{dj:e}"));
        if !ok {
            failed.push("NumPy's J or gradient differs from the kit's by more than 1e-9");
        }
    }
    put("cost", format!("{j_fast:e}"));

    // Cost + gradient: every variant in every round, the order turning round by round.
    // (`--as-avx2`: only the kernels an AVX2 processor has.)
    let others: Vec<Kernel> =
        Kernel::available().into_iter().filter(|&k| k != kernel && !(o.as_avx2 && k.name() == "avx512")).collect();
    let variants: Vec<(String, FastCost)> = std::iter::once(("cost_grad_ms".to_string(), fast.clone()))
        .chain(others.iter().map(|&k| (format!("cost_grad_{k}_ms"), fast.clone().with_kernel(k).expect("available"))))
        .collect();
    let n_rust = variants.len() + 1; // + the lecture code
    let slots = n_rust + usize::from(numpy.is_some());
    // rounds[slot][r]: the samples of variant `slot` in round r (round 0 only warms up).
    let mut rounds: Vec<Vec<Vec<f64>>> = vec![Vec::new(); slots];
    let start = Instant::now();
    for round in 0..=o.rounds {
        for i in 0..slots {
            let slot = (i + round) % slots;
            let times: Vec<f64> = if slot < variants.len() {
                let f = &variants[slot].1;
                (0..o.per_round).map(|_| seconds(|| drop(f.cost_and_gradient(&net).unwrap()))).collect()
            } else if slot == variants.len() {
                (0..o.per_round)
                    .map(|_| {
                        seconds(|| drop(nn_cost_function(net.theta1(), net.theta2(), data.x(), data.y(), 1.0).unwrap()))
                    })
                    .collect()
            } else {
                numpy.as_mut().expect("numpy slot").time(o.per_round)?
            };
            if round > 0 {
                rounds[slot].push(times);
            }
            // Let the variant's idle threads go to sleep before the next one is timed:
            // OpenBLAS's threads spin for a while after a product (matrixmultiply's yield),
            // and on 2 cores they would take the next variant's cores.
            std::thread::sleep(SETTLE);
        }
    }
    let s: Vec<Stats> = rounds.iter().map(|r| stats(&r.concat())).collect();
    let np = numpy.as_ref().map(|_| n_rust);
    println!(
        "-- cost + gradient: {} rounds x {} evaluations per variant, interleaved ({:.1} s); ms per evaluation, median and min",
        o.rounds,
        o.per_round,
        start.elapsed().as_secs_f64()
    );
    println!(
        "   ratios: times the baseline's median, its min, and the median over rounds of the round's ratio of medians"
    );
    // `a` against `b`: ratio of medians, of minimums, and the median of the per-round ratios
    // (each round's variants ran within a second of each other, under the same load).
    let compare = |a: usize, b: usize| -> (f64, f64, f64) {
        let paired: Vec<f64> =
            rounds[a].iter().zip(&rounds[b]).map(|(x, y)| stats(x).median / stats(y).median).collect();
        (s[a].median / s[b].median, s[a].min / s[b].min, stats(&paired).median)
    };
    let line = |name: &str, i: usize, base: Option<(usize, &str)>, put: &mut dyn FnMut(&str, String)| {
        let (med, min) = (s[i].median * 1e3, s[i].min * 1e3);
        let mut text = format!("{name}: {med:.3} (min {min:.3})");
        let mut fields = format!("\"median\": {med:.4}, \"min\": {min:.4}, \"samples\": {}", s[i].n);
        for (b, what) in np.map(|b| (b, "NumPy")).into_iter().chain(base) {
            let (rm, rn, rp) = compare(i, b);
            text += &format!("  ({rm:.2} times {what}; min {rn:.2}; paired {rp:.2})");
            let key = what.to_lowercase().replace([' ', '-'], "_");
            fields +=
                &format!(", \"times_{key}\": {rm:.4}, \"times_{key}_min\": {rn:.4}, \"times_{key}_paired\": {rp:.4}");
        }
        println!("{text}");
        put(name, format!("{{{fields}}}"));
    };
    for (i, (name, _)) in variants.iter().enumerate() {
        line(name, i, if i > 0 { Some((0, kernel.name())) } else { None }, &mut put);
    }
    line("lecture_ms", variants.len(), Some((0, "cost_grad")), &mut put);
    if numpy.is_some() {
        let (med, min) = (s[n_rust].median * 1e3, s[n_rust].min * 1e3);
        println!("numpy_ms: {med:.3} (min {min:.3})  (the baseline)");
        put("numpy_ms", format!("{{\"median\": {med:.4}, \"min\": {min:.4}, \"samples\": {}}}", s[n_rust].n));
    }

    // Training: the course's run (50 fmincg iterations, lambda 1, the same random start)
    // with FastCost, with the lecture's code, and NumPy's fmincg, in rotating order.
    let config = TrainConfig::new(&sizes).iterations(50).lambda(1.0).seed(0);
    let lecture_config = config.clone().engine(Engine::Lecture);
    let start_params = Network::random(&sizes, config.init, config.seed)?.unroll();
    let mut train_s: Vec<Vec<f64>> = vec![Vec::new(); 3];
    let (mut evals, mut final_cost) = ([0usize; 3], [f64::NAN; 3]);
    let variants = if numpy.is_some() { 3 } else { 2 };
    for round in 0..o.train_rounds {
        for i in 0..variants {
            let v = (i + round) % variants;
            let t = Instant::now();
            let (e, c) = match v {
                0 => match o.threads {
                    None => {
                        let h = train(&config, &data)?.history;
                        (h.evaluations, h.final_cost())
                    }
                    // What `train` does, with the objective on `threads` threads.
                    Some(threads) => {
                        let h = fmincg(
                            FastCost::new(&data, &sizes, 1.0)?.with_threads(threads),
                            start_params.clone(),
                            50,
                            |_| Ok(nn_core::optim::Next::Continue),
                        )?
                        .1;
                        (h.evaluations, h.final_cost())
                    }
                },
                1 => {
                    let h = train(&lecture_config, &data)?.history;
                    (h.evaluations, h.final_cost())
                }
                _ => {
                    let (secs, e, c) =
                        numpy.as_mut().expect("numpy").train(50, start_params.as_slice().expect("contiguous"))?;
                    train_s[2].push(secs); // timed inside Python
                    (e, c)
                }
            };
            if v < 2 {
                train_s[v].push(t.elapsed().as_secs_f64());
            }
            (evals[v], final_cost[v]) = (e, c);
        }
    }
    let ts: Vec<Option<Stats>> = train_s.iter().map(|v| (!v.is_empty()).then(|| stats(v))).collect();
    let (tf, tl) = (ts[0].expect("fast"), ts[1].expect("lecture"));
    let tn = ts[2];
    println!(
        "-- training: {} rounds of `train` (FastCost{}), `train` with Engine::Lecture{}, in rotating order; seconds, median and min",
        o.train_rounds,
        o.threads.map(|t| format!(" on {}", threads_text(t))).unwrap_or_default(),
        if tn.is_some() { " and NumPy's fmincg (tools/numpy_baseline.py)" } else { "" }
    );
    let vs = |st: Stats| -> String {
        let mut text = String::new();
        if let Some(n) = tn {
            text += &format!("  ({:.2} times NumPy; min {:.2})", st.median / n.median, st.min / n.min);
        }
        text
    };
    println!(
        "fmincg_50_s: {:.3} (min {:.3}){}  ({:.2} times the lecture engine)",
        tf.median,
        tf.min,
        vs(tf),
        tf.median / tl.median
    );
    println!("fmincg_50_lecture_s: {:.3} (min {:.3}){}", tl.median, tl.min, vs(tl));
    if let Some(n) = tn {
        println!("fmincg_50_numpy_s: {:.3} (min {:.3})  (the baseline)", n.median, n.min);
    }
    println!(
        "fmincg_50_evaluations: {} (lecture engine {}{}); final cost {:.10} (lecture engine {:.10}{})",
        evals[0],
        evals[1],
        if tn.is_some() { format!(", NumPy {}", evals[2]) } else { String::new() },
        final_cost[0],
        final_cost[1],
        if tn.is_some() { format!(", NumPy {:.10}", final_cost[2]) } else { String::new() }
    );
    for (name, st) in [("fmincg_50_s", Some(tf)), ("fmincg_50_lecture_s", Some(tl)), ("fmincg_50_numpy_s", tn)] {
        if let Some(st) = st {
            put(name, format!("{{\"median\": {:.4}, \"min\": {:.4}, \"samples\": {}}}", st.median, st.min, st.n));
        }
    }
    put("fmincg_50_evaluations", evals[0].to_string());
    let (evals_fast, evals_numpy) = (evals[0], evals[2]);

    if o.sweep {
        let held_out = bundled::digits_test()?;
        let lambdas = [0.0, 0.01, 0.1, 1.0, 3.0, 10.0, 30.0, 100.0];
        let sweep_config = TrainConfig::new(&sizes).iterations(400).seed(0);
        let t = Instant::now();
        let study = compare_lambdas(&sweep_config, &data, &held_out, &lambdas)?;
        let secs = t.elapsed().as_secs_f64();
        let evals: usize = study.results.iter().map(|r| r.trained.history.evaluations).sum();
        // Per evaluation against the training section's figures (same run): NumPy's
        // fmincg (an estimate: NumPy has no lambda study here) and FastCost's own fmincg.
        let per_eval = secs / evals as f64;
        let fast_per_eval = tf.median / evals_fast as f64;
        println!("-- lambda study: compare_lambdas, 8 lambdas x 400 iterations, one run (one training per core, X prepared once)");
        println!(
            "sweep_8x400_s: {secs:.3} ({evals} evaluations, {:.3} ms each){}  ({:.2} times fmincg_50_s per evaluation)",
            per_eval * 1e3,
            tn.map(|n| {
                let numpy_per_eval = n.median / evals_numpy as f64;
                format!(
                    "  ({:.2} times NumPy, estimated: {evals} evaluations x {:.3} ms, fmincg_50_numpy_s per evaluation, = {:.1} s)",
                    per_eval / numpy_per_eval,
                    numpy_per_eval * 1e3,
                    evals as f64 * numpy_per_eval
                )
            })
            .unwrap_or_default(),
            per_eval / fast_per_eval
        );
        put("sweep_8x400_s", format!("{secs:.4}"));
        put("sweep_8x400_evaluations", evals.to_string());
    }
    println!("load_average_after: {}", load_average());

    if let Some(path) = &o.json {
        let body: Vec<String> = json.iter().map(|(k, v)| format!("  \"{k}\": {v}")).collect();
        std::fs::write(path, format!("{{\n{}\n}}\n", body.join(",\n")))?;
        println!("json: {path}");
    }
    drop(numpy);
    if !failed.is_empty() {
        return Err(failed.join("; ").into());
    }
    Ok(())
}
