//! Tying a child's life to proxmo's: its own process group, a parent-death signal, and
//! ending the whole group (docs/transport.md, "The child's life").

use std::process::{Child, Command};
use std::thread;
use std::time::{Duration, Instant};

/// Puts the child in its own process group (so proxmo can end it with everything it
/// started) and, on Linux, asks the kernel to kill it when proxmo dies, even by SIGKILL.
#[cfg(unix)]
pub fn tie_to_proxmo(builder: &mut Command) {
    use std::os::unix::process::CommandExt;
    builder.process_group(0);
    #[cfg(target_os = "linux")]
    {
        use std::io;
        // SAFETY: getpid is async-signal-safe and called here, before the fork.
        let parent = unsafe { libc::getpid() };
        // SAFETY: the closure runs between fork and exec and calls only async-signal-safe
        // functions (prctl, getppid); its errors are raw OS errors, which allocate nothing.
        unsafe {
            builder.pre_exec(move || {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                    return Err(io::Error::last_os_error());
                }
                // proxmo died before the death signal was armed: do not run orphaned.
                if libc::getppid() != parent {
                    return Err(io::Error::from_raw_os_error(libc::ESRCH));
                }
                Ok(())
            });
        }
    }
}

#[cfg(not(unix))]
pub fn tie_to_proxmo(_builder: &mut Command) {}

/// Waits up to `grace` for the child to exit, leaving it unreaped; true when it exited.
#[cfg(target_os = "linux")]
pub fn wait_without_reaping(child: &mut Child, grace: Duration) -> bool {
    let start = Instant::now();
    loop {
        // SAFETY: a zeroed siginfo_t is a valid out-parameter for waitid.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        // SAFETY: WNOWAIT leaves the child waitable, so `Child::wait` still reaps it.
        let r = unsafe {
            libc::waitid(
                libc::P_PID,
                child.id() as libc::id_t,
                &mut info,
                libc::WEXITED | libc::WNOHANG | libc::WNOWAIT,
            )
        };
        // SAFETY: waitid filled `info` (si_pid is 0 when the child has not exited).
        if r != 0 || unsafe { info.si_pid() } != 0 {
            return r == 0;
        }
        if start.elapsed() >= grace {
            return false;
        }
        thread::sleep(Duration::from_millis(5));
    }
}

#[cfg(not(target_os = "linux"))]
pub fn wait_without_reaping(child: &mut Child, grace: Duration) -> bool {
    let start = Instant::now();
    loop {
        if let Ok(Some(_)) = child.try_wait() {
            return true;
        }
        if start.elapsed() >= grace {
            return false;
        }
        thread::sleep(Duration::from_millis(5));
    }
}

/// Kills the child's whole process group (the child and whatever it started in it).
pub fn kill_group(child: &mut Child) {
    #[cfg(target_os = "linux")]
    if let Ok(pgid) = libc::pid_t::try_from(child.id()) {
        // SAFETY: kill has no memory effects; the group is the unreaped child's own.
        unsafe {
            libc::kill(-pgid, libc::SIGKILL);
        }
    }
    let _ = child.kill();
}
