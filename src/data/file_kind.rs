//! What a path is, in words, when it is not the regular file proxmo reads or writes.

use std::fs::Metadata;
use std::os::unix::fs::FileTypeExt;

/// `None` for a regular file; otherwise "a symbolic link", "a FIFO (named pipe)", ...
pub fn special_kind(meta: &Metadata) -> Option<&'static str> {
    let t = meta.file_type();
    Some(if t.is_file() {
        return None;
    } else if t.is_symlink() {
        "a symbolic link"
    } else if t.is_dir() {
        "a directory"
    } else if t.is_fifo() {
        "a FIFO (named pipe)"
    } else if t.is_char_device() || t.is_block_device() {
        "a device"
    } else if t.is_socket() {
        "a socket"
    } else {
        "not a regular file"
    })
}
