//! GPU (wgpu, f32) vs CPU (rayon, f64) soft baselines agree to 1e-4.
//!
//! Runs on whatever adapter wgpu finds, a software one (Mesa lavapipe) included. Without any
//! adapter each test prints "skipped: no adapter" and passes, unless
//! `PROXMO_REQUIRE_GPU_TESTS=1`, in which case it fails.

use proxmo::advantage::backend::{self, Device};
use proxmo::advantage::compute;
use proxmo::advantage::soft_baseline::soft_baseline_cpu;
use proxmo::advantage::tfidf::fit_transform;
use proxmo::batch::Batch;
use proxmo::kinds::advantage::estimator;
use proxmo::kinds::params_with_defaults;
use proxmo::sparse::{SoftBaselineProblem, SparseRows};
use proxmo::stage::Value;

const TOL: f64 = 1e-4;

/// The adapter's description, or `None` when the test should be skipped.
fn adapter_or_skip(test: &str) -> Option<String> {
    let required = std::env::var("PROXMO_REQUIRE_GPU_TESTS").as_deref() == Ok("1");
    match proxmo::gpu::best_adapter() {
        Some(a) => {
            if let Some(defect) = a.known_defect() {
                assert!(!required, "[{test}] PROXMO_REQUIRE_GPU_TESTS=1: {defect}");
                eprintln!("[{test}] skipped: unusable adapter: {defect}");
                return None;
            }
            eprintln!("[{test}] adapter: {}", a.describe_detailed());
            Some(a.describe())
        }
        None => {
            assert!(
                !required,
                "[{test}] PROXMO_REQUIRE_GPU_TESTS=1 but wgpu found no adapter \
                 (on a machine without a GPU, install Mesa lavapipe: mesa-vulkan-drivers)"
            );
            eprintln!("[{test}] skipped: no adapter");
            None
        }
    }
}

/// The project's seeded generator, with the two draws these tests use.
struct Gen(proxmo::rng::Rng);

impl Gen {
    fn new(seed: u64) -> Gen {
        Gen(proxmo::rng::Rng::new(seed))
    }
    fn below(&mut self, n: usize) -> usize {
        self.0.below(n)
    }
    fn unit(&mut self) -> f64 {
        self.0.next_f64()
    }
}

const WORDS: &[&str] = &[
    "you",
    "are",
    "in",
    "the",
    "middle",
    "of",
    "room",
    "looking",
    "around",
    "see",
    "cabinet",
    "countertop",
    "drawer",
    "fridge",
    "garbagecan",
    "sinkbasin",
    "stoveburner",
    "toaster",
    "apple",
    "bread",
    "knife",
    "lettuce",
    "mug",
    "plate",
    "pot",
    "spatula",
    "tomato",
    "open",
    "closed",
    "nothing",
    "happens",
    "take",
    "put",
    "go",
    "to",
    "on",
    "with",
    "clean",
    "heat",
    "cool",
];

/// An observation of 0..max_words random words (0 words: an empty observation).
fn random_obs(gen: &mut Gen, max_words: usize) -> String {
    let n = gen.below(max_words + 1);
    (0..n)
        .map(|_| WORDS[gen.below(WORDS.len())])
        .collect::<Vec<_>>()
        .join(" ")
}

/// A problem over `docs` laid out group after group with `group_sizes`.
fn problem_from_docs(
    docs: &[String],
    group_sizes: &[usize],
    returns: Vec<f64>,
    steps: Vec<u32>,
    tau: f64,
    align_steps: bool,
) -> SoftBaselineProblem {
    let refs: Vec<&str> = docs.iter().map(|s| s.as_str()).collect();
    let (_, vectors) = fit_transform(&refs, 1024);
    let mut group_offsets = vec![0];
    for s in group_sizes {
        group_offsets.push(group_offsets.last().unwrap() + s);
    }
    assert_eq!(*group_offsets.last().unwrap(), docs.len());
    SoftBaselineProblem {
        vectors,
        returns,
        steps,
        group_offsets,
        tau,
        align_steps,
    }
}

