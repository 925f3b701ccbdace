//! Turns a raw terminal byte stream into finished lines, the way a terminal
//! would show them: `\r` returns to the start of the line (so a progress bar
//! redrawn 1000 times yields one line, its final state), backspace moves
//! left, `ESC [ K` / `ESC [ 2K` erase, and other escape sequences (colours,
//! cursor movement) are kept for the raw record but not interpreted.
//!
//! Bytes may arrive split anywhere, including inside a UTF-8 character or an
//! escape sequence.

/// One finished line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// The visible text without escape sequences (for `output.log`).
    pub plain: String,
    /// The visible text with colour (SGR) sequences kept (for `output_raw`
    /// records; the W&B UI renders ANSI colours).
    pub styled: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Esc {
    #[default]
    None,
    /// After ESC.
    Start,
    /// Inside `ESC [ ...` until a final byte 0x40..=0x7E.
    Csi,
    /// Inside `ESC ] ...` (OSC) until BEL or `ESC \`.
    Osc,
    /// ESC seen inside OSC (maybe the `ESC \` terminator).
    OscEscape,
}

/// A cell: the character and the SGR sequences that precede it.
#[derive(Debug, Clone, Default)]
struct Cell {
    ch: char,
    sgr: String,
}

/// Longest line kept, in characters; longer lines are cut into pieces.
pub const MAX_LINE: usize = 16 * 1024;

/// Incremental line renderer for one stream.
#[derive(Debug, Default)]
pub struct LineRenderer {
    overflow: bool,
    cells: Vec<Cell>,
    col: usize,
    utf8: Vec<u8>,
    esc: Esc,
    seq: String,
    pending_sgr: String,
}

impl LineRenderer {
    /// A renderer at the start of an empty line.
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds raw bytes; every finished (`\n`-terminated) line is passed to
    /// `on_line`.
    pub fn feed(&mut self, bytes: &[u8], on_line: &mut dyn FnMut(Line)) {
        self.utf8.extend_from_slice(bytes);
        let buf = std::mem::take(&mut self.utf8);
        let mut rest: &[u8] = &buf;
        loop {
            match std::str::from_utf8(rest) {
                Ok(s) => {
                    self.chars(s, on_line);
                    break;
                }
                Err(e) => {
                    let (valid, after) = rest.split_at(e.valid_up_to());
                    // `valid` is valid UTF-8 by construction.
                    self.chars(std::str::from_utf8(valid).unwrap_or(""), on_line);
                    match e.error_len() {
                        // Incomplete character at the end: keep for later.
                        None => {
                            self.utf8 = after.to_vec();
                            break;
                        }
                        Some(n) => {
                            self.chars("\u{FFFD}", on_line);
                            rest = &after[n..];
                        }
                    }
                }
            }
        }
    }

    /// The unfinished line, if any (emitted at finish).
    pub fn take_partial(&mut self) -> Option<Line> {
        if self.cells.is_empty() {
            return None;
        }
        Some(self.finish_line())
    }

    fn finish_line(&mut self) -> Line {
        let mut plain = String::with_capacity(self.cells.len());
        let mut styled = String::with_capacity(self.cells.len());
        for c in &self.cells {
            plain.push(c.ch);
            styled.push_str(&c.sgr);
            styled.push(c.ch);
        }
        // Trailing colour resets keep the styled text balanced.
        styled.push_str(&self.pending_sgr);
        self.cells.clear();
        self.col = 0;
        self.pending_sgr.clear();
        Line {
            plain: plain.trim_end().to_string(),
            styled: styled.trim_end().to_string(),
        }
    }

    fn put(&mut self, ch: char) {
        if self.col >= MAX_LINE {
            // Output that never ends a line (a full-screen UI, a binary
            // dump) must not grow without bound: wrap like a terminal.
            self.col = MAX_LINE;
            self.overflow = true;
            return;
        }
        let sgr = std::mem::take(&mut self.pending_sgr);
        let cell = Cell { ch, sgr };
        if self.col < self.cells.len() {
            self.cells[self.col] = cell;
        } else {
            while self.cells.len() < self.col {
                self.cells.push(Cell {
                    ch: ' ',
                    sgr: String::new(),
                });
            }
            self.cells.push(cell);
        }
        self.col += 1;
    }

    fn csi(&mut self, seq: &str) {
        // `seq` is everything after `ESC [`, final byte included.
        let Some(fin) = seq.chars().last() else {
            return;
        };
        let params = &seq[..seq.len() - fin.len_utf8()];
        let n = |d: usize| params.parse::<usize>().unwrap_or(d);
        match fin {
            'm' => self.pending_sgr.push_str(&format!("\x1b[{seq}")),
            'K' => match params {
                "" | "0" => self.cells.truncate(self.col),
                "1" => {
                    for c in self.cells.iter_mut().take(self.col) {
                        c.ch = ' ';
                    }
                }
                _ => self.cells.clear(),
            },
            'G' => self.col = n(1).saturating_sub(1),
            // Cursor position `row;col`: a full-screen UI (burn's TUI)
            // redraws in place; keep the column so the line stays bounded.
            'H' | 'f' => {
                let col = params
                    .split(';')
                    .nth(1)
                    .and_then(|c| c.parse::<usize>().ok());
                self.col = col.unwrap_or(1).saturating_sub(1);
            }
            'J' if params == "2" || params == "3" => self.cells.clear(),
            'C' => self.col += n(1).max(1),
            'D' => self.col = self.col.saturating_sub(n(1).max(1)),
            // Cursor up/down, scrolling, clear screen...: a log has no
            // screen; ignore them.
            _ => {}
        }
    }

