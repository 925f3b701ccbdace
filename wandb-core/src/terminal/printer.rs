//! Writing `wandb: `-prefixed messages to stderr, styled (colours, as the
//! official client) when stderr is a terminal and `TERM` is not `dumb`,
//! plain otherwise. A message is written with one `write` call, and on a
//! terminal it first clears the current line, so a single-line progress bar
//! being drawn there (indicatif) is replaced by the message and redraws
//! below it instead of being torn.

use std::io::{IsTerminal, Write};

const RESET: &str = "\x1b[0m";

/// How messages are rendered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Printer {
    /// ANSI styles on.
    pub styled: bool,
}

impl Printer {
    /// Styled when stderr is a terminal and `TERM` is not `dumb`.
    pub fn for_stderr() -> Printer {
        let dumb = std::env::var_os("TERM").is_some_and(|t| t == "dumb");
        Printer {
            styled: std::io::stderr().is_terminal() && !dumb,
        }
    }

    fn style(&self, text: &str, codes: &str) -> String {
        if self.styled {
            format!("{codes}{text}{RESET}")
        } else {
            text.to_owned()
        }
    }

    /// A command or setting (bold).
    pub fn code(&self, text: &str) -> String {
        self.style(text, "\x1b[1m")
    }
    /// A run name (yellow).
    pub fn name(&self, text: &str) -> String {
        self.style(text, "\x1b[33m")
    }
    /// A URL (blue, underlined).
    pub fn link(&self, text: &str) -> String {
        self.style(text, "\x1b[34m\x1b[4m")
    }
    /// A path (magenta, bold).
    pub fn files(&self, text: &str) -> String {
        self.style(text, "\x1b[35m\x1b[1m")
    }
    /// A warning tag (yellow).
    pub fn warning(&self) -> String {
        self.style("WARNING", "\x1b[33m")
    }

    /// The lines, each prefixed with `wandb: `, newline-terminated.
    pub fn render(&self, lines: &[String]) -> String {
        let prefix = format!("{}: ", self.style("wandb", "\x1b[34m\x1b[1m"));
        let mut out = String::new();
        if self.styled {
            out.push_str("\r\x1b[2K"); // clear a progress bar's line first
        }
        for line in lines {
            out.push_str(&prefix);
            out.push_str(line);
            out.push('\n');
        }
        out
    }

    /// Writes the lines to stderr in one call (errors are ignored: nothing
    /// can be reported about a broken stderr).
    pub fn emit(&self, lines: &[String]) {
        if lines.is_empty() {
            return;
        }
        let text = self.render(lines);
        let mut err = std::io::stderr().lock();
        let _ = err.write_all(text.as_bytes());
        let _ = err.flush();
    }
}

/// Removes ANSI escape sequences (for logs and tests).
pub fn unstyle(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\x1b' && chars.peek() == Some(&'[') {
            chars.next();
            for c in chars.by_ref() {
                if ('\x40'..='\x7e').contains(&c) {
                    break;
                }
            }
        } else if c != '\r' {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_and_styled_rendering() {
        let plain = Printer { styled: false };
        assert_eq!(
            plain.render(&["a".into(), String::new()]),
            "wandb: a\nwandb: \n"
        );
        let styled = Printer { styled: true };
        let s = styled.render(&[styled.name("run")]);
        assert_eq!(
            s,
            "\r\x1b[2K\x1b[34m\x1b[1mwandb\x1b[0m: \x1b[33mrun\x1b[0m\n"
        );
        assert_eq!(unstyle(&s), "wandb: run\n");
    }
}