/// A random batch: `groups` groups of 1..=max_group rows, steps 0..max_steps.
fn random_problem(
    seed: u64,
    groups: usize,
    max_group: usize,
    max_steps: u32,
    tau: f64,
    align_steps: bool,
) -> SoftBaselineProblem {
    let mut gen = Gen::new(seed);
    let sizes: Vec<usize> = (0..groups).map(|_| 1 + gen.below(max_group)).collect();
    let n: usize = sizes.iter().sum();
    let docs: Vec<String> = (0..n).map(|_| random_obs(&mut gen, 12)).collect();
    let returns = (0..n).map(|_| gen.unit() * 2.0 - 0.5).collect();
    let steps = (0..n)
        .map(|_| gen.below(max_steps as usize) as u32)
        .collect();
    problem_from_docs(&docs, &sizes, returns, steps, tau, align_steps)
}

/// GPU and CPU baselines of `problem` agree to `TOL`; returns the GPU result.
fn check(test: &str, problem: &SoftBaselineProblem) -> Vec<f64> {
    let cpu = soft_baseline_cpu(problem);
    let (gpu, adapter) = proxmo::gpu::soft_baseline_gpu(problem, true)
        .unwrap_or_else(|e| panic!("[{test}] GPU path failed: {e:#}"));
    assert_eq!(gpu.len(), cpu.len(), "[{test}] length");
    let mut worst = (0.0f64, 0usize);
    for (i, (g, c)) in gpu.iter().zip(&cpu).enumerate() {
        let err = (g - c).abs();
        assert!(g.is_finite(), "[{test}] row {i}: GPU gave {g}");
        if err > worst.0 {
            worst = (err, i);
        }
    }
    eprintln!(
        "[{test}] {} rows on {adapter}: max |gpu - cpu| = {:.2e} (row {})",
        cpu.len(),
        worst.0,
        worst.1
    );
    assert!(
        worst.0 <= TOL,
        "[{test}] row {}: gpu {} vs cpu {} (|diff| {:.3e} > {TOL})",
        worst.1,
        gpu[worst.1],
        cpu[worst.1],
        worst.0
    );
    gpu
}

#[test]
fn random_batches_match_cpu() {
    if adapter_or_skip("random_batches_match_cpu").is_none() {
        return;
    }
    for seed in 0..6u64 {
        let align = seed % 2 == 1;
        let p = random_problem(seed, 20, 40, 10, 0.1, align);
        check(&format!("random seed {seed} align {align}"), &p);
    }
}

#[test]
fn extreme_temperatures_match_cpu() {
    if adapter_or_skip("extreme_temperatures_match_cpu").is_none() {
        return;
    }
    for tau in [0.01, 10.0, 0.001] {
        let p = random_problem(100, 16, 50, 8, tau, false);
        check(&format!("tau {tau}"), &p);
        let p = random_problem(101, 16, 50, 8, tau, true);
        check(&format!("tau {tau} align"), &p);
    }
}

#[test]
fn align_steps_matches_cpu() {
    if adapter_or_skip("align_steps_matches_cpu").is_none() {
        return;
    }
    let p = random_problem(7, 10, 200, 30, 0.1, true);
    check("align_steps", &p);
}

#[test]
fn singleton_groups_give_own_return() {
    if adapter_or_skip("singleton_groups_give_own_return").is_none() {
        return;
    }
    let mut gen = Gen::new(11);
    let n = 300;
    let docs: Vec<String> = (0..n).map(|_| random_obs(&mut gen, 8)).collect();
    let returns: Vec<f64> = (0..n).map(|_| gen.unit()).collect();
    let p = problem_from_docs(&docs, &vec![1; n], returns.clone(), vec![0; n], 0.1, false);
    let gpu = check("singletons", &p);
    for (g, r) in gpu.iter().zip(&returns) {
        assert!((g - r).abs() <= TOL);
    }
}

#[test]
fn one_row_trajectories_match_cpu() {
    if adapter_or_skip("one_row_trajectories_match_cpu").is_none() {
        return;
    }
    // Every trajectory is a single step 0: with align_steps every row still meets its group.
    let mut gen = Gen::new(12);
    let sizes = vec![8usize; 32];
    let n = 256;
    let docs: Vec<String> = (0..n).map(|_| random_obs(&mut gen, 10)).collect();
    let returns: Vec<f64> = (0..n).map(|_| gen.unit()).collect();
    for align in [false, true] {
        let p = problem_from_docs(&docs, &sizes, returns.clone(), vec![0; n], 0.1, align);
        check(&format!("one-row trajectories align {align}"), &p);
    }
}

