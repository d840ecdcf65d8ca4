//! Writing files so that readers see the old content or the new one, never half of it.
//!
//! [`AtomicFile`] is the one way proxmo writes an output: bytes go to a temporary file in the
//! target's directory, and `commit` renames it over the target. Dropped without `commit`
//! (an error, a panic), the temporary file is removed and the target is untouched.

use anyhow::{Context, Result};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// An output being written: a temporary file that becomes `target` on `commit`.
pub struct AtomicFile {
    target: PathBuf,
    tmp: PathBuf,
    out: Option<BufWriter<File>>,
}

/// Refuses an output path that cannot be replaced by a regular file: a directory, an empty
/// path, a missing parent directory. Used at check time and again before writing.
pub fn ensure_writable_target(path: &Path) -> Result<()> {
    if path.as_os_str().is_empty() {
        anyhow::bail!("the output path is empty");
    }
    if path.is_dir() {
        anyhow::bail!("{} is a directory, not a file", path.display());
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

impl AtomicFile {
    /// Starts writing `target`: its temporary file is created now.
    pub fn create(target: &Path) -> Result<AtomicFile> {
        ensure_writable_target(target)?;
        let name = target
            .file_name()
            .with_context(|| format!("{} is not a file path", target.display()))?;
        let tmp = parent_dir(target).join(format!(
            ".{}.tmp-{}",
            name.to_string_lossy(),
            std::process::id()
        ));
        let file = File::create(&tmp).with_context(|| format!("cannot create {}", tmp.display()))?;
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
        let Some(out) = self.out.take() else {
            anyhow::bail!("{} was already committed", self.target.display());
        };
        let file = out
            .into_inner()
            .map_err(|e| e.into_error())
            .with_context(|| format!("cannot write {}", self.tmp.display()))?;
        file.sync_all()
            .with_context(|| format!("cannot flush {}", self.tmp.display()))?;
        std::fs::rename(&self.tmp, &self.target).with_context(|| {
            format!(
                "cannot move {} to {}",
                self.tmp.display(),
                self.target.display()
            )
        })
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

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.out.take().is_some() {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
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
