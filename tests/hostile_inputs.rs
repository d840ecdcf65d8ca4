//! Hostile inputs (issue 9, items 5, 6, 7, 9, 11 and 12) through the binary: special files as
//! inputs, diagnostics of huge files, literal `--set` values, overflowing rewards, byte-order
//! marks and bad encodings, hidden characters in messages, imports of non-`.pipe` files.

mod hostile_support;

use hostile_support::*;
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(30);

fn run_pipe(name: &str, pipe: &str, extra: &[&str]) -> (std::process::Output, std::path::PathBuf) {
    let dir = scratch(name);
    std::fs::write(dir.join("in.jsonl"), ROWS).unwrap();
    std::fs::write(dir.join("p.pipe"), pipe).unwrap();
    let mut args = vec!["run", "p.pipe", "-q"];
    args.extend_from_slice(extra);
    (proxmo_in(&dir, &args, LIMIT), dir)
}

fn stderr_of(out: &std::process::Output) -> String {
    text(&out.stderr)
}

#[test]
fn importing_dev_zero_or_a_fifo_is_refused_at_once() {
    let dir = scratch("import-special");
    mkfifo(&dir.join("f.pipe"));
    for target in ["/dev/zero", "f.pipe", "/"] {
        std::fs::write(dir.join("p.pipe"), format!("import {target:?}\n")).unwrap();
        let out = proxmo_in(&dir, &["check", "p.pipe"], LIMIT);
        assert_eq!(out.status.code(), Some(2), "{target}: {}", stderr_of(&out));
    }
    // The root file itself may be special too.
    let out = proxmo_in(&dir, &["check", "f.pipe"], LIMIT);
    assert_eq!(out.status.code(), Some(2), "{}", stderr_of(&out));
    assert!(stderr_of(&out).contains("FIFO"), "{}", stderr_of(&out));
}

#[test]
fn a_special_rows_file_is_refused_at_once() {
    let dir = scratch("source-special");
    mkfifo(&dir.join("fifo.jsonl"));
    std::fs::write(
        dir.join("p.pipe"),
        advantage_pipe("grpo", "in.jsonl", "out.jsonl"),
    )
    .unwrap();
    for source in ["/dev/zero", "fifo.jsonl"] {
        let set = format!("source.path={source}");
        let out = proxmo_in(&dir, &["run", "p.pipe", "-q", "--set", &set], LIMIT);
        assert_eq!(out.status.code(), Some(2), "{source}: {}", stderr_of(&out));
        assert!(
            stderr_of(&out).contains("regular file"),
            "{}",
            stderr_of(&out)
        );
    }
}

#[test]
fn policy_weights_from_dev_zero_are_refused_at_once() {
    let pipe = "stage env = env.alfworld { }\n\
        stage rollout = rollout.group { tasks = 1, policy = policy.linear { weights = \"/dev/zero\" } }\n\
        stage credit = advantage.grpo { }\n\
        stage m = sink.metrics { path = \"m.jsonl\" }\n\
        pipeline p { env -> rollout -> credit -> m; iterations = 1 }\n";
    let (out, _) = run_pipe("weights-zero", pipe, &[]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr_of(&out));
    assert!(
        stderr_of(&out).contains("is a device"),
        "{}",
        stderr_of(&out)
    );
}

#[test]
fn a_parameter_repeated_twenty_thousand_times_gives_a_short_report() {
    let dir = scratch("repeated");
    let body = " tau = 0.1".repeat(20_000);
    std::fs::write(
        dir.join("p.pipe"),
        format!("stage s = advantage.proxmo {{{body} }}\npipeline p {{ s }}\n"),
    )
    .unwrap();
    let out = proxmo_in(&dir, &["check", "p.pipe"], LIMIT);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr_of(&out);
    assert!(err.len() < 50_000, "{} bytes of errors", err.len());
    assert!(
        err.contains("more errors not shown"),
        "{}",
        &err[err.len() - 200..]
    );
    assert_eq!(err.matches("error:").count(), 50);
}

#[test]
fn an_error_on_a_one_megabyte_line_prints_a_short_snippet() {
    let dir = scratch("long-line");
    let long = "x".repeat(1 << 20);
    std::fs::write(
        dir.join("p.pipe"),
        format!("stage s = advantage.proxmo {{ omega = \"{long}\" }}\npipeline p {{ s }}\n"),
    )
    .unwrap();
    let out = proxmo_in(&dir, &["check", "p.pipe"], LIMIT);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr_of(&out);
    assert!(err.len() < 2_000, "{} bytes of errors", err.len());
    assert!(err.contains("..."), "{err}");
}

