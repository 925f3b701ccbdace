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

/// Longest line kept, in characters; longer lines are cut into pieces.
pub const MAX_LINE: usize = 16 * 1024;

/// Incremental line renderer for one stream.
///
/// The line is a row of characters plus, sparsely, the SGR (colour)
/// sequences that precede some of them: most output has none, so a plain
/// line costs one `char` per column and no allocation per character.
#[derive(Debug, Default)]
pub struct LineRenderer {
    /// The characters of the current line, one per column.
    chars: Vec<char>,
    /// `(column, SGR text)` sorted by column: the sequences written just
    /// before the character at that column.
    styles: Vec<(usize, String)>,
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
        let owned;
        let mut rest: &[u8] = if self.utf8.is_empty() {
            bytes
        } else {
            self.utf8.extend_from_slice(bytes);
            owned = std::mem::take(&mut self.utf8);
            &owned
        };
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
        if self.chars.is_empty() {
            return None;
        }
        Some(self.finish_line())
    }

    fn finish_line(&mut self) -> Line {
        let mut plain: String = self.chars.iter().collect();
        let mut styled = if self.styles.is_empty() {
            plain.clone()
        } else {
            let mut s = String::with_capacity(plain.len() * 2);
            let mut styles = self.styles.iter().peekable();
            for (i, &ch) in self.chars.iter().enumerate() {
                while let Some((_, sgr)) = styles.next_if(|(c, _)| *c <= i) {
                    s.push_str(sgr);
                }
                s.push(ch);
            }
            s
        };
        // Trailing colour resets keep the styled text balanced.
        styled.push_str(&self.pending_sgr);
        self.chars.clear();
        self.styles.clear();
        self.col = 0;
        self.pending_sgr.clear();
        plain.truncate(plain.trim_end().len());
        styled.truncate(styled.trim_end().len());
        Line { plain, styled }
    }

    /// Puts `ch` at the cursor; `false` (and nothing put) when the line is
    /// full.
    fn put(&mut self, ch: char) -> bool {
        if self.col >= MAX_LINE {
            // Output that never ends a line (a full-screen UI, a binary
            // dump) must not grow without bound: wrap like a terminal.
            self.col = MAX_LINE;
            return false;
        }
        let col = self.col;
        // The character replaces the cell, styles included.
        if !self.pending_sgr.is_empty() {
            let sgr = std::mem::take(&mut self.pending_sgr);
            match self.styles.binary_search_by_key(&col, |(c, _)| *c) {
                Ok(i) => self.styles[i].1 = sgr,
                Err(i) => self.styles.insert(i, (col, sgr)),
            }
        } else if !self.styles.is_empty() {
            if let Ok(i) = self.styles.binary_search_by_key(&col, |(c, _)| *c) {
                self.styles.remove(i);
            }
        }
        if col < self.chars.len() {
            self.chars[col] = ch;
        } else {
            self.chars.resize(col, ' ');
            self.chars.push(ch);
        }
        self.col += 1;
        true
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
                "" | "0" => {
                    let col = self.col;
                    self.chars.truncate(col);
                    self.styles.retain(|(c, _)| *c < col);
                }
                "1" => {
                    for c in self.chars.iter_mut().take(self.col) {
                        *c = ' ';
                    }
                }
                _ => {
                    self.chars.clear();
                    self.styles.clear();
                }
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
            'J' if params == "2" || params == "3" => {
                self.chars.clear();
                self.styles.clear();
            }
            'C' => self.col = self.col.saturating_add(n(1).max(1)),
            'D' => self.col = self.col.saturating_sub(n(1).max(1)),
            // Cursor up/down, scrolling, clear screen...: a log has no
            // screen; ignore them.
            _ => {}
        }
    }

    fn chars(&mut self, s: &str, on_line: &mut dyn FnMut(Line)) {
        let bytes = s.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            // Fast path: printable ASCII appended at the end of the line
            // (almost all output) is copied as a run.
            if self.esc == Esc::None && self.pending_sgr.is_empty() && self.col == self.chars.len()
            {
                let room = MAX_LINE.saturating_sub(self.col);
                let run = bytes[i..]
                    .iter()
                    .take(room)
                    .take_while(|b| (0x20..0x7f).contains(*b))
                    .count();
                if run > 0 {
                    self.chars
                        .extend(bytes[i..i + run].iter().map(|&b| char::from(b)));
                    self.col += run;
                    i += run;
                    continue;
                }
            }
            let Some(ch) = s[i..].chars().next() else {
                break;
            };
            i += ch.len_utf8();
            self.char(ch, on_line);
        }
    }

    fn char(&mut self, ch: char, on_line: &mut dyn FnMut(Line)) {
        match self.esc {
            Esc::Start => {
                self.esc = match ch {
                    '[' => Esc::Csi,
                    ']' => Esc::Osc,
                    _ => Esc::None,
                };
                self.seq.clear();
                return;
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
                return;
            }
            Esc::Osc => {
                match ch {
                    '\u{7}' => self.esc = Esc::None,
                    '\u{1b}' => self.esc = Esc::OscEscape,
                    _ => {}
                }
                return;
            }
            Esc::OscEscape => {
                self.esc = if ch == '\\' { Esc::None } else { Esc::Osc };
                return;
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
                for _ in 0..8 - self.col % 8 {
                    self.put_wrapping(' ', on_line);
                }
            }
            c if c.is_control() => {}
            c => self.put_wrapping(c, on_line),
        }
    }

    /// Puts `ch`, cutting the line first when it is full.
    fn put_wrapping(&mut self, ch: char, on_line: &mut dyn FnMut(Line)) {
        if !self.put(ch) {
            let line = self.finish_line();
            on_line(line);
            // The new line is empty: there is room.
            self.put(ch);
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
    fn overwriting_a_coloured_cell_drops_its_colour_and_erase_drops_the_tail() {
        let mut r = LineRenderer::new();
        let mut lines = Vec::new();
        // Red "ab", plain "cd"; then `\r` and a plain "X" over the red "a";
        // then green "Z" at column 3 and erase from column 2 on.
        r.feed(b"\x1b[31mab\x1b[0mcd\rX", &mut |l| lines.push(l));
        r.feed(b"\x1b[3G\x1b[32mZ\x1b[3G\x1b[K\n", &mut |l| lines.push(l));
        assert_eq!(lines[0].plain, "Xb");
        assert_eq!(lines[0].styled, "Xb");
        r.feed(b"\x1b[31mab\x1b[0mcd\rX\x1b[4G\x1b[1mY\n", &mut |l| {
            lines.push(l)
        });
        assert_eq!(lines[1].plain, "XbcY");
        assert_eq!(lines[1].styled, "Xb\x1b[0mc\x1b[1mY");
        // Trailing blanks go, the reset before them stays; a reset after the
        // last character is kept at the end.
        r.feed(b"\x1b[33mok\x1b[0m  \n\x1b[34mhi  \x1b[0m\n", &mut |l| {
            lines.push(l)
        });
        assert_eq!(lines[2].plain, "ok");
        assert_eq!(lines[2].styled, "\x1b[33mok\x1b[0m");
        assert_eq!(lines[3].plain, "hi");
        assert_eq!(lines[3].styled, "\x1b[34mhi  \x1b[0m");
    }

    #[test]
    fn a_tab_at_the_end_of_a_full_line_wraps() {
        let mut bytes = vec![b'x'; MAX_LINE];
        bytes.extend_from_slice(b"\ty\n");
        let (l, _) = render(&[&bytes]);
        assert_eq!(l.len(), 2);
        assert_eq!(l[0].len(), MAX_LINE);
        assert_eq!(l[1], "        y");
    }

    #[test]
    fn huge_cursor_moves_do_not_overflow() {
        let (l, _) = render(&[b"a\x1b[18446744073709551615Cb\n"]);
        assert_eq!(l, ["a", "b"]);
    }

    #[test]
    fn osc_sequences_and_backspace() {
        let (l, _) = render(&[b"\x1b]0;title\x07ab\x08c\n"]);
        assert_eq!(l, ["ac"]);
    }

    /// A reference renderer: one character at a time, never the ASCII run
    /// path, so the fast path must give the same lines.
    fn render_slowly(bytes: &[u8]) -> Vec<Line> {
        let mut r = LineRenderer::new();
        let mut lines = Vec::new();
        // An incomplete character at the very end is still waiting for its
        // last bytes: not part of any line yet.
        let mut end = bytes.len();
        for start in end.saturating_sub(3)..end {
            if let Err(e) = std::str::from_utf8(&bytes[start..]) {
                if e.valid_up_to() == 0 && e.error_len().is_none() {
                    end = start;
                    break;
                }
            }
        }
        let text = String::from_utf8_lossy(&bytes[..end]);
        for ch in text.chars() {
            r.char(ch, &mut |l| lines.push(l));
        }
        lines.extend(r.take_partial());
        lines
    }

    proptest::proptest! {
        #[test]
        fn any_split_gives_the_lines_of_the_slow_path(
            parts in proptest::collection::vec(
                proptest::collection::vec(proptest::sample::select(vec![
                    b'a', b'b', b' ', b'\n', b'\r', b'\t', 0x08, 0x1b, b'[', b'3', b'1',
                    b'm', b'K', b'G', b';', b'2', 0xc3, 0xa9, 0xff,
                ]), 0..40),
                0..8,
            )
        ) {
            let mut r = LineRenderer::new();
            let mut lines = Vec::new();
            for p in &parts {
                r.feed(p, &mut |l| lines.push(l));
            }
            lines.extend(r.take_partial());
            let all: Vec<u8> = parts.concat();
            proptest::prop_assert_eq!(lines, render_slowly(&all));
        }
    }
}
