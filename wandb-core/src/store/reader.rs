//! Reading and validating a `.wandb` file.

use std::io::{self, Read};
use std::path::Path;

use prost::Message as _;

use super::{ChunkType, BLOCK_SIZE, CHUNK_HEADER_SIZE, HEADER};
use crate::error::{Error, Result};
use crate::proto;

/// A problem found while reading a `.wandb` file.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum ReadError {
    /// The 7-byte header is wrong.
    #[error("bad header: {0}")]
    BadHeader(String),
    /// The file ends inside a chunk or a split record (the writer may still be running).
    #[error("incomplete .wandb file: it ends inside a record at offset {offset} (the run may still be active or was interrupted)")]
    Truncated {
        /// Offset of the incomplete chunk or record.
        offset: u64,
    },
    /// A chunk is corrupt; the rest of its block was skipped.
    #[error("corrupt chunk at offset {offset}: {reason}; skipped to the next block")]
    Corrupt {
        /// Offset of the chunk header.
        offset: u64,
        /// What was wrong.
        reason: String,
    },
    /// The underlying reader failed.
    #[error("I/O error: {0}")]
    Io(String),
}

/// Reads record payloads back from a `.wandb` byte stream, validating the
/// header and every chunk like wandb-core's reader: a bad CRC, a chunk that
/// crosses its block or an unexpected chunk type drops the rest of the block
/// and reading resumes at the next FULL or FIRST chunk of a later block;
/// MIDDLE/LAST chunks outside a record are skipped silently.
#[derive(Debug)]
pub struct LogReader<R: Read> {
    inner: R,
    block: Vec<u8>,
    /// Valid bytes in `block`.
    block_len: usize,
    /// Read position inside `block`.
    pos: usize,
    /// File offset of `block[0]`.
    block_start: u64,
    eof: bool,
    /// Set after a corrupt chunk: skip chunks until a FULL/FIRST.
    resync: bool,
}

impl<R: Read> LogReader<R> {
    /// Checks the header and returns a reader positioned at the first record.
    pub fn new(mut inner: R) -> std::result::Result<Self, ReadError> {
        let mut block = vec![0u8; BLOCK_SIZE];
        let n = read_full(&mut inner, &mut block).map_err(|e| ReadError::Io(e.to_string()))?;
        if n < HEADER.len() {
            return Err(ReadError::BadHeader(format!(
                "file is {n} bytes long, shorter than the 7-byte header"
            )));
        }
        if block[..4] != HEADER[..4] {
            return Err(ReadError::BadHeader(format!(
                "invalid W&B identifier {:02x?} (expected \":W&B\")",
                &block[..4]
            )));
        }
        let magic = u16::from_le_bytes([block[4], block[5]]);
        if magic != 0xBEE1 {
            return Err(ReadError::BadHeader(format!(
                "invalid W&B magic {magic:04X} (expected BEE1)"
            )));
        }
        if block[6] != 0 {
            return Err(ReadError::BadHeader(format!(
                "unsupported version {} (a newer wandb version is required to read this file)",
                block[6]
            )));
        }
        Ok(LogReader {
            inner,
            block,
            block_len: n,
            pos: HEADER.len(),
            block_start: 0,
            eof: n < BLOCK_SIZE,
            resync: false,
        })
    }

    fn next_block(&mut self) -> io::Result<bool> {
        if self.eof {
            return Ok(false);
        }
        self.block_start += BLOCK_SIZE as u64;
        let n = read_full(&mut self.inner, &mut self.block)?;
        self.block_len = n;
        self.pos = 0;
        self.eof = n < BLOCK_SIZE;
        Ok(n > 0)
    }

