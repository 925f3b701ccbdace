//! Framing of records into the LevelDB log of a `.wandb` file.

use std::io::{self, Write};

use super::{ChunkType, BLOCK_SIZE, CHUNK_HEADER_SIZE, HEADER};

/// Writes the W&B header and then frames each record payload into FULL or
/// FIRST/MIDDLE/LAST chunks of 32 KiB blocks, exactly as wandb-core does
/// (spec §1.1): blocks counted from offset 0, CRC-32/IEEE over the type byte
/// and the payload, zero padding when fewer than 7 bytes are left, and a
/// zero-length FIRST chunk when exactly 7 are left.
///
/// ```
/// use wandb_core::store::{LogReader, LogWriter};
/// let mut w = LogWriter::new(Vec::new()).unwrap();
/// w.append(b"hello").unwrap();
/// let bytes = w.into_inner();
/// let mut r = LogReader::new(&bytes[..]).unwrap();
/// assert_eq!(r.next_record().unwrap().unwrap(), b"hello");
/// ```
#[derive(Debug)]
pub struct LogWriter<W: Write> {
    inner: W,
    /// Offset inside the current block.
    block_offset: usize,
    /// Bytes written so far, header included.
    written: u64,
    /// A fresh CRC state, cloned per chunk (`Hasher::new` detects CPU
    /// features each time).
    crc: crc32fast::Hasher,
}

impl<W: Write> LogWriter<W> {
    /// Writes the 7-byte header to `inner` and returns the writer.
    pub fn new(mut inner: W) -> io::Result<Self> {
        inner.write_all(&HEADER)?;
        Ok(LogWriter {
            inner,
            block_offset: HEADER.len(),
            written: HEADER.len() as u64,
            crc: crc32fast::Hasher::new(),
        })
    }

    /// Appends one record payload (a serialised `Record`).
    pub fn append(&mut self, payload: &[u8]) -> io::Result<()> {
        let mut rest = payload;
        let mut first = true;
        loop {
            let left = BLOCK_SIZE - self.block_offset;
            if left < CHUNK_HEADER_SIZE {
                if left > 0 {
                    const ZEROS: [u8; CHUNK_HEADER_SIZE] = [0; CHUNK_HEADER_SIZE];
                    self.inner.write_all(&ZEROS[..left])?;
                    self.written += left as u64;
                }
                self.block_offset = 0;
                continue;
            }
            let avail = left - CHUNK_HEADER_SIZE;
            let len = rest.len().min(avail);
            let last = len == rest.len();
            let kind = match (first, last) {
                (true, true) => ChunkType::Full,
                (true, false) => ChunkType::First,
                (false, true) => ChunkType::Last,
                (false, false) => ChunkType::Middle,
            };
            self.write_chunk(kind, &rest[..len])?;
            rest = &rest[len..];
            first = false;
            if last {
                return Ok(());
            }
        }
    }

    fn write_chunk(&mut self, kind: ChunkType, data: &[u8]) -> io::Result<()> {
        let mut h = self.crc.clone();
        h.update(&[kind as u8]);
        h.update(data);
        let crc = h.finalize();
        let mut header = [0u8; CHUNK_HEADER_SIZE];
        header[..4].copy_from_slice(&crc.to_le_bytes());
        header[4..6].copy_from_slice(&(data.len() as u16).to_le_bytes());
        header[6] = kind as u8;
        self.inner.write_all(&header)?;
        self.inner.write_all(data)?;
        let n = CHUNK_HEADER_SIZE + data.len();
        self.block_offset += n;
        self.written += n as u64;
        Ok(())
    }

    /// Flushes the underlying writer.
    pub fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }

    /// Bytes written so far, the header included.
    pub fn bytes_written(&self) -> u64 {
        self.written
    }

    /// The underlying writer.
    pub fn get_ref(&self) -> &W {
        &self.inner
    }

    /// The underlying writer, mutably (e.g. to `sync_all` a file).
    pub fn get_mut(&mut self) -> &mut W {
        &mut self.inner
    }

    /// Returns the underlying writer.
    pub fn into_inner(self) -> W {
        self.inner
    }
}
