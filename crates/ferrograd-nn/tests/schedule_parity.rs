//! LR schedule parity with PyTorch 1.13 (`fixtures/torch/schedules.json`), plus behaviour tests
//! for validation, composition and reduce-on-plateau checkpointing.

use ferrograd_nn::schedule::{
    LrSchedule, PlateauConfig, PlateauMode, ReduceOnPlateau, ThresholdMode,
};
use serde_json::Value;

const RTOL: f64 = 1e-5;
const ATOL: f64 = 1e-6;

fn fixture() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/torch/schedules.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).expect("read")).expect("parse")
}

fn num(v: &Value, key: &str) -> f64 {
    v[key]
        .as_f64()
        .unwrap_or_else(|| panic!("missing number {key}"))
}

fn int(v: &Value, key: &str) -> u64 {
    v[key]
        .as_u64()
        .unwrap_or_else(|| panic!("missing int {key}"))
}

fn parse(spec: &Value) -> LrSchedule {
    match spec["kind"].as_str().unwrap() {
        "constant" => LrSchedule::Constant,
        "step" => LrSchedule::Step {
            step_size: int(spec, "step_size"),
            gamma: num(spec, "gamma") as f32,
        },
        "multistep" => LrSchedule::MultiStep {
            milestones: spec["milestones"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m.as_u64().unwrap())
                .collect(),
            gamma: num(spec, "gamma") as f32,
        },
        "exponential" => LrSchedule::Exponential {
            gamma: num(spec, "gamma") as f32,
        },
        "inverse_time" => LrSchedule::InverseTime {
            k: num(spec, "k") as f32,
        },
        "inverse_offset" => LrSchedule::InverseOffset {
            c: num(spec, "c") as f32,
        },
        "polynomial" => LrSchedule::Polynomial {
            total: int(spec, "total"),
            power: num(spec, "power") as f32,
        },
        "cosine" => LrSchedule::Cosine {
            t_max: int(spec, "t_max"),
            eta_min: num(spec, "eta_min") as f32,
        },
        "cosine_restarts" => LrSchedule::CosineRestarts {
            t_0: int(spec, "t_0"),
            t_mult: int(spec, "t_mult"),
            eta_min: num(spec, "eta_min") as f32,
        },
        "warmup" => {
            parse(&spec["inner"]).with_warmup(int(spec, "steps"), num(spec, "start_factor") as f32)
        }
        "one_cycle" => LrSchedule::OneCycle {
            total: int(spec, "total"),
            pct_start: num(spec, "pct_start") as f32,
            div_factor: num(spec, "div_factor") as f32,
            final_div_factor: num(spec, "final_div_factor") as f32,
        },
        other => panic!("unknown schedule {other}"),
    }
}

fn close(got: f32, want: f64) -> bool {
    (got as f64 - want).abs() <= ATOL + RTOL * want.abs()
}

