//! A write buffer that reaches the file in whole records only.

use std::io::{self, Write};

/// Buffers what a [`LogWriter`](super::LogWriter) frames and writes it to the
/// inner writer only on [`flush`](Write::flush) or
/// [`spill_if_full`](RecordBuffer::spill_if_full), both called between
/// records. Unlike `BufWriter`, which spills whenever its buffer fills (often
/// between a chunk header and its payload), the file then always ends at a
/// record boundary, so a process killed between two writes leaves a log the
/// official reader accepts without an "incomplete file" warning. (A kill that
/// interrupts the `write(2)` itself can still leave part of the last write.)
///
/// ```
/// use wandb_core::store::{LogWriter, RecordBuffer};
/// let mut w = LogWriter::new(RecordBuffer::new(Vec::new(), 1024)).unwrap();
/// w.append(b"hello").unwrap();
/// assert!(w.get_ref().get_ref().is_empty()); // still buffered
/// w.flush().unwrap();
/// assert_eq!(w.get_ref().get_ref().len(), 7 + 7 + 5);
/// ```
#[derive(Debug)]
pub struct RecordBuffer<W: Write> {
    inner: W,
    buf: Vec<u8>,
    capacity: usize,
}

impl<W: Write> RecordBuffer<W> {
    /// A buffer that [`spill_if_full`](Self::spill_if_full) writes out once it
    /// holds `capacity` bytes.
    pub fn new(inner: W, capacity: usize) -> Self {
        RecordBuffer {
            inner,
            buf: Vec::with_capacity(capacity),
            capacity,
        }
    }

    /// Writes the buffer out (one `write_all`) when it holds at least the
    /// capacity. Call it only between records.
    pub fn spill_if_full(&mut self) -> io::Result<()> {
        if self.buf.len() >= self.capacity {
            self.spill()?;
        }
        Ok(())
    }

    fn spill(&mut self) -> io::Result<()> {
        if !self.buf.is_empty() {
            let result = self.inner.write_all(&self.buf);
            self.buf.clear();
            result?;
        }
        Ok(())
    }

    /// The inner writer.
    pub fn get_ref(&self) -> &W {
        &self.inner
    }

    /// The inner writer, mutably (e.g. to `sync_all` a file). Flush first.
    pub fn get_mut(&mut self) -> &mut W {
        &mut self.inner
    }
}

impl<W: Write> Write for RecordBuffer<W> {
    /// Buffers `data` whole; nothing reaches the inner writer here.
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.spill()?;
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{LogReader, LogWriter};

    /// After every append the inner writer holds whole records only, across
    /// block boundaries and spills.
    #[test]
    fn the_inner_writer_always_ends_at_a_record_boundary() {
        let mut w = LogWriter::new(RecordBuffer::new(Vec::new(), 10_000)).unwrap();
        let mut spilled = 0;
        for i in 0..2000usize {
            let payload = vec![(i % 251) as u8; (i * 37) % 3000];
            w.append(&payload).unwrap();
            w.get_mut().spill_if_full().unwrap();
            let bytes = w.get_ref().get_ref();
            if bytes.is_empty() {
                continue;
            }
            spilled += 1;
            let mut r = LogReader::new(&bytes[..]).unwrap();
            let mut n = 0;
            while let Some(rec) = r.next_record() {
                rec.unwrap_or_else(|e| panic!("torn tail after record {i}: {e}"));
                n += 1;
            }
            assert!(n <= i + 1);
        }
        assert!(spilled > 100);
        w.flush().unwrap();
        let mut r = LogReader::new(&w.get_ref().get_ref()[..]).unwrap();
        let mut n = 0;
        while let Some(rec) = r.next_record() {
            rec.unwrap();
            n += 1;
        }
        assert_eq!(n, 2000);
    }
}
