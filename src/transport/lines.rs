//! Reading `\n`-terminated lines with a length cap, so a child that never ends its line cannot
//! make proxmo buffer without bound (docs/transport.md, "Caps").

use std::io::{self, BufRead};

/// What one capped read found.
#[derive(Debug, PartialEq, Eq)]
pub enum LineRead {
    /// A complete line, without its `\n` (the last line of a stream may lack one).
    Line(Vec<u8>),
    /// The stream ended before any byte of a new line.
    Eof,
    /// More than the cap arrived without a `\n`; the reader stopped there.
    TooLong,
}

/// Reads one line of at most `cap` bytes (the `\n` not counted).
pub fn read_capped_line(reader: &mut impl BufRead, cap: usize) -> io::Result<LineRead> {
    let mut line = Vec::new();
    loop {
        let available = match reader.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if available.is_empty() {
            return Ok(if line.is_empty() {
                LineRead::Eof
            } else {
                LineRead::Line(line)
            });
        }
        let (taken, end) = match available.iter().position(|&b| b == b'\n') {
            Some(i) => (i, true),
            None => (available.len(), false),
        };
        if line.len() + taken > cap {
            return Ok(LineRead::TooLong);
        }
        line.extend_from_slice(&available[..taken]);
        reader.consume(taken + usize::from(end));
        if end {
            return Ok(LineRead::Line(line));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::BufReader;

    fn all(input: &[u8], cap: usize) -> Vec<LineRead> {
        // A tiny buffer makes lines span many fills.
        let mut r = BufReader::with_capacity(3, input);
        let mut out = Vec::new();
        loop {
            let got = read_capped_line(&mut r, cap).unwrap();
            let stop = got != LineRead::Line(got_bytes(&got));
            out.push(got);
            if stop {
                return out;
            }
        }
    }

    fn got_bytes(l: &LineRead) -> Vec<u8> {
        match l {
            LineRead::Line(b) => b.clone(),
            _ => vec![0xff],
        }
    }

    #[test]
    fn lines_split_and_the_last_may_lack_a_newline() {
        assert_eq!(
            all(b"ab\n\ncdefg\nhi", 5),
            vec![
                LineRead::Line(b"ab".to_vec()),
                LineRead::Line(Vec::new()),
                LineRead::Line(b"cdefg".to_vec()),
                LineRead::Line(b"hi".to_vec()),
                LineRead::Eof
            ]
        );
    }

    #[test]
    fn a_line_over_the_cap_stops_the_reader() {
        assert_eq!(
            all(b"abc\nabcdefgh\nx\n", 5),
            vec![LineRead::Line(b"abc".to_vec()), LineRead::TooLong]
        );
    }
}
