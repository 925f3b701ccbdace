//! Incremental reading of a `.wandb` file that may still be growing.
//!
//! [`Tail`] remembers the offset just after the last complete record and,
//! each time it is polled, reads only what was appended since: complete
//! records are returned, an incomplete end (the writer is mid-record) is
//! left for the next poll. Chunks are validated like [`crate::store::LogReader`]
//! does (CRC-32/IEEE over type byte + payload, block boundaries); a corrupt
//! chunk drops the rest of its block, as the official reader does.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use crate::store::{BLOCK_SIZE, CHUNK_HEADER_SIZE, HEADER};

use super::error::{OnlineError, Result};

/// Reads new records from a `.wandb` file.
#[derive(Debug)]
pub struct Tail {
    path: PathBuf,
    file: Option<File>,
    /// Offset after the last complete record (or skipped corrupt data).
    offset: u64,
    /// Corrupt chunks skipped so far.
    pub corrupt_chunks: u64,
}

/// Records read by one [`Tail::poll`].
#[derive(Debug, Default)]
pub struct Polled {
    /// Record payloads in file order.
    pub records: Vec<Vec<u8>>,
    /// True if the file ends inside a record (more data expected).
    pub incomplete: bool,
}

impl Tail {
    /// A reader of `path`; the header is checked on the first poll that sees it.
    pub fn new(path: &Path) -> Self {
        Tail {
            path: path.to_path_buf(),
            file: None,
            offset: 0,
            corrupt_chunks: 0,
        }
    }

    /// Offset just after the last complete record read.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Reads complete records appended since the last poll, at most about
    /// `budget` payload bytes (at least one record), so that a large backlog
    /// is read in pieces.
    pub fn poll(&mut self, budget: usize) -> Result<Polled> {
        if self.file.is_none() {
            match File::open(&self.path) {
                Ok(f) => self.file = Some(f),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Polled::default()),
                Err(e) => return Err(OnlineError::io("cannot open", &self.path, e)),
            }
        }
        let path = self.path.clone();
        let Some(file) = self.file.as_mut() else {
            return Ok(Polled::default());
        };
        let len = file
            .metadata()
            .map_err(|e| OnlineError::io("cannot stat", &path, e))?
            .len();
        if self.offset == 0 {
            if len < HEADER.len() as u64 {
                return Ok(Polled::default());
            }
            let mut head = [0u8; 7];
            file.seek(SeekFrom::Start(0))
                .and_then(|_| file.read_exact(&mut head))
                .map_err(|e| OnlineError::io("cannot read", &path, e))?;
            if head != HEADER {
                return Err(OnlineError::BadLog {
                    path,
                    reason: format!(
                        "bad header {head:02x?}: not a .wandb file of a supported version"
                    ),
                });
            }
            self.offset = HEADER.len() as u64;
        }
        if len <= self.offset {
            return Ok(Polled::default());
        }
        // Read what is there, in windows of at least `budget` bytes.
        let mut window = (budget.max(64 * 1024) as u64).min(len - self.offset);
        loop {
            let mut buf = vec![0u8; window as usize];
            file.seek(SeekFrom::Start(self.offset))
                .and_then(|_| file.read_exact(&mut buf))
                .map_err(|e| OnlineError::io("cannot read", &path, e))?;
            let hit_end = self.offset + window >= len;
            let parsed = parse(&buf, self.offset, budget);
            if parsed.records.is_empty() && !hit_end && parsed.need_more {
                // a record larger than the window: grow it
                window = (window * 2).min(len - self.offset);
                continue;
            }
            self.offset = parsed.next_offset;
            self.corrupt_chunks += parsed.corrupt;
            return Ok(Polled {
                records: parsed.records,
                incomplete: parsed.need_more && hit_end,
            });
        }
    }
}

struct Parsed {
    records: Vec<Vec<u8>>,
    next_offset: u64,
    need_more: bool,
    corrupt: u64,
}

