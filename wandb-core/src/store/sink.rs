//! Where the writer thread puts records: [`RecordSink`]. A run writes to
//! its `.wandb` file ([`FileSink`]); [`crate::init_with_sink`] starts a run
//! that writes to any other sink (the in-memory capture of `wandb-testkit`).

use std::fs::File;
use std::io;

use super::{LogWriter, RecordBuffer};

/// The destination of a run's records, fed by the run's writer thread (never
/// by `log()`'s caller). Each [`append`](RecordSink::append) gets one whole
/// serialised `Record` protobuf, exactly the payload the `.wandb` file
/// frames, in the order of the file.
///
/// ```
/// use wandb_core::store::RecordSink;
///
/// /// Counts records and keeps nothing.
/// #[derive(Default)]
/// struct Count { records: u64, bytes: u64 }
///
/// impl RecordSink for Count {
///     fn append(&mut self, record: &[u8]) -> std::io::Result<()> {
///         self.records += 1;
///         self.bytes += record.len() as u64;
///         Ok(())
///     }
///     fn flush(&mut self) -> std::io::Result<()> { Ok(()) }
///     fn bytes_written(&self) -> u64 { self.bytes }
/// }
/// ```
pub trait RecordSink: Send {
    /// Takes one serialised `Record`. An error stops the run's writing (the
    /// run reports it at finish); records already taken stay valid.
    fn append(&mut self, record: &[u8]) -> io::Result<()>;

    /// Makes everything appended so far durable or visible (called at least
    /// every flush interval, on `Run::flush` and at finish).
    fn flush(&mut self) -> io::Result<()>;

    /// Called once after the last record at finish, after
    /// [`flush`](RecordSink::flush) (the file sink `fsync`s here).
    fn sync(&mut self) -> io::Result<()> {
        Ok(())
    }

    /// Bytes written so far (reported at finish).
    fn bytes_written(&self) -> u64;
}

/// The default sink: the run's `.wandb` file, framed by [`LogWriter`] and
/// buffered in whole records by [`RecordBuffer`].
#[derive(Debug)]
pub(crate) struct FileSink {
    writer: LogWriter<RecordBuffer<File>>,
}

impl FileSink {
    /// Writes the `.wandb` header to `file` and returns the sink.
    pub(crate) fn new(file: File) -> io::Result<Self> {
        Ok(FileSink {
            writer: LogWriter::new(RecordBuffer::new(file, 256 * 1024))?,
        })
    }
}

impl RecordSink for FileSink {
    fn append(&mut self, record: &[u8]) -> io::Result<()> {
        self.writer.append(record)?;
        self.writer.get_mut().spill_if_full()
    }

    fn flush(&mut self) -> io::Result<()> {
        self.writer.flush()
    }

    fn sync(&mut self) -> io::Result<()> {
        self.writer.get_mut().get_mut().sync_all()
    }

    fn bytes_written(&self) -> u64 {
        self.writer.bytes_written()
    }
}
