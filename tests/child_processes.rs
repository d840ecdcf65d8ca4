//! Hostile and broken child processes, through the release binary: `policy.command` model
//! processes and `env.bridge` adapters that stop reading, flood their pipes, lie about their
//! tasks, speak another protocol or outlive proxmo. Each child is a small Python script
//! written by the test. Needs `python3` (skips, printing why, without it, unless
//! `PROXMO_REQUIRE_BRIDGE_TESTS=1`).

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_proxmo");

fn have_python() -> bool {
    let ok = Command::new("python3")
        .arg("-c")
        .arg("pass")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !ok {
        assert_ne!(
            std::env::var("PROXMO_REQUIRE_BRIDGE_TESTS").as_deref(),
            Ok("1"),
            "PROXMO_REQUIRE_BRIDGE_TESTS=1 but python3 is not available"
        );
        println!("skipped: python3 is not available");
    }
    ok
}

/// A scratch directory, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(tag: &str) -> Scratch {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let dir =
            std::env::temp_dir().join(format!("proxmo-child-{tag}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    /// Writes a Python script and returns the command that runs it.
    fn script(&self, name: &str, body: &str) -> String {
        let path = self.path(name);
        std::fs::write(&path, body).unwrap();
        format!("python3 {}", path.display())
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, text).unwrap();
        path
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// How a run of the binary ended.
struct Ran {
    code: Option<i32>,
    stderr: String,
    seconds: f64,
    /// Peak resident memory of proxmo and the children it reaped.
    max_rss_mib: f64,
}

impl Ran {
    /// Asserts the exit code and that stderr holds every needle.
    fn expect(&self, code: Option<i32>, needles: &[&str]) {
        assert_eq!(self.code, code, "{}", self.stderr);
        self.expect_text(needles);
    }

    fn expect_text(&self, needles: &[&str]) {
        for needle in needles {
            assert!(
                self.stderr.contains(needle),
                "{needle:?} not in: {}",
                self.stderr
            );
        }
    }

    fn expect_rss_below(&self, mib: f64) {
        println!(
            "peak RSS {:.0} MiB in {:.1} s",
            self.max_rss_mib, self.seconds
        );
        assert!(
            self.max_rss_mib < mib,
            "peak RSS {:.0} MiB",
            self.max_rss_mib
        );
    }
}

/// `proxmo run PIPE` in `dir`.
fn run(dir: &Scratch, pipe: &Path) -> Ran {
    proxmo(
        dir,
        &["run", pipe.to_str().unwrap()],
        Duration::from_secs(240),
    )
}

/// Runs the binary in `dir`, killing it after `limit` (a hang fails the test, not CI).
// The child is reaped by wait4 (which also reports its peak memory), not by `Child::wait`.
#[allow(clippy::zombie_processes)]
fn proxmo(dir: &Scratch, args: &[&str], limit: Duration) -> Ran {
    let err_path = dir.path("proxmo.stderr");
    let child = Command::new(BIN)
        .args(args)
        .current_dir(&dir.0)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(File::create(&err_path).unwrap())
        .spawn()
        .expect("the proxmo binary starts");
    let pid = child.id() as libc::pid_t;
    let done = Arc::new(AtomicBool::new(false));
    let watchdog = {
        let done = Arc::clone(&done);
        std::thread::spawn(move || {
            let t = Instant::now();
            while !done.load(Ordering::SeqCst) {
                if t.elapsed() > limit {
                    // SAFETY: the child is not reaped yet (done is false), so pid is ours.
                    unsafe { libc::kill(pid, libc::SIGKILL) };
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        })
    };
    let t = Instant::now();
    let mut status = 0;
    // SAFETY: zeroed rusage is a valid out-parameter; wait4 reaps our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    done.store(true, Ordering::SeqCst);
    watchdog.join().unwrap();
    assert_eq!(r, pid, "wait4 failed");
    let code = libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status));
    Ran {
        code,
        stderr: std::fs::read_to_string(&err_path).unwrap_or_default(),
        seconds: t.elapsed().as_secs_f64(),
        max_rss_mib: usage.ru_maxrss as f64 / 1024.0,
    }
}

/// A pipeline playing the built-in ALFWorld with a `policy.command` process.
fn policy_pipe(
    dir: &Scratch,
    command: &str,
    timeout_s: &str,
    tasks: usize,
    group: usize,
) -> PathBuf {
    dir.write(
        "p.pipe",
        &format!(
            "stage env = env.alfworld {{ group_size = {group}, max_steps = 3 }}\n\
             stage rollout = rollout.group {{ tasks = {tasks}, policy = policy.command {{ command = \"{command}\", timeout_s = {timeout_s} }} }}\n\
             stage credit = advantage.proxmo {{ }}\n\
             stage rows = sink.jsonl {{ path = \"rows.jsonl\" }}\n\
             pipeline p {{ env -> rollout -> credit -> rows }}\n"
        ),
    )
}

/// A pipeline playing an `env.bridge` adapter with the random policy.
fn bridge_pipe(dir: &Scratch, command: &str, extra: &str) -> PathBuf {
    dir.write(
        "b.pipe",
        &format!(
            "stage env = env.bridge {{ command = \"{command}\", kind = \"mini\", group_size = 2, max_steps = 2{extra} }}\n\
             stage rollout = rollout.group {{ tasks = 4 }}\n\
             stage credit = advantage.proxmo {{ }}\n\
             stage rows = sink.jsonl {{ path = \"rows.jsonl\" }}\n\
             pipeline p {{ env -> rollout -> credit -> rows }}\n"
        ),
    )
}

/// A policy process that answers `hello` (after `before_hello`), then runs `after_hello`.
fn policy_script(before_hello: &str, hello: &str, after_hello: &str) -> String {
    format!(
        "import json, os, sys, time\n\
         {before_hello}\n\
         r = json.loads(sys.stdin.readline())\n\
         print(json.dumps({{'id': r['id'], 'ok': True, {hello}}}), flush=True)\n\
         {after_hello}\n"
    )
}

/// A bridge adapter of one-step tasks: `N_TASKS`, `DONE_ON_RESET` and `PROTOCOL` are filled
/// in; `ON_START` runs first, `ON_RESET` before each reset is answered.
const MINI_ADAPTER: &str = "import json, os, sys, time
ON_START
for line in sys.stdin:
    r = json.loads(line)
    op = r['op']
    if op == 'hello':
        out = {'protocol': PROTOCOL, 'kinds': ['mini']}
    elif op == 'create':
        out = {'env': r['env'], 'kind': 'mini', 'n_tasks': N_TASKS}
    elif op == 'reset':
        ON_RESET
        out = dict(observation='task %s' % r['task'], reward=0, done=DONE_ON_RESET, won=False,
                   score=0, admissible=['go'], task=str(r['task']))
    elif op == 'step':
        out = dict(observation='end', reward=1, done=True, won=True, score=1, admissible=['go'])
    else:
        out = {}
    out.update(id=r['id'], ok=True)
    print(json.dumps(out), flush=True)
";

fn mini_adapter(dir: &Scratch, n_tasks: &str, done_on_reset: bool, protocol: u32) -> String {
    mini_adapter_with(dir, n_tasks, done_on_reset, protocol, "pass", "pass")
}

fn mini_adapter_with(
    dir: &Scratch,
    n_tasks: &str,
    done_on_reset: bool,
    protocol: u32,
    on_start: &str,
    on_reset: &str,
) -> String {
    let body = MINI_ADAPTER
        .replace("N_TASKS", n_tasks)
        .replace(
            "DONE_ON_RESET",
            if done_on_reset { "True" } else { "False" },
        )
        .replace("PROTOCOL", &protocol.to_string())
        .replace("ON_START", on_start)
        .replace("ON_RESET", on_reset);
    dir.script("adapter.py", &body)
}

fn rows(dir: &Scratch) -> Vec<serde_json::Value> {
    std::fs::read_to_string(dir.path("rows.jsonl"))
        .map(|t| {
            t.lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn a_policy_process_that_stops_reading_fails_within_its_timeout() {
    if !have_python() {
        return;
    }
    let dir = Scratch::new("deaf");
    let command = dir.script(
        "deaf.py",
        &policy_script("", "'protocol': 1", "time.sleep(600)"),
    );
    let pipe = policy_pipe(&dir, &command, "5", 100, 8);
    let ran = run(&dir, &pipe);
    ran.expect(Some(1), &[]);
    assert!(
        ran.seconds >= 4.5 && ran.seconds < 20.0,
        "took {:.1} s with timeout_s = 5: {}",
        ran.seconds,
        ran.stderr
    );
    ran.expect_text(&[
        "could not send the request within 5 s",
        "not reading its stdin",
    ]);
}

#[test]
fn a_stopped_policy_process_fails_the_run_long_before_its_timeout() {
    if !have_python() {
        return;
    }
    let dir = Scratch::new("stopped");
    let command = dir.script(
        "stopped.py",
        &policy_script(
            "import signal",
            "'protocol': 1",
            "os.kill(os.getpid(), signal.SIGSTOP)",
        ),
    );
    let pipe = policy_pipe(&dir, &command, "3600", 2, 2);
    let ran = run(&dir, &pipe);
    ran.expect(Some(1), &[]);
    // Not the hour of timeout_s: the wait saw the process stopped.
    assert!(
        ran.seconds < 300.0,
        "took {:.1} s: {}",
        ran.seconds,
        ran.stderr
    );
    ran.expect_text(&["has been stopped", "without answering"]);
}

#[test]
fn huge_timeouts_are_refused_at_check_time_with_a_span() {
    let dir = Scratch::new("huge-timeout");
    for value in ["1e19", "1e300"] {
        let policy = policy_pipe(&dir, "python3 never-run.py", value, 2, 2);
        let policy = policy.to_str().unwrap().to_string();
        let bridge = |param: &str| {
            let path = dir.path(&format!("bridge-{param}.pipe"));
            let text = bridge_pipe(
                &dir,
                "python3 never-run.py",
                &format!(", {param} = {value}"),
            );
            std::fs::rename(text, &path).unwrap();
            path.to_str().unwrap().to_string()
        };
        for file in [policy, bridge("timeout_s"), bridge("setup_timeout_s")] {
            for command in ["check", "run"] {
                let ran = proxmo(&dir, &[command, &file], Duration::from_secs(30));
                ran.expect(Some(2), &[&format!("{file}:"), "86400", "^"]);
            }
        }
    }
}

#[test]
fn an_adapter_claiming_more_tasks_than_the_cap_is_refused() {
    if !have_python() {
        return;
    }
    let dir = Scratch::new("many-tasks");
    let command = mini_adapter(&dir, "18446744073709551615", false, 1);
    let pipe = bridge_pipe(&dir, &command, "");
    let ran = run(&dir, &pipe);
    ran.expect(
        Some(1),
        &["n_tasks = 18446744073709551615", "1..=1000000000"],
    );
}

#[test]
fn a_billion_tasks_are_sampled_without_listing_them() {
    if !have_python() {
        return;
    }
    let dir = Scratch::new("billion");
    let command = mini_adapter(&dir, "1000000000", false, 1);
    let pipe = bridge_pipe(&dir, &command, "");
    let ran = run(&dir, &pipe);
    ran.expect(Some(0), &[]);
    // Listing a billion indices would take 8 GB.
    ran.expect_rss_below(500.0);
    let rows = rows(&dir);
    assert_eq!(rows.len(), 4 * 2, "4 tasks x 2 rollouts x 1 step");
    let mut groups: Vec<&str> = rows.iter().map(|r| r["group"].as_str().unwrap()).collect();
    groups.dedup();
    assert_eq!(groups.len(), 4, "{groups:?}");
}

#[test]
fn an_adapter_with_no_task_or_a_finished_reset_is_an_error() {
    if !have_python() {
        return;
    }
    let dir = Scratch::new("empty");
    let command = mini_adapter(&dir, "0", false, 1);
    let pipe = bridge_pipe(&dir, &command, "");
    let ran = run(&dir, &pipe);
    ran.expect(Some(1), &["n_tasks = 0"]);
    assert!(!dir.path("rows.jsonl").exists());

    let command = mini_adapter(&dir, "5", true, 1);
    let pipe = bridge_pipe(&dir, &command, "");
    let ran = run(&dir, &pipe);
    ran.expect(Some(1), &["done at reset"]);
    assert!(!dir.path("rows.jsonl").exists());
}

#[test]
fn a_line_longer_than_the_cap_is_an_error_naming_the_cap() {
    if !have_python() {
        return;
    }
    let dir = Scratch::new("long-line");
    // 300 MB without a newline, written in 1 MB pieces so Python itself stays small.
    let flood = "sys.stdin.readline()\n\
                 piece = b'x' * (1 << 20)\n\
                 for _ in range(300):\n\
                 \x20   sys.stdout.buffer.write(piece)\n\
                 sys.stdout.flush()\n\
                 time.sleep(60)";
    let command = dir.script("long.py", &policy_script("", "'protocol': 1", flood));
    let pipe = policy_pipe(&dir, &command, "60", 2, 2);
    let ran = run(&dir, &pipe);
    ran.expect(Some(1), &["longer than the cap of 64 MiB"]);
    ran.expect_rss_below(400.0);
}

#[test]
fn stderr_full_of_progress_bars_stays_small_and_is_quoted() {
    if !have_python() {
        return;
    }
    let dir = Scratch::new("progress");
    // 200 MB of carriage-return progress output and no newline, then a crash.
    let progress = "for block in range(200):\n\
                    \x20   sys.stderr.write(''.join('\\rloading %9d/2000000 ' % (block * 10000 + i) + '#' * 75 for i in range(10000)))\n\
                    sys.stderr.flush()";
    let command = dir.script(
        "progress.py",
        &policy_script(progress, "'protocol': 1", "sys.exit(3)"),
    );
    let pipe = policy_pipe(&dir, &command, "120", 2, 2);
    let ran = run(&dir, &pipe);
    ran.expect(Some(1), &["loading   1999999/2000000", "exit status: 3"]);
    ran.expect_rss_below(400.0);
}

#[test]
fn messages_name_the_policy_process_and_read_well() {
    if !have_python() {
        return;
    }
    let dir = Scratch::new("messages");
    let protocol_2 = dir.script(
        "p2.py",
        &policy_script("", "'protocol': 2", "time.sleep(60)"),
    );
    let ran = run(&dir, &policy_pipe(&dir, &protocol_2, "30", 2, 2));
    ran.expect(
        Some(1),
        &["the policy process speaks protocol 2, proxmo speaks 1"],
    );
    assert!(!ran.stderr.contains("Some("), "{}", ran.stderr);

    let slow = dir.script(
        "slow.py",
        &policy_script("", "'protocol': 1", "time.sleep(60)"),
    );
    let ran = run(&dir, &policy_pipe(&dir, &slow, "0.05", 2, 2));
    ran.expect(Some(1), &["no response within 50 ms", "policy process"]);
    assert!(!ran.stderr.contains("adapter"), "{}", ran.stderr);

    let adapter = mini_adapter(&dir, "5", false, 2);
    let ran = run(&dir, &bridge_pipe(&dir, &adapter, ""));
    ran.expect(
        Some(1),
        &["the bridge adapter speaks protocol 2, proxmo speaks 1"],
    );
}

#[test]
fn a_response_that_is_not_utf8_fails_the_run() {
    if !have_python() {
        return;
    }
    let dir = Scratch::new("utf8");
    let answer = "r = json.loads(sys.stdin.readline())\n\
                  sys.stdout.buffer.write(b'{\"id\": %d, \"ok\": true, \"responses\": [\"\\xff\\xfe\"]}\\n' % r['id'])\n\
                  sys.stdout.flush()\n\
                  time.sleep(60)";
    let command = dir.script("bytes.py", &policy_script("", "'protocol': 1", answer));
    let pipe = policy_pipe(&dir, &command, "30", 2, 2);
    let ran = run(&dir, &pipe);
    ran.expect(Some(1), &["not UTF-8"]);
    assert!(!dir.path("rows.jsonl").exists());
}

/// True once `pid` has ended (gone, or a zombie waiting for a reaper that is not proxmo).
fn ended(pid: &str) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit(')')
            .next()
            .is_some_and(|rest| rest.trim_start().starts_with('Z')),
    }
}

/// Starts `pipe`, waits for the child to write its pid to `pid_file`, SIGKILLs proxmo and
/// checks the child ends too.
fn assert_child_dies_with_proxmo(dir: &Scratch, pipe: &Path, pid_file: &Path) {
    let mut proxmo = Command::new(BIN)
        .args(["run", pipe.to_str().unwrap()])
        .current_dir(&dir.0)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let t = Instant::now();
    let pid = loop {
        if let Ok(pid) = std::fs::read_to_string(pid_file) {
            if !pid.is_empty() {
                break pid;
            }
        }
        assert!(
            t.elapsed() < Duration::from_secs(30),
            "the child never started"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    std::thread::sleep(Duration::from_millis(300));
    assert!(!ended(&pid), "the child {pid} should be running");
    proxmo.kill().unwrap(); // SIGKILL: no destructor of proxmo runs
    proxmo.wait().unwrap();
    let t = Instant::now();
    while !ended(&pid) {
        assert!(
            t.elapsed() < Duration::from_secs(5),
            "child {pid} still runs 5 s after proxmo was killed"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn children_die_when_proxmo_is_killed() {
    if !have_python() || !cfg!(target_os = "linux") {
        return;
    }
    let dir = Scratch::new("orphan");
    let pid_file = dir.path("policy.pid");
    let write_pid = format!(
        "open('{}', 'w').write(str(os.getpid()))",
        pid_file.display()
    );
    let command = dir.script(
        "sleepy.py",
        &policy_script(
            "",
            "'protocol': 1",
            &format!("{write_pid}\ntime.sleep(600)"),
        ),
    );
    assert_child_dies_with_proxmo(&dir, &policy_pipe(&dir, &command, "600", 2, 2), &pid_file);

    let pid_file = dir.path("adapter.pid");
    let write_pid = format!(
        "open('{}', 'w').write(str(os.getpid()))",
        pid_file.display()
    );
    let command = mini_adapter_with(&dir, "5", false, 1, &write_pid, "time.sleep(600)");
    assert_child_dies_with_proxmo(&dir, &bridge_pipe(&dir, &command, ""), &pid_file);
}

#[test]
fn check_and_graph_never_run_the_commands() {
    let dir = Scratch::new("trust");
    let marker = |name: &str| dir.path(name);
    // The env stage comes from an imported file, as shared stages often do.
    dir.write(
        "lib.pipe",
        &format!(
            "stage env = env.bridge {{ command = \"touch {}\", kind = \"mini\" }}\n",
            marker("bridge-ran").display()
        ),
    );
    let pipe = dir.write(
        "main.pipe",
        &format!(
            "import \"lib.pipe\"\n\
             stage rollout = rollout.group {{ policy = policy.command {{ command = \"touch {}\" }} }}\n\
             stage credit = advantage.proxmo {{ }}\n\
             stage rows = sink.jsonl {{ path = \"rows.jsonl\" }}\n\
             pipeline p {{ env -> rollout -> credit -> rows }}\n",
            marker("policy-ran").display()
        ),
    );
    let pipe = pipe.to_str().unwrap();
    for args in [
        vec!["check", pipe],
        vec!["check", pipe, "--resolved"],
        vec!["graph", pipe],
        vec!["graph", pipe, "--format", "dot"],
    ] {
        let ran = proxmo(&dir, &args, Duration::from_secs(30));
        assert_eq!(ran.code, Some(0), "{args:?}: {}", ran.stderr);
        assert!(
            !marker("bridge-ran").exists(),
            "{args:?} ran the bridge command"
        );
        assert!(
            !marker("policy-ran").exists(),
            "{args:?} ran the policy command"
        );
    }
    // `run` does execute them (touch then fails the handshake): the markers would show it.
    let ran = proxmo(&dir, &["run", pipe], Duration::from_secs(30));
    ran.expect(Some(1), &[]);
    assert!(marker("bridge-ran").exists());
}
