//! Re-checksumming of mutants, so that mutated bytes get past the CRC
//! checks and reach the decoders (and length fields that claim gigabytes
//! arrive with a valid CRC).

use wandb_core::store::{BLOCK_SIZE, CHUNK_HEADER_SIZE, HEADER};
use wandb_tensorboard::framing::{masked_crc32c, FRAME_OVERHEAD, HEADER_LEN};

/// Recomputes the CRC of every chunk of a `.wandb` byte string whose
/// length fits its block.
pub fn wandb_crcs(data: &mut [u8]) {
    let mut pos = HEADER.len();
    while pos < data.len() {
        let in_block = pos % BLOCK_SIZE;
        if BLOCK_SIZE - in_block < CHUNK_HEADER_SIZE || data.len() - pos < CHUNK_HEADER_SIZE {
            pos += BLOCK_SIZE - in_block;
            continue;
        }
        let len = usize::from(u16::from_le_bytes([data[pos + 4], data[pos + 5]]));
        let start = pos + CHUNK_HEADER_SIZE;
        let end = start + len;
        if end > data.len() || in_block + CHUNK_HEADER_SIZE + len > BLOCK_SIZE {
            pos += BLOCK_SIZE - in_block;
            continue;
        }
        let mut h = crc32fast::Hasher::new();
        h.update(&[data[pos + 6]]);
        h.update(&data[start..end]);
        data[pos..pos + 4].copy_from_slice(&h.finalize().to_le_bytes());
        pos = end;
    }
}

/// Recomputes both masked CRC32Cs of every TFRecord frame that fits the
/// input; a frame whose length runs past the end gets a valid length CRC
/// (a huge length field the reader must not trust with an allocation).
pub fn tfrecord_crcs(data: &mut [u8]) {
    let mut pos = 0usize;
    while data.len().saturating_sub(pos) >= HEADER_LEN {
        let mut len_bytes = [0u8; 8];
        len_bytes.copy_from_slice(&data[pos..pos + 8]);
        data[pos + 8..pos + 12].copy_from_slice(&masked_crc32c(&len_bytes).to_le_bytes());
        let len = u64::from_le_bytes(len_bytes);
        let Some(total) = usize::try_from(len)
            .ok()
            .and_then(|l| l.checked_add(FRAME_OVERHEAD))
            .filter(|t| *t <= data.len() - pos)
        else {
            return;
        };
        let payload = pos + HEADER_LEN..pos + total - 4;
        let crc = masked_crc32c(&data[payload]);
        data[pos + total - 4..pos + total].copy_from_slice(&crc.to_le_bytes());
        pos += total;
    }
}
