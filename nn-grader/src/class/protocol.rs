//! The class grader's protocol: the problems a seed draws, the values the student's program
//! hands back from the sandbox, their score, and the JSON the Python side reads (facts: part,
//! points, function, [`Kind`], mistake and problem ids; the words for people travel beside
//! them and are never parsed).

use ndarray::Array2;
use nn_core::io::json_string;

use crate::cases::{cost_cases_seeded, sigmoid_gradient_cases_seeded, Case};
use crate::kind::{Kind, Scope, Status};
use crate::outcome::{Calls, Failure};
use crate::problem::Problem;
use crate::scoring::{self, CostRuns};
use crate::student::FUNCTIONS;
use crate::wire::{self, Values};
use crate::{GradeOptions, GradeReport, Limits, Mistake, Part, RandInitFn, SigmoidGradientFn, TwoLayerCost};

/// The version of what `grader tables` and `grader score` print: part of every cache key of
/// the class grader, and in every report (`"format"`).
pub const FORMAT_VERSION: u32 = 3;

/// How much of one message from the student's program (a panic, an error) is kept.
pub const MESSAGE_KEPT: usize = 2000;

/// splitmix64: seeds for the problems, from the one the grader drew.
fn mix(seed: u64) -> u64 {
    let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The problems of a seed: the cost cases (the course's debug network and two random ones)
/// and the inputs of `sigmoid_gradient` (the course's and a random one).
pub fn problems(seed: u64) -> (Vec<Case>, Vec<Array2<f64>>) {
    (cost_cases_seeded(mix(seed), mix(seed ^ 1)), sigmoid_gradient_cases_seeded(Some(mix(seed ^ 2))))
}

/// The student's functions on the problems of `seed`, each part in a child process under
/// the options' limits (what `class values` hands back).
pub fn values(
    seed: u64,
    options: &GradeOptions,
    sigmoid_gradient: &SigmoidGradientFn<'_>,
    rand_initialize_weights: &RandInitFn<'_>,
    nn_cost_function: &TwoLayerCost<'_>,
) -> Values {
    let limits = Limits { time: options.time_limit, memory: options.memory_limit };
    let (cases, inputs) = problems(seed);
    // Long messages are cut here too, so that a 100 MiB panic message still makes a report
    // the grader takes (it cuts them again: this side is the student's).
    Values {
        lambda0: cut_all(scoring::run_cost(nn_cost_function, &cases, false, &limits)),
        regularized: cut_all(scoring::run_cost(nn_cost_function, &cases, true, &limits)),
        sigmoid: cut_all(scoring::run_sigmoid_gradient(sigmoid_gradient, &inputs, &limits)),
        init: cut_all(scoring::run_rand_initialize_weights(rand_initialize_weights, &limits)),
    }
}

/// `s` cut to at most `MESSAGE_KEPT` bytes (at a character boundary), saying so.
fn cut(s: &mut String) {
    if s.len() > MESSAGE_KEPT {
        let mut end = MESSAGE_KEPT;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        let dropped = s.len() - end;
        s.truncate(end);
        s.push_str(&format!("... ({dropped} more bytes cut)"));
    }
}

/// The calls as the grader takes them: long messages cut, and exactly `n` calls (a report
/// with more or fewer results than problems is not the grader's program's: it counts for nothing).
fn checked<T>(calls: Calls<T>, n: usize) -> Calls<T> {
    cut_all(match calls {
        Ok(c) if c.len() == n => Ok(c),
        Ok(c) => Err(Failure::Broken(format!("the report has {} results for {n} problems", c.len()))),
        Err(f) => Err(f),
    })
}

/// Every message of the calls cut to `MESSAGE_KEPT` bytes.
fn cut_all<T>(mut calls: Calls<T>) -> Calls<T> {
    match &mut calls {
        Ok(c) => {
            for call in c.iter_mut() {
                match call {
                    Ok(Err(s)) | Err(s) => cut(s),
                    Ok(Ok(_)) => {}
                }
            }
        }
        Err(Failure::Panicked(s) | Failure::Broken(s)) => cut(s),
        Err(_) => {}
    }
    calls
}

/// The grade from the student's values on the problems of `seed`: the answers compared with
/// the library's, computed here, part by part (the course's table and the initialization's check).
pub fn score(seed: u64, values: Values) -> GradeReport {
    let (cases, inputs) = problems(seed);
    let n = cases.len();
    let runs = CostRuns { cases, lambda0: checked(values.lambda0, n), regularized: checked(values.regularized, n) };
    let parts = vec![
        scoring::grade_cost_part(Part::FeedforwardCost, &runs),
        scoring::grade_cost_part(Part::RegularizedCost, &runs),
        scoring::score_sigmoid_gradient(&inputs, checked(values.sigmoid, inputs.len())),
        scoring::grade_gradient_part(Part::Backpropagation, &runs),
        scoring::grade_gradient_part(Part::RegularizedGradient, &runs),
    ];
    GradeReport { parts, init: Some(scoring::score_rand_initialize_weights(checked(values.init, 5))) }
}

/// The report of one whole frame; `Err` for anything that is not exactly one well-formed frame.
pub fn score_frame(seed: u64, bytes: &[u8]) -> Result<GradeReport, String> {
    let payload = wire::unframe(bytes).ok_or("the report is not one whole frame")?;
    let values: Values = wire::decode(payload).ok_or("the report's values could not be read")?;
    Ok(score(seed, values))
}

/// A JSON object from its fields, each value already JSON.
fn object(fields: &[(&str, String)]) -> String {
    let body: Vec<String> = fields.iter().map(|(k, v)| format!("{}:{v}", json_string(k))).collect();
    format!("{{{}}}", body.join(","))
}

fn array(items: impl IntoIterator<Item = String>) -> String {
    format!("[{}]", items.into_iter().collect::<Vec<_>>().join(","))
}

fn string_or_null(s: Option<&str>) -> String {
    s.map_or("null".into(), json_string)
}

/// A mistake's stable id: its name in the code (`RegularizedBias`).
fn mistake_id(m: Mistake) -> String {
    format!("{m:?}")
}

fn mistake_json(m: Mistake) -> String {
    object(&[
        ("id", json_string(&mistake_id(m))),
        ("name", json_string(m.name())),
        ("description", json_string(m.description())),
    ])
}

/// The report as JSON:
///
/// ```text
/// {"format", "total", "max", "table",
///  "parts": [{"part", "function", "score", "max", "kind", "mistake": null | {"id", "name", "description"},
///             "problem": null | id, "message"}],
///  "init": null | {"function", "passed", "kind", "message"}}
/// ```
///
/// `kind` is a [`Kind`]'s word; `table` and `message` are words for people, shown as they are.
pub fn report_json(report: &GradeReport) -> String {
    let parts = report.parts.iter().map(|p| {
        object(&[
            ("part", json_string(p.part.name())),
            ("function", json_string(p.part.function())),
            ("score", p.score.to_string()),
            ("max", p.max.to_string()),
            ("kind", json_string(p.kind.word())),
            ("mistake", p.mistake.map_or("null".into(), mistake_json)),
            ("problem", string_or_null(p.problem.map(Problem::id))),
            ("message", json_string(&p.message)),
        ])
    });
    let init = match &report.init {
        Some(i) => object(&[
            ("function", json_string("rand_initialize_weights")),
            ("passed", i.passed.to_string()),
            ("kind", json_string(i.kind.word())),
            ("message", json_string(&i.message)),
        ]),
        None => "null".into(),
    };
    object(&[
        ("format", FORMAT_VERSION.to_string()),
        ("total", report.total().to_string()),
        ("max", report.max_total().to_string()),
        ("table", json_string(&report.to_string())),
        ("parts", array(parts)),
        ("init", init),
    ])
}

fn status_json(status: Option<Status>) -> String {
    match status {
        Some(s) => object(&[("text", json_string(s.text)), ("group", json_string(s.group))]),
        None => "null".into(),
    }
}

/// What the class grader needs to know of the exercise and the grader, as JSON:
///
/// ```text
/// {"format",
///  "parts": [{"name", "points", "function"}],            the course's table, in order
///  "functions": [{"name", "signature"}],                 the student's functions, in order
///  "kinds": [{"kind", "keep", "part": null | {"text", "group"}, "student": null | {"text", "group"}}],
///  "mistakes": [{"id", "name", "description", "affects": [part name]}],
///  "problems": [{"id", "name", "description"}]}
/// ```
///
/// A kind's `text` is its status in the gradebook, `group` what summary.md counts it under
/// (see [`Status`]); `keep`: a result of that kind may be kept in the cache ([`Kind::keeps`]).
pub fn tables_json() -> String {
    let parts = Part::ALL.iter().map(|p| {
        object(&[
            ("name", json_string(p.name())),
            ("points", p.max_score().to_string()),
            ("function", json_string(p.function())),
        ])
    });
    let functions = FUNCTIONS
        .iter()
        .map(|(name, signature)| object(&[("name", json_string(name)), ("signature", json_string(signature))]));
    let kinds = Kind::ALL.iter().map(|k| {
        object(&[
            ("kind", json_string(k.word())),
            ("keep", k.keeps().to_string()),
            (Scope::Part.word(), status_json(k.status(Scope::Part))),
            (Scope::Student.word(), status_json(k.status(Scope::Student))),
        ])
    });
    let mistakes = Mistake::ALL.iter().map(|&m| {
        object(&[
            ("id", json_string(&mistake_id(m))),
            ("name", json_string(m.name())),
            ("description", json_string(m.description())),
            ("affects", array(m.entry().affects.iter().map(|p| json_string(p.name())))),
        ])
    });
    let problems = Problem::ALL.iter().map(|p| {
        object(&[
            ("id", json_string(p.id())),
            ("name", json_string(p.name())),
            ("description", json_string(p.description())),
        ])
    });
    object(&[
        ("format", FORMAT_VERSION.to_string()),
        ("parts", array(parts)),
        ("functions", array(functions)),
        ("kinds", array(kinds)),
        ("mistakes", array(mistakes)),
        ("problems", array(problems)),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    use serde_json::Value;

    fn reference_values(seed: u64) -> Values {
        let options = GradeOptions::default();
        let init = |l_in: usize, l_out: usize, eps: f64, rng: &mut ndarray_rand::rand::rngs::StdRng| {
            use ndarray_rand::rand::Rng;
            Array2::from_shape_fn((l_out, 1 + l_in), |_| rng.random_range(-eps..=eps))
        };
        let sg = |z: &Array2<f64>| nn_core::sigmoid_gradient(z);
        values(seed, &options, &sg, &init, &nn_core::nn_cost_function)
    }

    #[test]
    fn values_from_a_frame_score_like_the_grader_and_a_forged_frame_scores_nothing() {
        let seed = 12345;
        let bytes = wire::frame(&wire::encode(&reference_values(seed)));
        let report = score_frame(seed, &bytes).unwrap();
        assert_eq!(report.total(), 100, "{report}");
        assert!(report.init.as_ref().unwrap().passed);
        // The same values for another seed's problems: the random networks' answers are wrong.
        let other = score_frame(seed + 1, &bytes).unwrap();
        assert!(other.total() < 100, "{other}");
        // No frame, two frames, a cut frame: no report at all.
        assert!(score_frame(seed, b"").is_err());
        assert!(score_frame(seed, &[bytes.clone(), bytes.clone()].concat()).is_err());
        assert!(score_frame(seed, &bytes[..bytes.len() - 3]).is_err());
    }

    #[test]
    fn a_report_with_missing_results_gets_nothing_for_them() {
        let seed = 7;
        let mut v = reference_values(seed);
        v.lambda0 = Ok(Vec::new());
        v.sigmoid = v.sigmoid.map(|mut c| {
            c.pop();
            c
        });
        v.init = Ok(Vec::new());
        let report = score(seed, v);
        let by: Vec<u32> = report.parts.iter().map(|p| p.score).collect();
        assert_eq!(by, [0, 15, 0, 0, 10], "{report}");
        assert!(report.parts[0].message.contains("0 results for 3 problems"), "{}", report.parts[0].message);
        assert_eq!(report.parts[0].kind, Kind::NotRun);
        assert!(!report.init.unwrap().passed);
    }

    #[test]
    fn long_messages_are_cut() {
        let mut s = "é".repeat(MESSAGE_KEPT);
        cut(&mut s);
        assert!(s.len() < MESSAGE_KEPT + 40 && s.ends_with("more bytes cut)"), "{}", s.len());
    }

    /// Values as a student's program would hand them back: every part's calls given, each
    /// by hand (no child processes), from the reference answers with the changes `edit` makes.
    fn handmade(seed: u64, edit: impl FnOnce(&mut Values)) -> Value {
        let (cases, inputs) = problems(seed);
        let cost = |lambda0: bool| -> Calls<crate::CostValue> {
            Ok(cases.iter().map(|c| Ok(Ok(c.reference(if lambda0 { 0.0 } else { c.lambda })))).collect())
        };
        let sigmoid = Ok(inputs.iter().map(|z| Ok(Ok(nn_core::sigmoid_gradient(z)))).collect());
        let mut v = reference_values(seed);
        v.lambda0 = cost(true);
        v.regularized = cost(false);
        v.sigmoid = sigmoid;
        edit(&mut v);
        serde_json::from_str(&report_json(&score(seed, v))).expect("the report is JSON")
    }

    fn kinds(report: &Value) -> Vec<&str> {
        report["parts"].as_array().unwrap().iter().map(|p| p["kind"].as_str().unwrap()).collect()
    }

    #[test]
    fn the_serialized_report_carries_part_points_function_kind_and_ids() {
        let seed = 99;
        let all = handmade(seed, |_| {});
        assert_eq!(all["format"], FORMAT_VERSION);
        assert_eq!((all["total"].as_u64(), all["max"].as_u64()), (Some(100), Some(100)));
        let parts = all["parts"].as_array().unwrap();
        let rows: Vec<(&str, u64, u64, &str)> = parts
            .iter()
            .map(|p| {
                (
                    p["part"].as_str().unwrap(),
                    p["score"].as_u64().unwrap(),
                    p["max"].as_u64().unwrap(),
                    p["function"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            rows,
            [
                ("Feedforward and cost", 30, 30, "nn_cost_function"),
                ("Regularized cost", 15, 15, "nn_cost_function"),
                ("Sigmoid gradient", 5, 5, "sigmoid_gradient"),
                ("Backpropagation", 40, 40, "nn_cost_function"),
                ("Regularized gradient", 10, 10, "nn_cost_function"),
            ]
        );
        assert_eq!(kinds(&all), ["ok"; 5]);
        assert!(parts.iter().all(|p| p["mistake"].is_null() && p["problem"].is_null()));
        assert_eq!(all["init"]["kind"], "ok");
        assert_eq!(all["init"]["function"], "rand_initialize_weights");

        // sigmoid_gradient timed out, the cost at lambda > 0 panicked, the gradients at
        // lambda = 0 one row too tall (delta2 kept its bias column).
        let (cases, _) = problems(seed);
        let broken = handmade(seed, |v| {
            v.sigmoid = Err(Failure::TimedOut(Duration::from_secs(2)));
            v.regularized = Ok(cases.iter().map(|_| Err("not yet".into())).collect());
            v.lambda0 = Ok(cases
                .iter()
                .map(|c| {
                    let (j, g1, g2) = c.reference(0.0);
                    let tall = ndarray::concatenate![ndarray::Axis(0), Array2::zeros((1, g1.ncols())), g1];
                    Ok(Ok((j, tall, g2)))
                })
                .collect());
        });
        assert_eq!(kinds(&broken), ["ok", "panicked", "timeout", "wrong", "panicked"]);
        assert_eq!(broken["parts"][2]["function"], "sigmoid_gradient");
        assert_eq!(broken["parts"][3]["problem"], "delta_with_bias_column");
        assert_eq!(broken["total"], 30);

        // A recognized mistake: the bias column regularized (its id, not its words).
        let bias = handmade(seed, |v| {
            v.regularized = Ok(cases
                .iter()
                .map(|c| {
                    let wrong = Mistake::RegularizedBias.cost(&c.theta1, &c.theta2, &c.x, &c.y, c.lambda).unwrap();
                    Ok(Ok(wrong))
                })
                .collect());
        });
        assert_eq!(kinds(&bias), ["ok", "wrong", "ok", "ok", "wrong"]);
        assert_eq!(bias["parts"][1]["mistake"]["id"], "RegularizedBias");
    }

    #[test]
    fn the_tables_list_parts_functions_kinds_mistakes_and_problems() {
        let t: Value = serde_json::from_str(&tables_json()).expect("the tables are JSON");
        assert_eq!(t["format"], FORMAT_VERSION);
        let points: Vec<u64> = t["parts"].as_array().unwrap().iter().map(|p| p["points"].as_u64().unwrap()).collect();
        assert_eq!(points, [30, 15, 5, 40, 10]);
        let functions: Vec<&str> =
            t["functions"].as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap()).collect();
        assert_eq!(functions, ["sigmoid_gradient", "rand_initialize_weights", "nn_cost_function"]);
        assert!(t["functions"][2]["signature"]
            .as_str()
            .unwrap()
            .starts_with("fn nn_cost_function(theta1: &Array2<f64>"));
        let kinds = t["kinds"].as_array().unwrap();
        assert_eq!(kinds.len(), Kind::ALL.len());
        let timeout = kinds.iter().find(|k| k["kind"] == "timeout").unwrap();
        assert_eq!(timeout["part"]["text"], "timed out in {function}");
        assert_eq!(timeout["student"]["group"], "timed out");
        assert_eq!(
            (timeout["keep"].as_bool(), kinds.iter().find(|k| k["kind"] == "grader_error").unwrap()["keep"].as_bool()),
            (Some(true), Some(false))
        );
        assert!(kinds.iter().find(|k| k["kind"] == "wrong").unwrap()["part"].is_null());
        assert_eq!(t["mistakes"].as_array().unwrap().len(), Mistake::ALL.len());
        assert_eq!(t["problems"][0]["id"], "delta_with_bias_column");
    }
}
