//! The temporary files of outputs being written, so none outlives proxmo (docs/outputs.md):
//! - dropped before its rename, a registered file is removed;
//! - on SIGINT or SIGTERM every live one is removed, then the signal takes its default
//!   course (the process ends as killed by it); a signal the host program already handles
//!   (an embedding Python interpreter's SIGINT) is left to it;
//! - after SIGKILL nothing can run, so the next write of the same output removes the files
//!   whose name carries the pid of a process that is gone ([`remove_stale`]).

use std::collections::HashMap;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI32, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock};

static LIVE: Mutex<Option<HashMap<u64, PathBuf>>> = Mutex::new(None);
static NEXT_ID: AtomicU64 = AtomicU64::new(0);
/// The write end of the pipe the signal handler wakes the cleaner through.
static WAKE_FD: AtomicI32 = AtomicI32::new(-1);

fn live() -> MutexGuard<'static, Option<HashMap<u64, PathBuf>>> {
    LIVE.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A temporary file that is removed when dropped, unless it was renamed into place.
#[derive(Debug)]
pub struct Registered {
    id: u64,
    path: PathBuf,
    renamed: bool,
}

impl Registered {
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The file now lives under its target's name: nothing to remove any more.
    pub fn renamed(&mut self) {
        self.renamed = true;
    }
}

impl Drop for Registered {
    fn drop(&mut self) {
        if let Some(map) = live().as_mut() {
            map.remove(&self.id);
        }
        if !self.renamed {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// Creates a temporary file through `create` (which returns its path and handle) and records
/// it as live. Both happen under the registry's lock, so a signal arriving meanwhile waits
/// for the file to be recorded before cleaning up, and finds it.
pub fn create_registered<T>(
    create: impl FnOnce() -> anyhow::Result<(PathBuf, T)>,
) -> anyhow::Result<(Registered, T)> {
    install_signal_cleaner();
    let mut guard = live();
    let (path, handle) = create()?;
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    guard
        .get_or_insert_with(HashMap::new)
        .insert(id, path.clone());
    drop(guard);
    let registered = Registered {
        id,
        path,
        renamed: false,
    };
    Ok((registered, handle))
}

/// Removes the temporary files named `PREFIX<pid>-...` in `dir` left by processes that no
/// longer exist (killed with SIGKILL, say), and this process's own unregistered ones (left
/// by an earlier process that had the same pid).
pub fn remove_stale(dir: &Path, prefix: &OsStr) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let me = std::process::id();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(rest) = name.as_bytes().strip_prefix(prefix.as_bytes()) else {
            continue;
        };
        let digits: Vec<u8> = rest
            .iter()
            .copied()
            .take_while(u8::is_ascii_digit)
            .collect();
        let Some(pid) = std::str::from_utf8(&digits)
            .ok()
            .and_then(|d| d.parse::<u32>().ok())
        else {
            continue;
        };
        let path = entry.path();
        let gone = if pid == me {
            !live()
                .as_ref()
                .is_some_and(|m| m.values().any(|p| *p == path))
        } else {
            !process_exists(pid)
        };
        let plain = std::fs::symlink_metadata(&path)
            .is_ok_and(|m| m.file_type().is_file() || m.file_type().is_symlink());
        if gone && plain {
            let _ = std::fs::remove_file(&path);
        }
    }
}

fn process_exists(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    if pid <= 0 {
        return false;
    }
    // SAFETY: signal 0 only checks that the process exists; nothing is sent.
    let rc = unsafe { libc::kill(pid, 0) };
    rc == 0 || std::io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
}

extern "C" fn on_signal(signal: libc::c_int) {
    let fd = WAKE_FD.load(Ordering::Relaxed);
    let byte = signal as u8;
    // SAFETY: write(2) is async-signal-safe; the buffer is a live local.
    unsafe {
        libc::write(fd, (&byte as *const u8).cast(), 1);
    }
}

/// SIGINT and SIGTERM wake a thread that removes the live temporary files, then re-raises
/// the signal with its default action. The handler itself only writes one byte to a pipe.
fn install_signal_cleaner() {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        let mut fds = [0 as libc::c_int; 2];
        // SAFETY: fds has room for the two descriptors pipe(2) writes.
        if unsafe { libc::pipe(fds.as_mut_ptr()) } != 0 {
            return; // No pipe, no cleaner: drops still remove temporary files.
        }
        for fd in fds {
            // SAFETY: setting FD_CLOEXEC on a descriptor this function owns.
            unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) };
        }
        WAKE_FD.store(fds[1], Ordering::Relaxed);
        let read_fd = fds[0];
        let spawned = std::thread::Builder::new()
            .name("proxmo-temp-cleaner".into())
            .spawn(move || clean_on_signal(read_fd));
        if spawned.is_err() {
            return;
        }
        for signal in [libc::SIGINT, libc::SIGTERM] {
            // SAFETY: the handler only calls write(2); sa and old are fully initialised.
            unsafe {
                // A host that handles the signal itself (a Python interpreter embedding
                // proxmo, say) keeps its handler; drops still remove temporary files there.
                let mut old: libc::sigaction = std::mem::zeroed();
                libc::sigaction(signal, std::ptr::null(), &mut old);
                if old.sa_sigaction != libc::SIG_DFL {
                    continue;
                }
                let mut sa: libc::sigaction = std::mem::zeroed();
                sa.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as usize;
                sa.sa_flags = libc::SA_RESTART;
                libc::sigemptyset(&mut sa.sa_mask);
                libc::sigaction(signal, &sa, std::ptr::null_mut());
            }
        }
    });
}

fn clean_on_signal(read_fd: libc::c_int) {
    let mut byte = 0u8;
    loop {
        // SAFETY: reading one byte into a live local.
        let n = unsafe { libc::read(read_fd, (&mut byte as *mut u8).cast(), 1) };
        if n == 1 {
            break;
        }
        if n == 0 || std::io::Error::last_os_error().kind() != std::io::ErrorKind::Interrupted {
            return;
        }
    }
    if let Some(map) = live().as_ref() {
        for path in map.values() {
            let _ = std::fs::remove_file(path);
        }
    }
    let signal = libc::c_int::from(byte);
    // SAFETY: restoring the default action and raising the signal ends the process the way
    // the signal would have without proxmo's handler.
    unsafe {
        libc::signal(signal, libc::SIG_DFL);
        libc::raise(signal);
    }
    std::process::exit(128 + signal);
}