    fn chars(&mut self, s: &str, on_line: &mut dyn FnMut(Line)) {
        for ch in s.chars() {
            match self.esc {
                Esc::Start => {
                    self.esc = match ch {
                        '[' => Esc::Csi,
                        ']' => Esc::Osc,
                        _ => Esc::None,
                    };
                    self.seq.clear();
                    continue;
                }
                Esc::Csi => {
                    self.seq.push(ch);
                    if ('\u{40}'..='\u{7e}').contains(&ch) {
                        let seq = std::mem::take(&mut self.seq);
                        self.csi(&seq);
                        self.esc = Esc::None;
                    } else if self.seq.len() > 64 {
                        self.esc = Esc::None;
                        self.seq.clear();
                    }
                    continue;
                }
                Esc::Osc => {
                    match ch {
                        '\u{7}' => self.esc = Esc::None,
                        '\u{1b}' => self.esc = Esc::OscEscape,
                        _ => {}
                    }
                    continue;
                }
                Esc::OscEscape => {
                    self.esc = if ch == '\\' { Esc::None } else { Esc::Osc };
                    continue;
                }
                Esc::None => {}
            }
            match ch {
                '\n' => {
                    let line = self.finish_line();
                    on_line(line);
                }
                '\r' => self.col = 0,
                '\u{8}' => self.col = self.col.saturating_sub(1),
                '\u{1b}' => self.esc = Esc::Start,
                '\t' => {
                    let next = (self.col / 8 + 1) * 8;
                    while self.col < next {
                        self.put(' ');
                    }
                }
                c if c.is_control() => {}
                c => {
                    self.put(c);
                    if self.overflow {
                        self.overflow = false;
                        let line = self.finish_line();
                        on_line(line);
                        self.put(c);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(chunks: &[&[u8]]) -> (Vec<String>, Option<String>) {
        let mut r = LineRenderer::new();
        let mut lines = Vec::new();
        for c in chunks {
            r.feed(c, &mut |l| lines.push(l.plain));
        }
        (lines, r.take_partial().map(|l| l.plain))
    }

    #[test]
    fn plain_lines_and_partial_tail() {
        let (l, p) = render(&[b"hello from", b" the run\nsecond\nthi", b"rd"]);
        assert_eq!(l, ["hello from the run", "second"]);
        assert_eq!(p.as_deref(), Some("third"));
    }

    #[test]
    fn carriage_return_progress_bar_yields_its_final_state_once() {
        let mut bytes = Vec::new();
        for i in 0..=100 {
            bytes.extend_from_slice(format!("\r[{:<10}] {i:>3}%", "=".repeat(i / 10)).as_bytes());
        }
        bytes.extend_from_slice(b"\ndone\n");
        let (l, p) = render(&[&bytes]);
        assert_eq!(l, ["[==========] 100%", "done"]);
        assert_eq!(p, None);
    }

    #[test]
    fn indicatif_style_erase_and_colours() {
        // indicatif redraws with `\r` + `ESC[2K` and colours with SGR.
        let mut r = LineRenderer::new();
        let mut lines = Vec::new();
        r.feed(
            b"\r\x1b[2K\x1b[32m####\x1b[0m 40%\r\x1b[2K\x1b[32m##########\x1b[0m 100%\n",
            &mut |l| lines.push(l),
        );
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].plain, "########## 100%");
        assert_eq!(lines[0].styled, "\x1b[32m##########\x1b[0m 100%");
    }

    #[test]
    fn shorter_overwrite_keeps_the_tail_like_a_terminal() {
        let (l, _) = render(&[b"abcdef\rXY\n"]);
        assert_eq!(l, ["XYcdef"]);
    }

    #[test]
    fn utf8_split_across_reads_and_invalid_bytes() {
        let s = "héllo ✓\n".as_bytes();
        let (l, _) = render(&[&s[..2], &s[2..8], &s[8..]]);
        assert_eq!(l, ["héllo ✓"]);
        let (l, _) = render(&[b"a\xffb\n"]);
        assert_eq!(l, ["a\u{FFFD}b"]);
    }

    #[test]
    fn endless_lines_are_cut_and_cursor_positioning_stays_bounded() {
        let mut r = LineRenderer::new();
        let mut n = 0;
        let big = vec![b'x'; MAX_LINE * 2 + 10];
        r.feed(&big, &mut |l| {
            assert_eq!(l.plain.len(), MAX_LINE);
            n += 1;
        });
        assert_eq!(n, 2);
        assert_eq!(r.take_partial().unwrap().plain.len(), 10);
        // A TUI redrawing at row;col positions without newlines.
        let mut frame = Vec::new();
        for i in 0..1000 {
            frame.extend_from_slice(format!("\x1b[2J\x1b[1;1Hframe {i}\x1b[2;5Hstatus").as_bytes());
        }
        r.feed(&frame, &mut |_| panic!("no line ended"));
        assert!(r.take_partial().unwrap().plain.len() < 64);
    }

    #[test]
    fn osc_sequences_and_backspace() {
        let (l, _) = render(&[b"\x1b]0;title\x07ab\x08c\n"]);
        assert_eq!(l, ["ac"]);
    }
}
