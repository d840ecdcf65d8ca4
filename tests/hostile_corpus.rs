//! A generated corpus of hostile inputs (issue 9, acceptance): more than 300 `.pipe` files,
//! `--set` values and JSON-lines files covering special files, huge lines, overflowing
//! numbers, byte-order marks, bad encodings, hidden characters and deep nesting. For every
//! one: no panic (101) or abort (134), no hang past the time limit, no temporary file left,
//! no special file replaced.

mod common;
mod hostile_support;

use hostile_support::*;
use proxmo::rng::Rng;
use std::path::Path;
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(20);

/// Bytes that break parsers and terminals.
const HOSTILE: &[char] = &[
    '\u{feff}',
    '\u{202e}',
    '\u{2066}',
    '\0',
    '\x1b',
    '\r',
    '\n',
    '#',
    '"',
    '\\',
    '{',
    '}',
    '[',
    ']',
    '=',
    ',',
    ';',
    '.',
    '-',
    'e',
    '9',
    'é',
    '\u{10ffff}',
    ' ',
];

/// Numbers at and past every limit.
const NUMBERS: &[&str] = &[
    "1e309",
    "-1e309",
    "1e-400",
    "99999999999999999999",
    "-9223372036854775809",
    "9223372036854775807",
    "1.7976931348623157e308",
    "0e0",
    "-0",
    "1e",
    "1.",
    ".5",
    "NaN",
    "inf",
    "0x10",
    "1_000",
];

fn shipped(name: &str) -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("pipelines")
            .join(name),
    )
    .unwrap()
}

/// Every hostile `.pipe` text, by name.
fn pipe_corpus(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = Vec::new();
    let mut rng = Rng::new(9);
    let bases = [
        shipped("advantage.pipe"),
        shipped("alfworld.pipe"),
        shipped("ablations.pipe"),
    ];
    for i in 0..120 {
        let base = &bases[i % bases.len()];
        out.push((
            format!("mutated{i}"),
            common::mutate(base, HOSTILE, 12, &mut rng).into_bytes(),
        ));
    }
    for (i, n) in NUMBERS.iter().enumerate() {
        for param in ["tau", "omega", "max_features"] {
            out.push((
                format!("number{i}-{param}"),
                format!("stage s = advantage.proxmo {{ {param} = {n} }}\npipeline p {{ s }}\n")
                    .into_bytes(),
            ));
        }
    }
    mkfifo(&dir.join("fifo.pipe"));
    std::fs::create_dir_all(dir.join("dir.pipe")).unwrap();
    std::os::unix::fs::symlink("loop.pipe", dir.join("loop.pipe")).unwrap();
    std::fs::write(dir.join("secret.txt"), "TOPSECRET\n").unwrap();
    for target in [
        "/dev/zero",
        "/dev/null",
        "/dev/full",
        "/dev/urandom",
        "fifo.pipe",
        "dir.pipe",
        "loop.pipe",
        "missing.pipe",
        "secret.txt",
        "/proc/self/status",
        "",
        "/",
    ] {
        out.push((
            format!("import-{target}"),
            format!("import {target:?}\n").into_bytes(),
        ));
    }
    let long = "x".repeat(1 << 20);
    out.push((
        "long-string".into(),
        format!("stage s = advantage.proxmo {{ tau = \"{long}\" }}\n").into_bytes(),
    ));
    out.push((
        "long-comment".into(),
        format!("# {long}\npipeline p {{ }}\n").into_bytes(),
    ));
    out.push((
        "long-name".into(),
        format!("stage {long} = advantage.proxmo {{ }}\n").into_bytes(),
    ));
    out.push((
        "deep-list".into(),
        format!(
            "stage s = advantage.proxmo {{ tau = {}{} }}\n",
            "[".repeat(50_000),
            "]".repeat(50_000)
        )
        .into_bytes(),
    ));
    out.push((
        "deep-stage".into(),
        format!(
            "stage s = rollout.group {{ policy = {} }}\n",
            "policy.linear { x = ".repeat(5_000)
        )
        .into_bytes(),
    ));
    out.push(("bom".into(), format!("\u{feff}{}", bases[0]).into_bytes()));
    out.push((
        "utf16".into(),
        bases[0].encode_utf16().flat_map(u16::to_le_bytes).collect(),
    ));
    out.push((
        "latin1".into(),
        b"stage s = advantage.proxmo { tau = \"caf\xe9\" }\n".to_vec(),
    ));
    out.push(("nul".into(), b"stage s\0 = advantage.proxmo { }\n".to_vec()));
    out.push(("crlf".into(), bases[0].replace('\n', "\r\n").into_bytes()));
    out.push(("cr-only".into(), bases[0].replace('\n', "\r").into_bytes()));
    out.push((
        "repeated".into(),
        format!(
            "stage s = advantage.proxmo {{{} }}\n",
            " tau = 0.1".repeat(5_000)
        )
        .into_bytes(),
    ));
    out.push(("empty".into(), Vec::new()));
    out
}

