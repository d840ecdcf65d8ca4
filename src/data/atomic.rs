//! Writing files so that readers see the old content or the new one, never half of it.
//!
//! [`AtomicFile`] is the one way proxmo writes an output (docs/outputs.md): bytes go to a
//! temporary file in the target's directory, and `commit` renames it over the target.
//! Dropped without `commit` (an error, a panic), the temporary file is removed and the target
//! is untouched; on SIGINT or SIGTERM the live temporary files are removed before exiting
//! ([`super::temp_registry`]). [`open_append`] opens append-only outputs.
//!
//! Outputs are regular files: an existing target that is a symlink, a FIFO, a device or a
//! directory is refused (exit code 2), never replaced nor written through.

use super::file_kind::special_kind;
use super::temp_registry::{self, Registered};
use anyhow::{Context, Result};
use std::ffi::OsString;
use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

fn refused(message: String) -> anyhow::Error {
    // Wrapped in InvalidInput so the CLI exits with code 2.
    anyhow::Error::new(super::InvalidInput(message))
}

/// An output being written: a temporary file that becomes `target` on `commit`.
pub struct AtomicFile {
    target: PathBuf,
    tmp: Registered,
    out: Option<BufWriter<File>>,
}

/// Refuses an output path that cannot be replaced by a regular file: an empty path, a
/// missing parent directory, or an existing entry that is not a regular file (a symlink,
/// FIFO, device, socket or directory). Used at check time and again before writing.
pub fn ensure_writable_target(path: &Path) -> Result<()> {
    if path.as_os_str().is_empty() {
        anyhow::bail!("the output path is empty");
    }
    if let Ok(meta) = std::fs::symlink_metadata(path) {
        if let Some(kind) = special_kind(&meta) {
            return Err(refused(format!(
                "{} is {kind}: proxmo writes outputs only to regular files (give a new path or \
                 a regular file to replace)",
                path.display()
            )));
        }
    }
    if path.file_name().is_none() {
        anyhow::bail!("{} does not name a file", path.display());
    }
    let dir = parent_dir(path);
    if !dir.is_dir() {
        anyhow::bail!(
            "the directory {} of {} does not exist",
            dir.display(),
            path.display()
        );
    }
    Ok(())
}

fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// `.NAME.tmp-`: the prefix of every temporary file for `target`; the pid and a random
/// suffix follow, so a later run can tell its dead predecessors' files from live ones.
fn temp_prefix(target: &Path) -> Result<OsString> {
    let name = target
        .file_name()
        .with_context(|| format!("{} is not a file path", target.display()))?;
    let mut prefix = OsString::from(".");
    prefix.push(name);
    prefix.push(".tmp-");
    Ok(prefix)
}

/// Creates the temporary file exclusively (never an existing file, never through a link),
/// under a name nobody can guess, with the permissions `target` has today.
fn create_temp(target: &Path) -> Result<(PathBuf, File)> {
    let dir = parent_dir(target);
    let prefix = temp_prefix(target)?;
    let keep_mode = std::fs::metadata(target)
        .ok()
        .filter(|m| m.is_file())
        .map(|m| m.permissions().mode() & 0o7777);
    let mut last_error = None;
    for _ in 0..16 {
        let mut name = prefix.clone();
        name.push(format!("{}-{:016x}", std::process::id(), random_u64()));
        let tmp = dir.join(name);
        let opened = OpenOptions::new()
            .write(true)
            .create_new(true)
            .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
            .mode(0o600)
            .open(&tmp);
        match opened {
            Ok(file) => {
                let mode = keep_mode.unwrap_or_else(|| 0o666 & !current_umask());
                file.set_permissions(std::fs::Permissions::from_mode(mode))
                    .with_context(|| format!("cannot set the permissions of {}", tmp.display()))?;
                return Ok((tmp, file));
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last_error = Some(e),
            Err(e) => {
                return Err(e).with_context(|| format!("cannot create {}", tmp.display()));
            }
        }
    }
    Err(last_error.unwrap_or_else(|| std::io::Error::other("no free name")))
        .with_context(|| format!("cannot create a temporary file in {}", dir.display()))
}

/// The process umask (read by setting it and putting it back; proxmo has no other threads
/// creating files with it at that moment that could mind).
fn current_umask() -> u32 {
    static UMASK: std::sync::OnceLock<u32> = std::sync::OnceLock::new();
    *UMASK.get_or_init(|| {
        // SAFETY: umask has no memory-safety preconditions.
        let old = unsafe { libc::umask(0o022) };
        unsafe { libc::umask(old) };
        old
    })
}

/// 64 unpredictable bits: std's per-process random hash keys over a counter and the clock.
fn random_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    h.write_u128(nanos);
    h.finish()
}

