//! Reading the values of a `TensorProto`.

use crate::proto::{DataType, TensorProto};

/// The shape of a tensor (empty for a scalar).
pub fn shape(t: &TensorProto) -> Vec<i64> {
    t.tensor_shape
        .as_ref()
        .map(|s| s.dim.iter().map(|d| d.size).collect())
        .unwrap_or_default()
}

fn from_content<const N: usize>(bytes: &[u8], f: impl Fn([u8; N]) -> f64) -> Vec<f64> {
    bytes
        .chunks_exact(N)
        .filter_map(|c| <[u8; N]>::try_from(c).ok())
        .map(f)
        .collect()
}

fn half_to_f64(bits: u16) -> f64 {
    let sign = if bits & 0x8000 != 0 { -1.0 } else { 1.0 };
    let exp = i32::from((bits >> 10) & 0x1f);
    let frac = f64::from(bits & 0x3ff);
    sign * match exp {
        0 => frac * 2f64.powi(-24),
        31 if frac == 0.0 => f64::INFINITY,
        31 => f64::NAN,
        e => (1.0 + frac / 1024.0) * 2f64.powi(e - 15),
    }
}

fn bf16_to_f64(bits: u16) -> f64 {
    f64::from(f32::from_bits(u32::from(bits) << 16))
}

/// The numeric values of a tensor as `f64`, in row-major order, from
/// `tensor_content` or the typed value lists; `None` for non-numeric types.
pub fn values_f64(t: &TensorProto) -> Option<Vec<f64>> {
    let dtype = DataType::try_from(t.dtype).ok()?;
    let c = &t.tensor_content;
    if !c.is_empty() {
        return Some(match dtype {
            DataType::DtFloat => from_content::<4>(c, |b| f64::from(f32::from_le_bytes(b))),
            DataType::DtDouble => from_content::<8>(c, f64::from_le_bytes),
            DataType::DtInt32 => from_content::<4>(c, |b| f64::from(i32::from_le_bytes(b))),
            DataType::DtInt64 => from_content::<8>(c, |b| i64::from_le_bytes(b) as f64),
            DataType::DtUint32 => from_content::<4>(c, |b| f64::from(u32::from_le_bytes(b))),
            DataType::DtUint64 => from_content::<8>(c, |b| u64::from_le_bytes(b) as f64),
            DataType::DtInt16 => from_content::<2>(c, |b| f64::from(i16::from_le_bytes(b))),
            DataType::DtUint16 => from_content::<2>(c, |b| f64::from(u16::from_le_bytes(b))),
            DataType::DtInt8 => c.iter().map(|&b| f64::from(b as i8)).collect(),
            DataType::DtUint8 | DataType::DtBool => c.iter().map(|&b| f64::from(b)).collect(),
            DataType::DtHalf => from_content::<2>(c, |b| half_to_f64(u16::from_le_bytes(b))),
            DataType::DtBfloat16 => from_content::<2>(c, |b| bf16_to_f64(u16::from_le_bytes(b))),
            _ => return None,
        });
    }
    Some(match dtype {
        DataType::DtFloat => t.float_val.iter().map(|&v| f64::from(v)).collect(),
        DataType::DtDouble => t.double_val.clone(),
        DataType::DtInt32
        | DataType::DtInt16
        | DataType::DtInt8
        | DataType::DtUint8
        | DataType::DtUint16 => t.int_val.iter().map(|&v| f64::from(v)).collect(),
        DataType::DtInt64 => t.int64_val.iter().map(|&v| v as f64).collect(),
        DataType::DtUint32 => t.uint32_val.iter().map(|&v| f64::from(v)).collect(),
        DataType::DtUint64 => t.uint64_val.iter().map(|&v| v as f64).collect(),
        DataType::DtBool => t.bool_val.iter().map(|&v| f64::from(u8::from(v))).collect(),
        DataType::DtHalf => t.half_val.iter().map(|&v| half_to_f64(v as u16)).collect(),
        DataType::DtBfloat16 => t.half_val.iter().map(|&v| bf16_to_f64(v as u16)).collect(),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn halves() {
        assert_eq!(half_to_f64(0x3c00), 1.0);
        assert_eq!(half_to_f64(0xc000), -2.0);
        assert_eq!(bf16_to_f64(0x3f80), 1.0);
    }
}