#[test]
fn schedules_match_torch() {
    let fx = fixture();
    let cases = fx["cases"].as_array().unwrap();
    assert!(cases.len() >= 15);
    let mut failures = Vec::new();
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let sched = parse(&case["schedule"]);
        sched.validate().unwrap();
        let base = num(case, "base_lr") as f32;
        let lrs = case["lrs"].as_array().unwrap();
        assert_eq!(lrs.len(), 30, "{name}");
        for (t, want) in lrs.iter().enumerate() {
            let want = want.as_f64().unwrap();
            let got = sched.lr(base, t as u64);
            if !close(got, want) {
                failures.push(format!("{name} t={t}: got {got}, want {want}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn plateau_config(cfg: &Value) -> PlateauConfig {
    let d = PlateauConfig::default();
    PlateauConfig {
        mode: match cfg["mode"].as_str().unwrap() {
            "min" => PlateauMode::Min,
            _ => PlateauMode::Max,
        },
        factor: cfg["factor"].as_f64().unwrap_or(d.factor),
        patience: cfg["patience"].as_u64().unwrap_or(d.patience),
        threshold: cfg["threshold"].as_f64().unwrap_or(d.threshold),
        threshold_mode: match cfg["threshold_mode"].as_str() {
            Some("abs") => ThresholdMode::Abs,
            _ => ThresholdMode::Rel,
        },
        cooldown: cfg["cooldown"].as_u64().unwrap_or(d.cooldown),
        min_lr: cfg["min_lr"].as_f64().unwrap_or(d.min_lr),
        eps: d.eps,
    }
}

#[test]
fn reduce_on_plateau_matches_torch() {
    let fx = fixture();
    let cases = fx["plateau_cases"].as_array().unwrap();
    assert_eq!(cases.len(), 4);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let mut sched =
            ReduceOnPlateau::new(num(case, "base_lr") as f32, plateau_config(&case["config"]))
                .unwrap();
        let metrics = case["metrics"].as_array().unwrap();
        let lrs = case["lrs"].as_array().unwrap();
        for (t, (m, want)) in metrics.iter().zip(lrs).enumerate() {
            let got = sched.step(m.as_f64().unwrap()).unwrap();
            let want = want.as_f64().unwrap();
            assert!(close(got, want), "{name} t={t}: got {got}, want {want}");
        }
    }
}

#[test]
fn reduce_on_plateau_resumes_exactly() {
    let cfg = PlateauConfig {
        factor: 0.5,
        patience: 1,
        cooldown: 1,
        ..PlateauConfig::default()
    };
    let metrics = [1.0, 0.9, 0.95, 0.95, 0.95, 0.8, 0.85, 0.85, 0.85, 0.85];
    let mut a = ReduceOnPlateau::new(0.1, cfg.clone()).unwrap();
    for &m in &metrics[..5] {
        a.step(m).unwrap();
    }
    let saved = a.state();
    let mut b = ReduceOnPlateau::new(0.1, cfg).unwrap();
    b.load_state(saved).unwrap();
    for &m in &metrics[5..] {
        assert_eq!(a.step(m).unwrap(), b.step(m).unwrap());
    }
    assert_eq!(a.state(), b.state());
    assert!(a.lr() < 0.1, "the sequence must have reduced the LR");
}

#[test]
fn plateau_rejects_bad_input() {
    let bad = PlateauConfig {
        factor: 1.0,
        ..PlateauConfig::default()
    };
    assert!(ReduceOnPlateau::new(0.1, bad).is_err());
    assert!(ReduceOnPlateau::new(-0.1, PlateauConfig::default()).is_err());
    let mut s = ReduceOnPlateau::new(0.1, PlateauConfig::default()).unwrap();
    assert!(s.step(f64::NAN).is_err());
}

#[test]
fn schedule_validation_errors() {
    let bad = [
        LrSchedule::Step {
            step_size: 0,
            gamma: 0.1,
        },
        LrSchedule::Cosine {
            t_max: 0,
            eta_min: 0.0,
        },
        LrSchedule::InverseOffset { c: 0.0 },
        LrSchedule::InverseTime { k: -1.0 },
        LrSchedule::CosineRestarts {
            t_0: 3,
            t_mult: 0,
            eta_min: 0.0,
        },
        LrSchedule::Constant.with_warmup(5, 0.0),
        LrSchedule::Constant.with_warmup(5, f32::NAN),
        // 0.01 * 10 - 1 < 0: the warm-up phase would be empty.
        LrSchedule::OneCycle {
            total: 10,
            pct_start: 0.01,
            div_factor: 25.0,
            final_div_factor: 1e4,
        },
        LrSchedule::one_cycle(1),
        LrSchedule::Exponential { gamma: f32::NAN },
        LrSchedule::Polynomial {
            total: 10,
            power: -1.0,
        },
    ];
    for s in &bad {
        assert!(s.validate().is_err(), "{s:?} should be rejected");
    }
    assert!(LrSchedule::one_cycle(100).validate().is_ok());
}

#[test]
fn one_cycle_defaults_and_clamping() {
    let s = LrSchedule::one_cycle(100);
    let max_lr = 1.0;
    assert!(
        (s.lr(max_lr, 0) - 0.04).abs() < 1e-7,
        "starts at max_lr / 25"
    );
    assert!(
        (s.lr(max_lr, 29) - 1.0).abs() < 1e-6,
        "peaks at 0.3 * total - 1"
    );
    let end = 0.04 / 1e4;
    assert!((s.lr(max_lr, 99) - end).abs() < 1e-9);
    // Past the end the LR stays at the final value instead of rising again.
    assert_eq!(s.lr(max_lr, 500), s.lr(max_lr, 99));
}

#[test]
fn warmup_composes() {
    // Warmup around warmup: the inner warmup restarts after the outer one ends.
    let s = LrSchedule::Exponential { gamma: 0.5 }
        .with_warmup(2, 0.5)
        .with_warmup(4, 0.25);
    let lrs: Vec<f32> = (0..9).map(|t| s.lr(1.0, t)).collect();
    let want = [0.25, 0.4375, 0.625, 0.8125, 0.5, 0.75, 1.0, 0.5, 0.25];
    for (g, w) in lrs.iter().zip(want) {
        assert!((g - w).abs() < 1e-7, "{lrs:?}");
    }
}
