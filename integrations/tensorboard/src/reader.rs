//! Incremental reader of TensorBoard event files.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use prost::Message as _;

use crate::error::{Error, Result};
use crate::fastdecode;
use crate::framing::{self, Frame, FRAME_OVERHEAD, HEADER_LEN};
use crate::proto::Event;

const CHUNK: usize = 1 << 20;

/// Reads the events of one `events.out.tfevents.*` file, record by record.
///
/// The reader keeps its offset: when it reaches the end of the file, or a
/// last record that is still being written, [`EventFileReader::next_event`]
/// returns `Ok(None)`; calling it again after the file has grown continues
/// where it stopped. A corrupt record yields [`Error::CorruptRecord`] (with
/// the file and byte offset) and is skipped, so the next call goes on with
/// the following record.
///
/// ```no_run
/// use wandb_tensorboard::EventFileReader;
/// let mut reader = EventFileReader::open("logs/events.out.tfevents.1.host.1.0")?;
/// while let Some(event) = reader.next_event()? {
///     println!("step {} at {}", event.step, event.wall_time);
/// }
/// # Ok::<(), wandb_tensorboard::Error>(())
/// ```
#[derive(Debug)]
pub struct EventFileReader {
    path: PathBuf,
    file: File,
    buf: Vec<u8>,
    start: usize,
    offset: u64,
    eof: bool,
}

impl EventFileReader {
    /// Opens an event file for reading from its beginning.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        let file = File::open(&path).map_err(|e| Error::io("cannot open event file", &path, e))?;
        Ok(EventFileReader {
            path,
            file,
            buf: Vec::new(),
            start: 0,
            offset: 0,
            eof: false,
        })
    }

    /// The file being read.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Byte offset in the file of the next record to read.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Bytes read from the file that do not yet form a complete record
    /// (non-zero while a writer is in the middle of a record).
    pub fn pending_bytes(&self) -> usize {
        self.buf.len() - self.start
    }

    /// Whether the last read reached the current end of the file.
    pub fn at_end(&self) -> bool {
        self.eof
    }

    /// Reads more bytes; returns how many arrived.
    fn fill(&mut self) -> Result<usize> {
        if self.start > 0 {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        let old = self.buf.len();
        self.buf.reserve(CHUNK);
        let n = loop {
            match (&mut self.file)
                .take(CHUNK as u64)
                .read_to_end(&mut self.buf)
            {
                Ok(n) => break n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.buf.truncate(old);
                    return Err(Error::io("cannot read event file", &self.path, e));
                }
            }
        };
        self.eof = n == 0;
        Ok(n)
    }

    fn skip(&mut self, n: usize) {
        self.start += n;
        self.offset += n as u64;
    }

    fn corrupt(&self, offset: u64, reason: String) -> Error {
        Error::CorruptRecord {
            path: self.path.clone(),
            offset,
            reason,
        }
    }

    /// The payload of the next complete, valid record, as a range of the
    /// internal buffer, or `None` when no complete record is available yet.
    fn next_payload(&mut self) -> Result<Option<(usize, usize)>> {
        loop {
            match framing::parse_frame(&self.buf[self.start..]) {
                Frame::Complete { len } => {
                    let a = self.start + HEADER_LEN;
                    self.skip(len + FRAME_OVERHEAD);
                    return Ok(Some((a, a + len)));
                }
                Frame::Incomplete => {
                    if self.fill()? == 0 {
                        return Ok(None);
                    }
                }
                Frame::BadData { len } => {
                    let at = self.offset;
                    self.skip(len + FRAME_OVERHEAD);
                    return Err(self.corrupt(
                        at,
                        format!("the {len}-byte payload does not match its CRC32C"),
                    ));
                }
                Frame::BadLength => {
                    let at = self.offset;
                    // Look for the next valid header in everything available.
                    while self.fill()? > 0 {}
                    let avail = &self.buf[self.start..];
                    let skip = framing::find_next_header(avail)
                        .unwrap_or_else(|| avail.len().saturating_sub(HEADER_LEN - 1).max(1));
                    self.skip(skip);
                    return Err(self.corrupt(
                        at,
                        format!("the record length does not match its CRC32C; skipped {skip} bytes to the next valid record header"),
                    ));
                }
            }
        }
    }

    /// The next record's raw payload (a serialized `Event`), or `None`
    /// when no complete record is available yet.
    pub fn next_record(&mut self) -> Result<Option<&[u8]>> {
        match self.next_payload()? {
            Some((a, b)) => Ok(Some(&self.buf[a..b])),
            None => Ok(None),
        }
    }

    /// The next event, or `None` when no complete record is available yet
    /// (end of file, or a last record still being written).
    pub fn next_event(&mut self) -> Result<Option<Event>> {
        let mut ev = Event::default();
        Ok(self.next_event_into(&mut ev)?.then_some(ev))
    }

    /// Like [`Self::next_event`], but decodes into `ev`, reusing its
    /// allocations for the common single-scalar event (the fastest way to
    /// read many events). Returns `false` when no complete record is
    /// available yet.
    pub fn next_event_into(&mut self, ev: &mut Event) -> Result<bool> {
        let at = self.offset;
        let Some((a, b)) = self.next_payload()? else {
            return Ok(false);
        };
        let payload = &self.buf[a..b];
        if fastdecode::scalar_event_into(payload, ev) {
            return Ok(true);
        }
        match Event::decode(payload) {
            Ok(decoded) => {
                *ev = decoded;
                Ok(true)
            }
            Err(e) => Err(self.corrupt(at, format!("the payload is not a valid Event: {e}"))),
        }
    }
}

impl Iterator for EventFileReader {
    type Item = Result<Event>;

    /// Yields events until no complete record is available; errors for
    /// corrupt records are yielded and reading continues after them.
    fn next(&mut self) -> Option<Self::Item> {
        self.next_event().transpose()
    }
}

/// Reads every complete event of a file. Stops at the first corrupt record
/// with its error; an incomplete last record is ignored (a writer may still
/// be writing it).
pub fn read_events(path: impl AsRef<Path>) -> Result<Vec<Event>> {
    EventFileReader::open(path)?.collect()
}

/// Whether a file name is a TensorBoard event file
/// (`events.out.tfevents.*`, as TensorBoard's loader recognises them).
pub fn is_event_file_name(name: &str) -> bool {
    name.contains("tfevents")
}