impl AtomicFile {
    /// Starts writing `target`: its temporary file is created now.
    pub fn create(target: &Path) -> Result<AtomicFile> {
        ensure_writable_target(target)?;
        let dir = parent_dir(target);
        let prefix = temp_prefix(target)?;
        temp_registry::remove_stale(&dir, &prefix);
        let (tmp, file) = temp_registry::create_registered(|| create_temp(target))?;
        Ok(AtomicFile {
            target: target.to_path_buf(),
            tmp,
            out: Some(BufWriter::new(file)),
        })
    }

    /// The file this will become.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Flushes, syncs and renames the temporary file over the target.
    pub fn commit(mut self) -> Result<()> {
        let tmp = self.tmp.path().to_path_buf();
        let Some(out) = self.out.take() else {
            anyhow::bail!("{} was already committed", self.target.display());
        };
        let file = out
            .into_inner()
            .map_err(|e| e.into_error())
            .with_context(|| format!("cannot write {}", tmp.display()))?;
        file.sync_all()
            .with_context(|| format!("cannot flush {}", tmp.display()))?;
        // The target may have become a special file while this was written.
        ensure_writable_target(&self.target)?;
        std::fs::rename(&tmp, &self.target).with_context(|| {
            format!("cannot move {} to {}", tmp.display(), self.target.display())
        })?;
        self.tmp.renamed();
        Ok(())
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self.out.as_mut() {
            Some(out) => out.write(buf),
            None => Err(std::io::Error::other("write after commit")),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self.out.as_mut() {
            Some(out) => out.flush(),
            None => Ok(()),
        }
    }
}

/// Opens `path` for appending (created when missing), refusing an existing path that is not
/// a regular file, and never following a symlink or blocking on a FIFO. The file is held
/// under an exclusive `flock` while open: a second process appending to it (two runs with
/// the same output and no checkpoint to lock) is refused before it empties or writes it.
pub fn open_append(path: &Path) -> Result<File> {
    ensure_writable_target(path)?;
    let file = OpenOptions::new()
        .append(true)
        .create(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC | libc::O_NONBLOCK)
        .open(path)
        .map_err(|e| match e.raw_os_error() {
            Some(libc::ELOOP) | Some(libc::ENXIO) => refused(format!(
                "{} is not a regular file: proxmo appends only to regular files",
                path.display()
            )),
            _ => anyhow::Error::new(e).context(format!("cannot open {}", path.display())),
        })?;
    let meta = file
        .metadata()
        .with_context(|| format!("cannot inspect {}", path.display()))?;
    if let Some(kind) = special_kind(&meta) {
        return Err(refused(format!(
            "{} is {kind}: proxmo appends only to regular files",
            path.display()
        )));
    }
    // SAFETY: flock(2) on a descriptor this function owns.
    if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
        let error = std::io::Error::last_os_error();
        // Only "already locked" means another writer; any other failure is reported as it is.
        if error.raw_os_error() != Some(libc::EWOULDBLOCK) {
            return Err(anyhow::Error::new(error)
                .context(format!("cannot lock {} for writing", path.display())));
        }
        return Err(refused(format!(
            "{} is being written by another proxmo run: wait for it to end or give this run another output path",
            path.display()
        )));
    }
    Ok(file)
}