/// `--set` values that once broke parsing or were read wrongly.
fn set_corpus() -> Vec<String> {
    let mut sets: Vec<String> = NUMBERS
        .iter()
        .flat_map(|n| {
            [
                format!("credit.tau={n}"),
                format!("seed={n}"),
                format!("credit.max_features={n}"),
            ]
        })
        .collect();
    for v in [
        "out#1.jsonl",
        " spaced ",
        "\u{202e}x",
        "[[[[",
        "policy.linear {",
        "\"unterminated",
        "a=b=c",
        "",
    ] {
        sets.push(format!("sink.path={v}"));
        sets.push(format!("credit.profile={v}"));
    }
    sets.extend(["=1", "credit.=1", ".tau=1", "credit.tau", "credit..tau=1"].map(String::from));
    sets
}

/// Hostile JSON-lines files: (name, bytes).
fn jsonl_corpus() -> Vec<(String, Vec<u8>)> {
    let row = |reward: &str, obs: &str| {
        format!("{{\"group\":\"g\",\"traj\":\"t{}\",\"step\":0,\"obs\":\"{obs}\",\"reward\":{reward}}}\n", reward.len())
    };
    let mut out: Vec<(String, Vec<u8>)> = Vec::new();
    for (i, n) in NUMBERS
        .iter()
        .chain(&["1.7e308", "-1.7e308", "1e200", "5e-324"])
        .enumerate()
    {
        out.push((
            format!("reward{i}"),
            format!("{ROWS}{}{}", row(n, "x"), row("1", "y")).into_bytes(),
        ));
        out.push((format!("step{i}"), format!("{ROWS}{{\"group\":\"g\",\"traj\":\"s\",\"step\":{n},\"obs\":\"x\",\"reward\":1}}\n").into_bytes()));
    }
    out.push(("bom".into(), format!("\u{feff}{ROWS}").into_bytes()));
    out.push((
        "latin1".into(),
        [
            ROWS.as_bytes(),
            b"{\"group\":\"g\",\"traj\":\"l\",\"step\":0,\"obs\":\"caf\xe9\",\"reward\":1}\n",
        ]
        .concat(),
    ));
    out.push((
        "utf16".into(),
        ROWS.encode_utf16().flat_map(u16::to_le_bytes).collect(),
    ));
    out.push(("nul".into(), format!("{ROWS}\0\n").into_bytes()));
    out.push(("crlf".into(), ROWS.replace('\n', "\r\n").into_bytes()));
    out.push(("cr-only".into(), ROWS.replace('\n', "\r").into_bytes()));
    out.push((
        "huge-obs".into(),
        format!("{ROWS}{}", row("1", &"o".repeat(4 << 20))).into_bytes(),
    ));
    out.push(("no-newline-huge".into(), "x".repeat(4 << 20).into_bytes()));
    out.push((
        "deep".into(),
        format!("{}{}\n", "[".repeat(100_000), "]".repeat(100_000)).into_bytes(),
    ));
    out.push(("deep-field".into(), format!("{{\"group\":\"g\",\"traj\":\"d\",\"step\":0,\"obs\":\"x\",\"reward\":1,\"extra\":{}{}}}\n", "[".repeat(10_000), "]".repeat(10_000)).into_bytes()));
    out.push((
        "hidden".into(),
        format!("{ROWS}{}", row("1", "\\u202e\\u0000\u{202e}")).into_bytes(),
    ));
    out.push((
        "truncated".into(),
        ROWS.as_bytes()[..ROWS.len() - 10].to_vec(),
    ));
    out.push(("empty".into(), Vec::new()));
    out.push(("blank".into(), b"\n\n  \n".to_vec()));
    out.push(("dup-key".into(), format!("{ROWS}{{\"group\":\"g\",\"traj\":\"k\",\"step\":0,\"step\":1,\"obs\":\"x\",\"reward\":1}}\n").into_bytes()));
    let mut rng = Rng::new(11);
    for i in 0..40 {
        out.push((
            format!("mutated{i}"),
            common::mutate(ROWS, HOSTILE, 8, &mut rng).into_bytes(),
        ));
    }
    out
}