#[test]
fn empty_observations_have_zero_similarity() {
    if adapter_or_skip("empty_observations_have_zero_similarity").is_none() {
        return;
    }
    // All empty: the vocabulary is empty, every similarity 0, so B = the group mean.
    let n = 64;
    let docs = vec![String::new(); n];
    let returns: Vec<f64> = (0..n).map(|i| i as f64 / n as f64).collect();
    let p = problem_from_docs(
        &docs,
        &[16, 16, 32],
        returns.clone(),
        vec![0; n],
        0.1,
        false,
    );
    let gpu = check("all empty", &p);
    let mean16: f64 = returns[..16].iter().sum::<f64>() / 16.0;
    assert!((gpu[0] - mean16).abs() <= TOL);

    // Mixed: empty rows among real ones, and rows of one-letter words only (no token).
    let mut gen = Gen::new(13);
    let docs: Vec<String> = (0..200)
        .map(|i| match i % 4 {
            0 => String::new(),
            1 => "a b c ! ?".to_string(),
            _ => random_obs(&mut gen, 10),
        })
        .collect();
    let returns: Vec<f64> = (0..200).map(|_| gen.unit()).collect();
    let p = problem_from_docs(&docs, &[50, 50, 100], returns, vec![0; 200], 0.1, false);
    check("mixed empty", &p);
}

#[test]
fn identical_observations_give_group_mean() {
    if adapter_or_skip("identical_observations_give_group_mean").is_none() {
        return;
    }
    let n = 100;
    let docs = vec!["you see a fridge and a mug on the countertop".to_string(); n];
    let mut gen = Gen::new(14);
    let returns: Vec<f64> = (0..n).map(|_| gen.unit()).collect();
    let p = problem_from_docs(&docs, &[n], returns.clone(), vec![0; n], 0.01, false);
    let gpu = check("identical", &p);
    let mean = returns.iter().sum::<f64>() / n as f64;
    for g in gpu {
        assert!((g - mean).abs() <= TOL);
    }
}

#[test]
fn one_group_of_5000_rows() {
    if adapter_or_skip("one_group_of_5000_rows").is_none() {
        return;
    }
    let mut gen = Gen::new(15);
    let n = 5000;
    let docs: Vec<String> = (0..n).map(|_| random_obs(&mut gen, 12)).collect();
    let returns: Vec<f64> = (0..n).map(|_| gen.unit()).collect();
    let p = problem_from_docs(&docs, &[n], returns, vec![0; n], 0.1, false);
    check("one group of 5000", &p);
}

#[test]
fn chunked_and_2d_dispatch_match_cpu() {
    if adapter_or_skip("chunked_and_2d_dispatch_match_cpu").is_none() {
        return;
    }
    use proxmo::gpu::soft_baseline::{soft_baseline_gpu_capped, DispatchCaps};
    let p = random_problem(41, 60, 40, 6, 0.1, false);
    let cpu = soft_baseline_cpu(&p);
    // 2,048-byte buffers hold 64 row records: many chunks of whole groups. 2 or 3 workgroups
    // per dimension: chunks of at most 256 / 576 rows dispatched as a 2 x 2 / 3 x 3 grid
    // (with idle invocations past the last row).
    let caps_list = [(2048, 65_535), (u64::MAX, 2), (u64::MAX, 3), (4096, 2)];
    for (max_buffer_bytes, max_workgroups_per_dim) in caps_list {
        let caps = DispatchCaps {
            max_buffer_bytes,
            max_workgroups_per_dim,
        };
        let (gpu, _) =
            soft_baseline_gpu_capped(&p, true, caps).unwrap_or_else(|e| panic!("{caps:?}: {e:#}"));
        assert_eq!(gpu.len(), cpu.len());
        let worst = gpu
            .iter()
            .zip(&cpu)
            .map(|(g, c)| (g - c).abs())
            .fold(0.0f64, f64::max);
        eprintln!(
            "[chunked] {caps:?}: {} rows, max diff {worst:.2e}",
            cpu.len()
        );
        assert!(worst <= TOL);
    }
    // A group too large for the capped buffers is an error, not a panic.
    let big = random_problem(42, 1, 40, 6, 0.1, false);
    let caps = DispatchCaps {
        max_buffer_bytes: 64,
        max_workgroups_per_dim: 65_535,
    };
    assert!(big.n_rows() * 32 > 64);
    let err = soft_baseline_gpu_capped(&big, true, caps).unwrap_err();
    eprintln!("[chunked] oversized group: {err:#}");
}