    /// The next record payload; `None` at the end of the data. After an
    /// `Err` (other than `Io`) reading can continue with the next call.
    pub fn next_record(&mut self) -> Option<std::result::Result<Vec<u8>, ReadError>> {
        let mut record: Option<(u64, Vec<u8>)> = None;
        loop {
            // Need a chunk header.
            if self.block_len.saturating_sub(self.pos) < CHUNK_HEADER_SIZE
                || BLOCK_SIZE - self.pos < CHUNK_HEADER_SIZE
            {
                let at_end_of_data =
                    self.eof && self.block_len - self.pos.min(self.block_len) < CHUNK_HEADER_SIZE;
                if at_end_of_data && (self.block_len < BLOCK_SIZE) {
                    // trailing bytes shorter than a chunk header inside the last block
                    let trailing = self.block_len.saturating_sub(self.pos);
                    if let Some((off, _)) = record {
                        return Some(Err(ReadError::Truncated { offset: off }));
                    }
                    if trailing > 0 && self.block[self.pos..self.block_len].iter().any(|&b| b != 0)
                    {
                        let offset = self.block_start + self.pos as u64;
                        self.pos = self.block_len;
                        return Some(Err(ReadError::Truncated { offset }));
                    }
                    return None;
                }
                match self.next_block() {
                    Ok(true) => continue,
                    Ok(false) => {
                        return record.map(|(off, _)| Err(ReadError::Truncated { offset: off }));
                    }
                    Err(e) => return Some(Err(ReadError::Io(e.to_string()))),
                }
            }
            let off = self.block_start + self.pos as u64;
            let h = &self.block[self.pos..self.pos + CHUNK_HEADER_SIZE];
            let crc = u32::from_le_bytes([h[0], h[1], h[2], h[3]]);
            let len = u16::from_le_bytes([h[4], h[5]]) as usize;
            let kind = h[6];
            if crc == 0 && len == 0 && kind == 0 {
                // zeroed block (preallocated file): skip to the next block
                self.pos = BLOCK_SIZE;
                continue;
            }
            let start = self.pos + CHUNK_HEADER_SIZE;
            let end = start + len;
            if end > BLOCK_SIZE {
                self.pos = BLOCK_SIZE;
                self.resync = true;
                return Some(Err(ReadError::Corrupt {
                    offset: off,
                    reason: format!("chunk of {len} bytes crosses its block"),
                }));
            }
            if end > self.block_len {
                // The data ends inside this chunk.
                self.pos = self.block_len;
                self.eof = true;
                return Some(Err(ReadError::Truncated {
                    offset: record.map_or(off, |(o, _)| o),
                }));
            }
            let data = &self.block[start..end];
            let mut hasher = crc32fast::Hasher::new();
            hasher.update(&[kind]);
            hasher.update(data);
            if hasher.finalize() != crc {
                self.pos = BLOCK_SIZE;
                self.resync = true;
                return Some(Err(ReadError::Corrupt {
                    offset: off,
                    reason: "checksum mismatch".into(),
                }));
            }
            self.pos = end;
            match kind {
                k if k == ChunkType::Full as u8 => {
                    self.resync = false;
                    if record.is_some() {
                        // An unfinished record followed by a new one: drop the partial.
                        tracing::debug!(offset = off, "partial record dropped before FULL chunk");
                    }
                    return Some(Ok(data.to_vec()));
                }
                k if k == ChunkType::First as u8 => {
                    self.resync = false;
                    record = Some((off, data.to_vec()));
                }
                k if k == ChunkType::Middle as u8 => match record.as_mut() {
                    Some((_, buf)) if !self.resync => buf.extend_from_slice(data),
                    _ => {} // orphan: skipped silently
                },
                k if k == ChunkType::Last as u8 => match record.take() {
                    Some((_, mut buf)) if !self.resync => {
                        buf.extend_from_slice(data);
                        return Some(Ok(buf));
                    }
                    _ => {} // orphan: skipped silently
                },
                other => {
                    self.pos = BLOCK_SIZE;
                    self.resync = true;
                    return Some(Err(ReadError::Corrupt {
                        offset: off,
                        reason: format!("unknown chunk type {other}"),
                    }));
                }
            }
        }
    }
}

impl<R: Read> Iterator for LogReader<R> {
    type Item = std::result::Result<Vec<u8>, ReadError>;
    fn next(&mut self) -> Option<Self::Item> {
        self.next_record()
    }
}

fn read_full<R: Read>(r: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// What [`read_file`] found: the decoded records and any problems skipped.
#[derive(Debug, Default)]
pub struct ReadOutcome {
    /// Records in file order.
    pub records: Vec<proto::Record>,
    /// Problems found (corrupt chunks skipped, a truncated end).
    pub problems: Vec<ReadError>,
}

/// Reads and decodes every record of a `.wandb` file. A bad header is an
/// error; corrupt chunks and a truncated end are reported in
/// [`ReadOutcome::problems`] while the readable records are returned.
pub fn read_file(path: &Path) -> Result<ReadOutcome> {
    let file = std::fs::File::open(path).map_err(|e| Error::io("cannot open", path, e))?;
    let reader = LogReader::new(io::BufReader::new(file)).map_err(|e| Error::Corrupt {
        offset: 0,
        reason: format!("{}: {e}", path.display()),
    })?;
    let mut out = ReadOutcome::default();
    for item in reader {
        match item {
            Ok(bytes) => match proto::Record::decode(bytes.as_slice()) {
                Ok(r) => out.records.push(r),
                Err(e) => out.problems.push(ReadError::Corrupt {
                    offset: 0,
                    reason: format!("undecodable record: {e}"),
                }),
            },
            Err(ReadError::Io(e)) => {
                return Err(Error::io("cannot read", path, io::Error::other(e)))
            }
            Err(e) => out.problems.push(e),
        }
    }
    Ok(out)
}
