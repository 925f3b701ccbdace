//! The `.wandb` transaction log: a 7-byte W&B header followed by a LevelDB
//! log of 32 KiB blocks (spec §1). [`LogWriter`] frames records,
//! [`LogReader`] validates and recovers like the official reader.

mod reader;
mod record_buffer;
mod sink;
mod writer;

pub use reader::{read_file, LogReader, ReadError, ReadOutcome};
pub use record_buffer::RecordBuffer;
pub(crate) use sink::FileSink;
pub use sink::RecordSink;
pub use writer::LogWriter;

/// The file header: ident `:W&B`, magic 0xBEE1 (little-endian), version 0.
pub const HEADER: [u8; 7] = [0x3a, 0x57, 0x26, 0x42, 0xe1, 0xbe, 0x00];
/// Size of a LevelDB log block.
pub const BLOCK_SIZE: usize = 32 * 1024;
/// Size of a chunk header (crc u32, length u16, type u8).
pub const CHUNK_HEADER_SIZE: usize = 7;

/// Chunk types of the LevelDB log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum ChunkType {
    /// A whole record.
    Full = 1,
    /// The first chunk of a split record.
    First = 2,
    /// A middle chunk of a split record.
    Middle = 3,
    /// The last chunk of a split record.
    Last = 4,
}