#[test]
fn direct_rows_unsorted_and_unnormalised_match_cpu() {
    if adapter_or_skip("direct_rows_unsorted_and_unnormalised_match_cpu").is_none() {
        return;
    }
    // Rows built by hand: column indices in any order within a row, values of either sign
    // and not normalised (similarities well below -1 and above 1).
    let mut gen = Gen::new(51);
    let n = 400;
    let n_features = 30;
    let mut indptr = vec![0u32];
    let mut indices = Vec::new();
    let mut values = Vec::new();
    for _ in 0..n {
        let mut cols: Vec<u32> = (0..n_features as u32).collect();
        // Shuffle and keep a prefix: distinct columns, unsorted.
        for k in (1..cols.len()).rev() {
            cols.swap(k, gen.below(k + 1));
        }
        let nnz = gen.below(8);
        for &c in &cols[..nnz] {
            indices.push(c);
            values.push(gen.unit() * 3.0 - 1.5);
        }
        indptr.push(indices.len() as u32);
    }
    let sizes = [1usize, 99, 150, 150];
    let mut group_offsets = vec![0];
    for s in sizes {
        group_offsets.push(group_offsets.last().unwrap() + s);
    }
    for (tau, align_steps) in [(0.1, false), (1.0, true)] {
        let p = SoftBaselineProblem {
            vectors: SparseRows {
                indptr: indptr.clone(),
                indices: indices.clone(),
                values: values.clone(),
                n_features,
            },
            returns: (0..n).map(|i| (i % 7) as f64 / 7.0).collect(),
            steps: (0..n).map(|i| (i % 5) as u32).collect(),
            group_offsets: group_offsets.clone(),
            tau,
            align_steps,
        };
        check(&format!("direct rows tau {tau} align {align_steps}"), &p);
    }
}

#[test]
fn empty_problem_gives_empty_output() {
    if adapter_or_skip("empty_problem_gives_empty_output").is_none() {
        return;
    }
    let p = SoftBaselineProblem {
        vectors: SparseRows {
            indptr: vec![0],
            indices: vec![],
            values: vec![],
            n_features: 0,
        },
        returns: vec![],
        steps: vec![],
        group_offsets: vec![0],
        tau: 0.1,
        align_steps: false,
    };
    let (out, _) = proxmo::gpu::soft_baseline_gpu(&p, true).unwrap();
    assert!(out.is_empty());
    let (out, report) = backend::soft_baseline(&p, Device::Gpu, true).unwrap();
    assert!(out.is_empty());
    assert!(report.fallback_warning.is_none());
}

#[test]
fn backend_selection_and_reports() {
    let Some(adapter) = adapter_or_skip("backend_selection_and_reports") else {
        return;
    };
    let p = random_problem(21, 8, 30, 5, 0.1, false);
    let cpu = soft_baseline_cpu(&p);

    let (out, report) = backend::soft_baseline(&p, Device::Gpu, true).unwrap();
    eprintln!(
        "[backend] device gpu + allow_software: used = {}",
        report.used
    );
    assert_eq!(report.used, format!("gpu ({adapter})"));
    assert!(report.fallback_warning.is_none());
    for (g, c) in out.iter().zip(&cpu) {
        assert!((g - c).abs() <= TOL);
    }

    let (_, report) = backend::soft_baseline(&p, Device::Cpu, true).unwrap();
    assert_eq!(report.used, "cpu");

    let best = proxmo::gpu::best_adapter().unwrap();
    if best.software {
        let err = backend::soft_baseline(&p, Device::Gpu, false).unwrap_err();
        let msg = format!("{err:#}");
        eprintln!("[backend] device gpu without allow_software: {msg}");
        assert!(msg.contains("allow_software = true"), "{msg}");
        // Auto never picks a software adapter.
        let (_, report) = backend::soft_baseline(&p, Device::Auto, true).unwrap();
        assert_eq!(report.used, "cpu");
    }

    // A malformed problem makes the GPU path fail; the backend falls back to the CPU with
    // one warning (the CPU reference copes with a zero temperature by producing NaN).
    let mut bad = p.clone();
    bad.tau = 0.0;
    let (_, report) = backend::soft_baseline(&bad, Device::Gpu, true).unwrap();
    eprintln!("[backend] failing GPU run: {:?}", report.fallback_warning);
    assert_eq!(report.used, "cpu");
    assert!(report.fallback_warning.is_some());
    // The GPU still works afterwards.
    let (_, report) = backend::soft_baseline(&p, Device::Gpu, true).unwrap();
    assert!(report.used.starts_with("gpu ("));
}