#[test]
fn forty_thousand_errors_on_separate_lines_are_counted_not_all_shown() {
    let dir = scratch("many-errors");
    let text: String = (0..40_000)
        .map(|i| format!("stage s{i} = advantage.proxmo {{ taux = 1 }}\n"))
        .collect();
    std::fs::write(dir.join("p.pipe"), text).unwrap();
    let out = proxmo_in(&dir, &["check", "p.pipe"], LIMIT);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr_of(&out);
    assert!(
        err.contains("and 39950 more errors not shown"),
        "{}",
        &err[err.len().saturating_sub(300)..]
    );
}

#[test]
fn set_values_are_literal_text_for_string_parameters() {
    let (out, dir) = run_pipe(
        "set-literal",
        &advantage_pipe("grpo", "in.jsonl", "default.jsonl"),
        &["--set", "sink.path=out#1 with spaces .jsonl"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert!(dir.join("out#1 with spaces .jsonl").is_file());
    assert!(!dir.join("out").exists() && !dir.join("default.jsonl").exists());
}

#[test]
fn an_overflowing_float_in_set_is_out_of_range() {
    let dir = scratch("set-range");
    let pipe = format!("{}/pipelines/advantage.pipe", env!("CARGO_MANIFEST_DIR"));
    for (set, said) in [
        ("credit.tau=1e309", "1e309 is out of range"),
        ("seed=99999999999999999999", "is out of range"),
    ] {
        let out = proxmo_in(&dir, &["check", &pipe, "--set", set], LIMIT);
        assert_eq!(out.status.code(), Some(2), "{set}");
        assert!(stderr_of(&out).contains(said), "{set}: {}", stderr_of(&out));
        assert!(
            !stderr_of(&out).contains("found string"),
            "{}",
            stderr_of(&out)
        );
    }
}

#[test]
fn a_number_for_a_text_parameter_gets_no_quoting_of_a_reformatted_value() {
    let dir = scratch("hint");
    std::fs::write(
        dir.join("p.pipe"),
        advantage_pipe("grpo", "in.jsonl", "x").replace("\"x\"", "1e5"),
    )
    .unwrap();
    let out = proxmo_in(&dir, &["check", "p.pipe"], LIMIT);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        !stderr_of(&out).contains("\"100000.0\""),
        "{}",
        stderr_of(&out)
    );
    assert!(
        stderr_of(&out).contains("double quotes"),
        "{}",
        stderr_of(&out)
    );
}

#[test]
fn rewards_whose_statistics_overflow_are_refused_by_every_estimator() {
    for kind in ["grpo", "rloo", "gigpo", "proxmo"] {
        let dir = scratch(&format!("overflow-{kind}"));
        std::fs::write(
            dir.join("in.jsonl"),
            "{\"group\":\"g\",\"traj\":\"a\",\"step\":0,\"obs\":\"x\",\"reward\":1.7e308}\n\
             {\"group\":\"g\",\"traj\":\"b\",\"step\":0,\"obs\":\"x\",\"reward\":-1.7e308}\n",
        )
        .unwrap();
        std::fs::write(
            dir.join("p.pipe"),
            advantage_pipe(kind, "in.jsonl", "out.jsonl"),
        )
        .unwrap();
        let out = proxmo_in(&dir, &["run", "p.pipe", "-q"], LIMIT);
        assert_eq!(out.status.code(), Some(2), "{kind}: {}", stderr_of(&out));
        assert!(
            stderr_of(&out).contains("row 1 (group \"g\", traj \"a\", step 0)"),
            "{}",
            stderr_of(&out)
        );
        assert!(!dir.join("out.jsonl").exists());
    }
}

#[test]
fn a_byte_order_mark_is_named_in_pipe_and_jsonl_files() {
    let dir = scratch("bom");
    std::fs::write(
        dir.join("p.pipe"),
        format!("\u{feff}{}", advantage_pipe("grpo", "in.jsonl", "o.jsonl")),
    )
    .unwrap();
    let out = proxmo_in(&dir, &["check", "p.pipe"], LIMIT);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr_of(&out).contains("byte-order mark"),
        "{}",
        stderr_of(&out)
    );

    std::fs::write(
        dir.join("p.pipe"),
        advantage_pipe("grpo", "in.jsonl", "o.jsonl"),
    )
    .unwrap();
    std::fs::write(dir.join("in.jsonl"), format!("\u{feff}{ROWS}")).unwrap();
    let out = proxmo_in(&dir, &["run", "p.pipe", "-q"], LIMIT);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr_of(&out).contains("in.jsonl:1: the file starts with a byte-order mark"),
        "{}",
        stderr_of(&out)
    );
}