fn check_one(dir: &Path, args: &[&str], what: &str) {
    let out = proxmo_in(dir, args, LIMIT);
    assert_no_crash(&out, what);
    assert!(
        temp_files(dir).is_empty(),
        "{what}: left {:?}",
        temp_files(dir)
    );
}

#[test]
fn no_hostile_input_crashes_hangs_or_leaves_files() {
    let dir = scratch("corpus");
    let mut count = 0;
    for (name, bytes) in pipe_corpus(&dir) {
        let file = format!("case-{count}.pipe");
        std::fs::write(dir.join(&file), &bytes).unwrap();
        check_one(&dir, &["check", &file], &format!("pipe {name}"));
        count += 1;
    }
    assert!(is_fifo(&dir.join("fifo.pipe")));
    for set in set_corpus() {
        let pipe = Path::new(env!("CARGO_MANIFEST_DIR")).join("pipelines/advantage.pipe");
        check_one(
            &dir,
            &["check", pipe.to_str().unwrap(), "--set", &set],
            &format!("--set {set:?}"),
        );
        count += 1;
    }

    // Rows files through the advantage pipeline, into a regular file and special files.
    mkfifo(&dir.join("fifo.jsonl"));
    std::os::unix::fs::symlink("victim", dir.join("link.jsonl")).unwrap();
    std::fs::write(dir.join("victim"), "precious").unwrap();
    let device = mknod_null(&dir.join("dev.jsonl"));
    if let Err(why) = &device {
        println!("device-node outputs skipped: {why}");
    }
    let sinks = ["out.jsonl", "fifo.jsonl", "link.jsonl", "dev.jsonl"];
    for (i, (name, bytes)) in jsonl_corpus().into_iter().enumerate() {
        std::fs::write(dir.join("in.jsonl"), &bytes).unwrap();
        let sink = sinks[i % sinks.len()];
        if sink == "dev.jsonl" && device.is_err() {
            continue;
        }
        let kind = ["grpo", "rloo", "gigpo", "proxmo"][i % 4];
        std::fs::write(dir.join("p.pipe"), advantage_pipe(kind, "in.jsonl", sink)).unwrap();
        check_one(
            &dir,
            &["run", "p.pipe", "-q"],
            &format!("jsonl {name} -> {sink}"),
        );
        count += 1;
    }
    assert!(
        is_fifo(&dir.join("fifo.jsonl")),
        "the FIFO output was replaced"
    );
    assert!(
        is_symlink(&dir.join("link.jsonl")),
        "the symlink output was replaced"
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("victim")).unwrap(),
        "precious"
    );
    if device.is_ok() {
        assert!(
            is_char_device(&dir.join("dev.jsonl")),
            "the device output was replaced"
        );
    }
    assert!(count >= 300, "only {count} inputs");
    println!("{count} hostile inputs checked");
}