#[test]
fn full_estimator_gpu_matches_cpu() {
    if adapter_or_skip("full_estimator_gpu_matches_cpu").is_none() {
        return;
    }
    let rows = proxmo::synthetic::rows_about(3000, 8, 30, 5);
    let batch = Batch::from_rows(rows).expect("synthetic rows form a batch");
    let est = |device: &str| {
        let params = params_with_defaults(
            "advantage.proxmo",
            &[
                ("device", Value::Str(device.into())),
                ("allow_software", Value::Bool(true)),
            ],
        )
        .unwrap();
        estimator("advantage.proxmo", &params).unwrap()
    };
    let cpu = compute(&batch, &est("cpu")).unwrap();
    let gpu = compute(&batch, &est("gpu")).unwrap();
    eprintln!(
        "[full estimator] {} rows: cpu backend {:?}, gpu backend {:?}",
        batch.rows.len(),
        cpu.diagnostics.backend,
        gpu.diagnostics.backend
    );
    assert_eq!(cpu.diagnostics.backend.as_deref(), Some("cpu"));
    let used = gpu.diagnostics.backend.clone().unwrap_or_default();
    assert!(used.starts_with("gpu ("), "gpu run used {used:?}");
    assert!(gpu.diagnostics.backend_warning.is_none());
    let max_diff = |a: &[f64], b: &[f64]| {
        a.iter()
            .zip(b)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0f64, f64::max)
    };
    let step = max_diff(&cpu.step_advantage, &gpu.step_advantage);
    let total = max_diff(&cpu.advantage, &gpu.advantage);
    eprintln!("[full estimator] max diff: step {step:.2e}, total {total:.2e}");
    assert!(step <= TOL && total <= TOL);
}

/// `proxmo run pipelines/advantage.pipe --set credit.device=gpu --set credit.allow_software=true`
/// writes the same advantages as the CPU path, on the shipped rows and on ~3,000 synthetic ones.
#[test]
fn advantage_pipeline_on_gpu_writes_cpu_numbers() {
    if adapter_or_skip("advantage_pipeline_on_gpu_writes_cpu_numbers").is_none() {
        return;
    }
    let dir = std::env::temp_dir().join(format!("proxmo-gpu-run-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let synthetic = dir.join("synthetic.jsonl");
    let lines: Vec<String> = proxmo::synthetic::rows_about(3_000, 8, 50, 4)
        .into_iter()
        .map(|r| {
            serde_json::json!({"group": r.group, "traj": r.traj, "step": r.step, "obs": r.obs,
                               "reward": r.reward, "valid": r.valid, "won": r.won})
            .to_string()
        })
        .collect();
    std::fs::write(&synthetic, lines.join("\n")).unwrap();
    for input in [
        std::path::PathBuf::from("pipelines/data/example.jsonl"),
        synthetic,
    ] {
        let run = |device: &str| {
            let out = dir.join(format!("{device}.jsonl"));
            let status = std::process::Command::new(env!("CARGO_BIN_EXE_proxmo"))
                .args(["run", "pipelines/advantage.pipe", "--quiet"])
                .args(["--set", &format!("source.path={}", input.display())])
                .args(["--set", &format!("sink.path={}", out.display())])
                .args(["--set", &format!("credit.device={device}")])
                .args(["--set", "credit.allow_software=true"])
                .status()
                .unwrap();
            assert!(status.success(), "{device} run on {}", input.display());
            std::fs::read_to_string(out)
                .unwrap()
                .lines()
                .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
                .collect::<Vec<_>>()
        };
        let (cpu, gpu) = (run("cpu"), run("gpu"));
        assert_eq!(cpu.len(), gpu.len());
        let mut worst = 0.0f64;
        for (c, g) in cpu.iter().zip(&gpu) {
            for f in [
                "step_return",
                "episode_advantage",
                "step_advantage",
                "advantage",
            ] {
                worst = worst.max((c[f].as_f64().unwrap() - g[f].as_f64().unwrap()).abs());
            }
        }
        eprintln!(
            "[pipeline on {}] {} rows, max |gpu - cpu| = {worst:.2e}",
            input.display(),
            cpu.len()
        );
        assert!(worst <= TOL, "{}: {worst}", input.display());
    }
    let _ = std::fs::remove_dir_all(&dir);
}
