//! Reading an input file whole, safely (docs/inputs.md): only a regular file (a symlink to
//! one is fine), never blocking on a FIFO, and never more than a size cap, so `/dev/zero`,
//! a FIFO or a runaway file ends in a clear error instead of a hang or an exhausted memory.

use super::file_kind::special_kind;
use super::InvalidInput;
use std::fs::OpenOptions;
use std::io::Read;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// The cap on a `.pipe` file (each file, imports included): a real one is a few KiB; 2 MiB
/// (some 70,000 stage declarations) still parses and resolves in seconds, where 10 MB took
/// 20 s and 520 MB before its first error.
pub const MAX_PIPE_BYTES: u64 = 2 << 20;
/// The cap on a JSON-lines file of step rows or metrics.
pub const MAX_JSONL_BYTES: u64 = 4 << 30;
/// The cap on a `policy.linear` weights file (2^26 weights of 8 bytes, plus the header).
pub const MAX_WEIGHTS_BYTES: u64 = (8 << 26) + 64;

/// Refuses (as invalid input) an input `path` that is not a regular file or is larger than
/// `cap`, by its metadata alone: what `proxmo check` can say without reading anything.
pub fn check_regular(path: &Path, cap: u64, what: &str) -> Result<(), InvalidInput> {
    let shown = path.display();
    let meta = std::fs::metadata(path)
        .map_err(|e| InvalidInput(format!("cannot read {what} {shown}: {e}")))?;
    if !meta.is_file() {
        return Err(InvalidInput(format!(
            "{what} {shown} is {}: proxmo reads only regular files",
            special_kind(&meta).unwrap_or("not a regular file")
        )));
    }
    if meta.len() > cap {
        return Err(InvalidInput(format!(
            "{what} {shown} is larger than the limit of {} MiB",
            cap >> 20
        )));
    }
    Ok(())
}

/// The bytes of the regular file `path`, refused (as invalid input) when it is anything else
/// or larger than `cap`. `what` names the file's role in messages ("the .pipe file").
pub fn read_capped(path: &Path, cap: u64, what: &str) -> Result<Vec<u8>, InvalidInput> {
    let shown = path.display();
    let not_regular = |meta: &std::fs::Metadata| {
        InvalidInput(format!(
            "{what} {shown} is {}: proxmo reads only regular files",
            special_kind(meta).unwrap_or("not a regular file")
        ))
    };
    let too_large = || {
        InvalidInput(format!(
            "{what} {shown} is larger than the limit of {} MiB",
            cap >> 20
        ))
    };
    check_regular(path, cap, what)?;
    // Non-blocking, in case a FIFO took the file's place since the check above.
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC)
        .open(path)
        .map_err(|e| InvalidInput(format!("cannot read {what} {shown}: {e}")))?;
    let meta = file
        .metadata()
        .map_err(|e| InvalidInput(format!("cannot read {what} {shown}: {e}")))?;
    if !meta.is_file() {
        return Err(not_regular(&meta));
    }
    let mut bytes = Vec::with_capacity(meta.len().min(cap) as usize);
    file.take(cap + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| InvalidInput(format!("cannot read {what} {shown}: {e}")))?;
    if bytes.len() as u64 > cap {
        return Err(too_large());
    }
    Ok(bytes)
}

/// The UTF-8 byte-order mark some Windows editors put at the start of a text file.
pub const BOM: &[u8] = b"\xef\xbb\xbf";

/// What to tell a user whose file starts with a byte-order mark.
pub fn bom_message(path: &Path) -> String {
    format!(
        "{}:1: the file starts with a byte-order mark (BOM, U+FEFF), which is not allowed \
         here: save it as UTF-8 without BOM",
        path.display()
    )
}

/// The lines of a JSON-lines file (without their `\n` or `\r\n`), each checked to be
/// UTF-8; an error names the line and byte column, or the byte-order mark.
pub fn utf8_lines<'a>(path: &Path, bytes: &'a [u8]) -> Result<Vec<&'a str>, InvalidInput> {
    if bytes.starts_with(BOM) {
        return Err(InvalidInput(bom_message(path)));
    }
    let mut lines: Vec<&[u8]> = bytes.split(|&b| b == b'\n').collect();
    if bytes.ends_with(b"\n") {
        lines.pop();
    }
    lines
        .into_iter()
        .enumerate()
        .map(|(i, line)| {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            std::str::from_utf8(line).map_err(|e| {
                let at = e.valid_up_to();
                InvalidInput(format!(
                    "{}:{}: not UTF-8 text: byte 0x{:02x} at column {} (save the file as UTF-8)",
                    path.display(),
                    i + 1,
                    line[at],
                    at + 1
                ))
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_devices_directories_and_files_over_the_cap() {
        let err = read_capped(Path::new("/dev/zero"), 1 << 20, "the input").unwrap_err();
        assert!(err.0.contains("is a device"), "{err}");
        let err = read_capped(Path::new("/"), 1 << 20, "the input").unwrap_err();
        assert!(err.0.contains("is a directory"), "{err}");
        let dir = std::env::temp_dir().join(format!("proxmo-input-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let big = dir.join("big");
        std::fs::write(&big, vec![b'x'; 2048]).unwrap();
        let err = read_capped(&big, 1024, "the input").unwrap_err();
        assert!(err.0.contains("larger than"), "{err}");
        assert_eq!(read_capped(&big, 4096, "the input").unwrap().len(), 2048);
    }

    #[test]
    fn lines_name_the_bom_and_the_first_bad_byte() {
        let p = Path::new("rows.jsonl");
        assert_eq!(utf8_lines(p, b"a\r\nb\n").unwrap(), vec!["a", "b"]);
        assert!(utf8_lines(p, b"\xef\xbb\xbf{}")
            .unwrap_err()
            .0
            .contains("BOM"));
        let err = utf8_lines(p, b"{}\n{\"a\": \"\xff\"}\n").unwrap_err();
        assert!(err.0.starts_with("rows.jsonl:2: not UTF-8"), "{err}");
        assert!(err.0.contains("0xff at column 8"), "{err}");
    }
}