/// Parses chunks of `buf` (which starts at file offset `base`, a record
/// boundary) until the data ends or `budget` payload bytes were collected.
fn parse(buf: &[u8], base: u64, budget: usize) -> Parsed {
    let mut out = Parsed {
        records: Vec::new(),
        next_offset: base,
        need_more: false,
        corrupt: 0,
    };
    let mut pos = base; // absolute offset of the next chunk
    let mut partial: Option<Vec<u8>> = None;
    let mut bytes = 0usize;
    let end = base + buf.len() as u64;
    let block = BLOCK_SIZE as u64;
    loop {
        if partial.is_none() && bytes >= budget {
            break;
        }
        let left = block - pos % block;
        if left < CHUNK_HEADER_SIZE as u64 {
            pos += left; // block trailer padding
            if partial.is_none() {
                out.next_offset = pos.min(end.max(out.next_offset));
            }
            continue;
        }
        if pos + CHUNK_HEADER_SIZE as u64 > end {
            out.need_more = pos < end || partial.is_some();
            break;
        }
        let i = (pos - base) as usize;
        let h = &buf[i..i + CHUNK_HEADER_SIZE];
        let crc = u32::from_le_bytes([h[0], h[1], h[2], h[3]]);
        let n = u16::from_le_bytes([h[4], h[5]]) as u64;
        let kind = h[6];
        let skip_block = |pos: u64| pos + (block - pos % block);
        if crc == 0 && n == 0 && kind == 0 {
            // zeroed block (preallocated): go to the next block
            if pos + left > end {
                out.need_more = true;
                break;
            }
            partial = None;
            pos = skip_block(pos);
            out.next_offset = pos;
            continue;
        }
        if CHUNK_HEADER_SIZE as u64 + n > left {
            out.corrupt += 1;
            partial = None;
            pos = skip_block(pos);
            out.next_offset = pos;
            continue;
        }
        let chunk_end = pos + CHUNK_HEADER_SIZE as u64 + n;
        if chunk_end > end {
            out.need_more = true;
            break;
        }
        let payload = &buf[i + CHUNK_HEADER_SIZE..i + CHUNK_HEADER_SIZE + n as usize];
        let mut hasher = crc32fast::Hasher::new();
        hasher.update(&[kind]);
        hasher.update(payload);
        if hasher.finalize() != crc {
            out.corrupt += 1;
            partial = None;
            pos = skip_block(pos);
            out.next_offset = pos;
            continue;
        }
        pos = chunk_end;
        match kind {
            1 => {
                partial = None;
                bytes += payload.len();
                out.records.push(payload.to_vec());
                out.next_offset = pos;
            }
            2 => partial = Some(payload.to_vec()),
            3 => {
                if let Some(p) = partial.as_mut() {
                    p.extend_from_slice(payload);
                } else {
                    out.next_offset = pos; // orphan: skipped silently
                }
            }
            4 => {
                if let Some(mut p) = partial.take() {
                    p.extend_from_slice(payload);
                    bytes += p.len();
                    out.records.push(p);
                }
                out.next_offset = pos;
            }
            _ => {
                out.corrupt += 1;
                partial = None;
                pos = skip_block(pos - CHUNK_HEADER_SIZE as u64 - n);
                out.next_offset = pos;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::LogWriter;
    use std::io::Write as _;

    fn payloads() -> Vec<Vec<u8>> {
        (0..200u32)
            .map(|i| vec![(i % 251) as u8; (i as usize * 997) % 70_000 + 1])
            .collect()
    }

    #[test]
    fn reads_a_growing_file_in_pieces() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run-x.wandb");
        let mut full = Vec::new();
        {
            let mut w = LogWriter::new(&mut full).unwrap();
            for p in payloads() {
                w.append(&p).unwrap();
            }
            w.flush().unwrap();
        }
        let mut f = std::fs::File::create(&path).unwrap();
        let mut tail = Tail::new(&path);
        let mut got = Vec::new();
        let mut written = 0;
        // append in odd-sized slices, polling in between
        while written < full.len() {
            let n = (full.len() - written).min(12_345);
            f.write_all(&full[written..written + n]).unwrap();
            f.flush().unwrap();
            written += n;
            loop {
                let p = tail.poll(50_000).unwrap();
                if p.records.is_empty() {
                    break;
                }
                got.extend(p.records);
            }
        }
        assert_eq!(got, payloads());
        assert_eq!(tail.offset(), full.len() as u64);
        assert_eq!(tail.corrupt_chunks, 0);
    }
}
