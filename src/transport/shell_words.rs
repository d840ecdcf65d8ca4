//! Splitting a command line into program and arguments, without a shell (docs/transport.md).

use anyhow::{bail, Result};

/// Splits a command line into words: whitespace separates words, `'...'` quotes literally,
/// `"..."` quotes with `\"`, `\\`, `\$` and `` \` `` escapes, and a backslash outside quotes
/// escapes the next character. No shell is involved, so `$VAR`, `|` or `>` are plain text.
pub fn split_command(command: &str) -> Result<Vec<String>> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = command.chars();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => word.push(c),
                        None => bail!("unterminated ' quote in command {command:?}"),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c @ ('"' | '\\' | '$' | '`')) => word.push(c),
                            Some(c) => {
                                word.push('\\');
                                word.push(c);
                            }
                            None => bail!("unterminated \" quote in command {command:?}"),
                        },
                        Some(c) => word.push(c),
                        None => bail!("unterminated \" quote in command {command:?}"),
                    }
                }
            }
            '\\' => {
                in_word = true;
                match chars.next() {
                    Some(c) => word.push(c),
                    None => bail!("command {command:?} ends with a lone backslash"),
                }
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    if words.is_empty() {
        bail!("the command is empty");
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_and_escapes() {
        assert_eq!(
            split_command(r#"python3 -c "print('a b')" 'x y' z\ w "\$HOME""#).unwrap(),
            vec!["python3", "-c", "print('a b')", "x y", "z w", "$HOME"]
        );
        assert_eq!(split_command("a '' b").unwrap(), vec!["a", "", "b"]);
    }

    #[test]
    fn malformed_commands_are_errors() {
        assert!(split_command("   ").is_err());
        assert!(split_command("python3 'oops").is_err());
        assert!(split_command("python3 \"oops").is_err());
        assert!(split_command("python3 oops\\").is_err());
    }
}
