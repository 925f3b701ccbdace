//! TFRecord framing of event files: `u64 LE length | u32 masked CRC32C of
//! the 8 length bytes | data | u32 masked CRC32C of the data`.

/// Bytes of a frame around its payload: 8 (length) + 4 + 4.
pub const FRAME_OVERHEAD: usize = 16;
/// Bytes before the payload: the length and its CRC.
pub const HEADER_LEN: usize = 12;

const MASK_DELTA: u32 = 0xa282_ead8;

/// The masked CRC32C TensorBoard stores: `rotate_right(crc, 15) + 0xa282ead8`.
pub fn masked_crc32c(bytes: &[u8]) -> u32 {
    crc32c::crc32c(bytes)
        .rotate_right(15)
        .wrapping_add(MASK_DELTA)
}

/// Appends one framed record holding `data` to `out`.
pub fn write_frame(out: &mut Vec<u8>, data: &[u8]) {
    let len = (data.len() as u64).to_le_bytes();
    out.reserve(data.len() + FRAME_OVERHEAD);
    out.extend_from_slice(&len);
    out.extend_from_slice(&masked_crc32c(&len).to_le_bytes());
    out.extend_from_slice(data);
    out.extend_from_slice(&masked_crc32c(data).to_le_bytes());
}

/// What [`parse_frame`] found at the start of a buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frame {
    /// A complete, valid record: the payload is `buf[HEADER_LEN..HEADER_LEN + len]`
    /// and the whole frame takes `len + FRAME_OVERHEAD` bytes.
    Complete {
        /// Payload length.
        len: usize,
    },
    /// The buffer ends inside the record (a writer is still writing it).
    Incomplete,
    /// The 8 length bytes do not match their CRC: the length cannot be
    /// trusted, so the reader must search for the next valid header.
    BadLength,
    /// The length is valid but the payload does not match its CRC; the
    /// frame takes `len + FRAME_OVERHEAD` bytes and can be skipped.
    BadData {
        /// Payload length.
        len: usize,
    },
}

/// Inspects the frame at the start of `buf`.
pub fn parse_frame(buf: &[u8]) -> Frame {
    if buf.len() < HEADER_LEN {
        return Frame::Incomplete;
    }
    let len_bytes: [u8; 8] = match buf[..8].try_into() {
        Ok(b) => b,
        Err(_) => return Frame::Incomplete,
    };
    let len_crc = u32::from_le_bytes([buf[8], buf[9], buf[10], buf[11]]);
    if masked_crc32c(&len_bytes) != len_crc {
        return Frame::BadLength;
    }
    let len = u64::from_le_bytes(len_bytes);
    let Ok(len) = usize::try_from(len) else {
        return Frame::BadLength;
    };
    let Some(total) = len.checked_add(FRAME_OVERHEAD) else {
        return Frame::BadLength;
    };
    if buf.len() < total {
        return Frame::Incomplete;
    }
    let data = &buf[HEADER_LEN..HEADER_LEN + len];
    let c = &buf[HEADER_LEN + len..total];
    let data_crc = u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
    if masked_crc32c(data) != data_crc {
        Frame::BadData { len }
    } else {
        Frame::Complete { len }
    }
}

/// The offset of the next position after 0 in `buf` where a header with a
/// valid length CRC starts, used to resynchronise after a corrupt length.
/// Returns `None` when no candidate is found in the bytes available.
pub fn find_next_header(buf: &[u8]) -> Option<usize> {
    (1..buf.len().saturating_sub(HEADER_LEN - 1)).find(|&i| {
        let h = &buf[i..i + HEADER_LEN];
        let crc = u32::from_le_bytes([h[8], h[9], h[10], h[11]]);
        masked_crc32c(&h[..8]) == crc
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn golden_length_crc() {
        // tfevents_dump.json: a 72-byte first event has length_crc 2638779134.
        assert_eq!(masked_crc32c(&72u64.to_le_bytes()), 2_638_779_134);
        assert_eq!(masked_crc32c(&24u64.to_le_bytes()), 575_373_219);
    }

    #[test]
    fn roundtrip_and_damage() {
        let mut buf = Vec::new();
        write_frame(&mut buf, b"hello");
        assert_eq!(parse_frame(&buf), Frame::Complete { len: 5 });
        assert_eq!(parse_frame(&buf[..buf.len() - 1]), Frame::Incomplete);
        assert_eq!(parse_frame(&buf[..5]), Frame::Incomplete);
        let mut bad = buf.clone();
        bad[13] ^= 1;
        assert_eq!(parse_frame(&bad), Frame::BadData { len: 5 });
        let mut bad = buf.clone();
        bad[0] ^= 1;
        assert_eq!(parse_frame(&bad), Frame::BadLength);
        let mut two = vec![0u8; 3];
        two.extend_from_slice(&buf);
        assert_eq!(find_next_header(&two), Some(3));
    }
}