/// Writes `path` through `fill`: first to a temporary file beside it, then renamed over it.
/// If `fill` fails, the temporary file is removed and `path` is untouched.
pub fn write_atomically(
    path: &Path,
    fill: impl FnOnce(&mut AtomicFile) -> Result<()>,
) -> Result<()> {
    let mut file = AtomicFile::create(path)?;
    fill(&mut file)?;
    file.commit()
}

/// Writes a whole string atomically.
pub fn write_string(path: &Path, text: &str) -> Result<()> {
    write_atomically(path, |out| {
        out.write_all(text.as_bytes())?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("proxmo-atomic-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn leftovers(dir: &Path) -> Vec<String> {
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains(".tmp-"))
            .collect()
    }

    #[test]
    fn refuses_a_symlink_target_and_leaves_it() {
        let dir = scratch("link");
        let victim = dir.join("victim");
        std::fs::write(&victim, "keep").unwrap();
        let link = dir.join("out.jsonl");
        std::os::unix::fs::symlink(&victim, &link).unwrap();
        let err = write_string(&link, "new").unwrap_err();
        assert!(format!("{err:#}").contains("symbolic link"), "{err:#}");
        assert!(std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep");
        assert!(leftovers(&dir).is_empty());
    }

    #[test]
    fn keeps_the_permissions_of_the_file_it_replaces() {
        let dir = scratch("mode");
        let out = dir.join("secret.jsonl");
        std::fs::write(&out, "old").unwrap();
        std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o600)).unwrap();
        write_string(&out, "new").unwrap();
        let mode = std::fs::metadata(&out).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "new");
    }

    #[test]
    fn a_dropped_file_leaves_no_temporary_file() {
        let dir = scratch("drop");
        let out = dir.join("a.jsonl");
        {
            let mut f = AtomicFile::create(&out).unwrap();
            f.write_all(b"half").unwrap();
        }
        assert!(leftovers(&dir).is_empty());
        assert!(!out.exists());
    }

    #[test]
    fn stale_temporary_files_of_dead_processes_are_removed() {
        let dir = scratch("stale");
        let out = dir.join("rows.jsonl");
        // No process has pid 0x7ffffffe on Linux (pid_max is at most 2^22).
        let stale = dir.join(".rows.jsonl.tmp-2147483646-0123456789abcdef");
        std::fs::write(&stale, "partial").unwrap();
        // pid 1 always exists: its file may be in use.
        let live = dir.join(".rows.jsonl.tmp-1-00");
        std::fs::write(&live, "theirs").unwrap();
        write_string(&out, "x").unwrap();
        assert!(!stale.exists());
        assert!(live.exists(), "a live process's temporary file is kept");
    }

    #[test]
    fn open_append_refuses_a_second_writer_until_the_first_closes() {
        let file = scratch("second_writer").join("metrics.jsonl");
        let first = open_append(&file).unwrap();
        let err = open_append(&file).unwrap_err();
        assert!(err.downcast_ref::<super::super::InvalidInput>().is_some());
        assert!(
            format!("{err:#}").contains("being written by another proxmo run"),
            "{err:#}"
        );
        drop(first);
        open_append(&file).unwrap();
    }

    #[test]
    fn open_append_refuses_a_fifo_and_appends_to_files() {
        let dir = scratch("append");
        let file = dir.join("m.jsonl");
        std::fs::write(&file, "a\n").unwrap();
        open_append(&file).unwrap().write_all(b"b\n").unwrap();
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "a\nb\n");
        let link = dir.join("link.jsonl");
        std::os::unix::fs::symlink(&file, &link).unwrap();
        assert!(open_append(&link).is_err());
    }
}