#[test]
fn a_non_utf8_jsonl_line_is_named_by_number() {
    let dir = scratch("latin1");
    let mut bytes = ROWS.as_bytes().to_vec();
    bytes.extend_from_slice(
        b"{\"group\":\"c\",\"traj\":\"c1\",\"step\":0,\"obs\":\"caf\xe9\",\"reward\":1}\n",
    );
    std::fs::write(dir.join("in.jsonl"), bytes).unwrap();
    std::fs::write(
        dir.join("p.pipe"),
        advantage_pipe("grpo", "in.jsonl", "o.jsonl"),
    )
    .unwrap();
    let out = proxmo_in(&dir, &["run", "p.pipe", "-q"], LIMIT);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr_of(&out).contains("in.jsonl:5: not UTF-8"),
        "{}",
        stderr_of(&out)
    );
}

#[test]
fn control_and_bidi_characters_are_escaped_in_diagnostics() {
    let dir = scratch("escape");
    std::fs::write(
        dir.join("p.pipe"),
        "stage s = advantage.proxmo { tau = \"\u{202e}evil\u{1b}[31m\" }\npipeline p { s }\n",
    )
    .unwrap();
    let out = proxmo_in(&dir, &["check", "p.pipe"], LIMIT);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr_of(&out);
    assert!(
        !err.contains('\u{202e}') && !err.contains('\u{1b}'),
        "{err:?}"
    );
    assert!(
        err.contains("\\u{202e}") && err.contains("\\u{1b}"),
        "{err}"
    );
}

#[test]
fn report_refuses_an_evaluation_without_numbers() {
    let dir = scratch("report-nan");
    std::fs::write(
        dir.join("m.1.metrics.jsonl"),
        "{\"iteration\":1,\"eval_success_rate\":null,\"eval_score\":0.5}\n",
    )
    .unwrap();
    let out = proxmo_in(&dir, &["report", "m.1.metrics.jsonl"], LIMIT);
    assert_eq!(out.status.code(), Some(2), "{}", stderr_of(&out));
    assert!(!text(&out.stdout).contains("NaN"));
    assert!(
        stderr_of(&out).contains("eval_success_rate"),
        "{}",
        stderr_of(&out)
    );
}

#[test]
fn importing_a_non_pipe_file_never_echoes_its_content() {
    let dir = scratch("shadow");
    std::fs::write(
        dir.join("secret.txt"),
        "root:TOPSECRETHASH:19000:0:99999:7:::\n",
    )
    .unwrap();
    std::fs::write(dir.join("p.pipe"), "import \"secret.txt\"\n").unwrap();
    let out = proxmo_in(&dir, &["check", "p.pipe"], LIMIT);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        !stderr_of(&out).contains("TOPSECRET"),
        "{}",
        stderr_of(&out)
    );
    assert!(
        stderr_of(&out).contains("not a `.pipe` file"),
        "{}",
        stderr_of(&out)
    );
    let out = proxmo_in(&dir, &["check", "p.pipe"], LIMIT);
    assert!(!text(&out.stdout).contains("TOPSECRET"));
}

#[test]
fn the_python_adapter_passes_temporary_paths_with_hash_and_spaces() {
    let dir = scratch("python-tmp").join("tmp #1 x");
    std::fs::create_dir_all(&dir).unwrap();
    let script = format!(
        "import runpy; helper = runpy.run_path({:?})\n\
         rows = [dict(group='g', traj=t, step=0, obs='x', reward=r) for t, r in (('a', 1), ('b', 0))]\n\
         print(len(helper['proxmo_advantages'](rows)))\n",
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/python/examples/proxmo_advantages.py"
        )
    );
    let out = match std::process::Command::new("python3")
        .args(["-c", &script])
        .env("TMPDIR", &dir)
        .env("PROXMO", BIN)
        .output()
    {
        Ok(out) => out,
        Err(e) => {
            println!("skipped: no python3 ({e})");
            return;
        }
    };
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert_eq!(text(&out.stdout).trim(), "2");
}

#[test]
fn a_pipe_file_over_the_size_limit_is_refused_before_parsing() {
    let dir = scratch("huge-pipe");
    let one = "stage s = advantage.grpo {}\n";
    std::fs::write(dir.join("p.pipe"), one.repeat((3 << 20) / one.len())).unwrap();
    let out = proxmo_in(&dir, &["check", "p.pipe"], LIMIT);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr_of(&out);
    assert!(err.contains("larger than the limit of 2 MiB"), "{err}");
}
