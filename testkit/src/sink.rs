//! [`MemorySink`]: a [`RecordSink`] that keeps every record in memory.

use std::io;
use std::sync::Arc;

use parking_lot::Mutex;
use wandb_core::store::RecordSink;

/// Keeps the serialised records of a run in memory. The writer thread
/// appends to a private buffer and hands it over on each flush, so taking
/// records never contends with the run's writing.
#[derive(Debug, Default)]
pub(crate) struct MemorySink {
    pending: Vec<Vec<u8>>,
    bytes: u64,
    shared: Arc<Mutex<Vec<Vec<u8>>>>,
}

impl MemorySink {
    /// A sink and the list its records reach on every flush.
    pub(crate) fn new() -> (Self, Arc<Mutex<Vec<Vec<u8>>>>) {
        let sink = MemorySink::default();
        let shared = Arc::clone(&sink.shared);
        (sink, shared)
    }
}

impl RecordSink for MemorySink {
    fn append(&mut self, record: &[u8]) -> io::Result<()> {
        self.bytes += record.len() as u64;
        self.pending.push(record.to_vec());
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        if !self.pending.is_empty() {
            self.shared.lock().append(&mut self.pending);
        }
        Ok(())
    }

    fn bytes_written(&self) -> u64 {
        self.bytes
    }
}
