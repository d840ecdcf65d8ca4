//! Helpers for the hostile-input tests: run the binary under a time limit, check it neither
//! panicked nor aborted, and look for temporary files left behind.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_proxmo");

/// A fresh empty directory for one test.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("proxmo-hostile-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Waits for `child` at most `limit`; a child still running then is killed and the test fails.
pub fn wait_limited(mut child: Child, limit: Duration, what: &str) -> Output {
    let t0 = Instant::now();
    loop {
        match child.try_wait().unwrap() {
            Some(_) => return child.wait_with_output().unwrap(),
            None if t0.elapsed() > limit => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("{what}: still running after {limit:?} (a hang)");
            }
            None => std::thread::sleep(Duration::from_millis(5)),
        }
    }
}

/// Runs proxmo with `args` in `dir`, stdin closed, at most `limit`.
pub fn proxmo_in(dir: &Path, args: &[&str], limit: Duration) -> Output {
    let child = Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the proxmo binary runs");
    wait_limited(child, limit, &format!("proxmo {args:?}"))
}

/// The promise: exit 0, 1 or 2, never a panic (101), an abort (134) or a signal.
pub fn assert_no_crash(out: &Output, what: &str) {
    let code = out.status.code();
    assert!(
        matches!(code, Some(0..=2)),
        "{what}: exit {:?} (status {}), stderr:\n{}",
        code,
        out.status,
        text(&out.stderr).chars().take(2000).collect::<String>()
    );
}

/// Names of temporary output files (`.NAME.tmp-...`) in `dir`.
pub fn temp_files(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.') && n.contains(".tmp-"))
        .collect()
}

/// A small valid rows file: two groups of two one-step trajectories.
pub const ROWS: &str = "\
{\"group\":\"a\",\"traj\":\"a1\",\"step\":0,\"obs\":\"x\",\"reward\":1}
{\"group\":\"a\",\"traj\":\"a2\",\"step\":0,\"obs\":\"x\",\"reward\":0}
{\"group\":\"b\",\"traj\":\"b1\",\"step\":0,\"obs\":\"y\",\"reward\":0}
{\"group\":\"b\",\"traj\":\"b2\",\"step\":0,\"obs\":\"y\",\"reward\":1}
";

/// `source -> advantage.KIND -> sink` with the given paths (written as `.pipe` strings).
pub fn advantage_pipe(kind: &str, source: &str, sink: &str) -> String {
    format!(
        "stage source = source.jsonl {{ path = {source:?} }}\n\
         stage credit = advantage.{kind} {{ }}\n\
         stage sink = sink.jsonl {{ path = {sink:?} }}\n\
         pipeline p {{ source -> credit -> sink }}\n"
    )
}

/// Makes a FIFO at `path` (no privileges needed).
pub fn mkfifo(path: &Path) {
    let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    let rc = unsafe { libc::mkfifo(c.as_ptr(), 0o644) };
    assert_eq!(rc, 0, "mkfifo {}", path.display());
}

/// Makes a character device like /dev/null at `path` when allowed (root); says why not.
pub fn mknod_null(path: &Path) -> Result<(), String> {
    let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path; makedev(1, 3) is /dev/null's number.
    let rc = unsafe { libc::mknod(c.as_ptr(), libc::S_IFCHR | 0o666, libc::makedev(1, 3)) };
    if rc == 0 {
        Ok(())
    } else {
        Err(format!(
            "cannot make a device node ({}): needs root",
            std::io::Error::last_os_error()
        ))
    }
}

pub fn is_fifo(path: &Path) -> bool {
    use std::os::unix::fs::FileTypeExt;
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_fifo())
}

pub fn is_char_device(path: &Path) -> bool {
    use std::os::unix::fs::FileTypeExt;
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_char_device())
}

pub fn is_symlink(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
}
