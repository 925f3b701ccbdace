//! Reading candle tensors back to the host as `f32`, and their histograms.

use candle_core::{CpuStorage, DType, Device, Storage, Tensor};
use wandb_callbacks::TensorHistogram;

use crate::error::WandbCandleError;

fn read_error(name: &str, t: &Tensor, source: candle_core::Error) -> WandbCandleError {
    WandbCandleError::TensorRead {
        name: name.to_owned(),
        dtype: format!("{:?}", t.dtype()),
        source: Box::new(source),
    }
}

/// The values of `t` (any shape, dtype and device) as a host `Vec<f32>` in
/// row-major order; see [`read_f32_into`]. `name` only labels the error.
pub fn to_host_f32(name: &str, t: &Tensor) -> Result<Vec<f32>, WandbCandleError> {
    let mut out = Vec::new();
    read_f32_into(name, t, &mut out)?;
    Ok(out)
}

/// Replaces the contents of `out` with the values of `t` as `f32`, in
/// row-major order. The tensor is copied to the host in its own dtype (a
/// strided view made contiguous first), then converted there: f16 and bf16
/// exactly (vectorised), f64 rounded to nearest; other dtypes through
/// candle's conversion. Reusing `out` avoids a fresh allocation per call.
pub fn read_f32_into(name: &str, t: &Tensor, out: &mut Vec<f32>) -> Result<(), WandbCandleError> {
    out.clear();
    let host = (|| -> candle_core::Result<Tensor> {
        let t = if t.device().is_cpu() {
            t.clone()
        } else {
            t.to_device(&Device::Cpu)?
        };
        if t.is_contiguous() {
            Ok(t)
        } else {
            t.contiguous()
        }
    })()
    .map_err(|e| read_error(name, t, e))?;
    let done = {
        let (storage, layout) = host.storage_and_layout();
        match (&*storage, layout.contiguous_offsets()) {
            (Storage::Cpu(cpu), Some((start, end))) => convert(cpu, start, end, out),
            _ => false,
        }
    };
    if !done {
        let convert = || host.to_dtype(DType::F32)?.flatten_all()?.to_vec1::<f32>();
        out.clear();
        out.extend(convert().map_err(|e| read_error(name, t, e))?);
    }
    Ok(())
}

/// Appends `cpu[start..end]` as f32 to `out`; false for other dtypes.
fn convert(cpu: &CpuStorage, start: usize, end: usize, out: &mut Vec<f32>) -> bool {
    use half::slice::HalfFloatSliceExt;
    fn halves<H>(
        v: &[H],
        start: usize,
        end: usize,
        out: &mut Vec<f32>,
        f: impl Fn(&[H], &mut [f32]),
    ) -> bool {
        let Some(s) = v.get(start..end) else {
            return false;
        };
        out.resize(s.len(), 0.0);
        f(s, out);
        true
    }
    match cpu {
        CpuStorage::F32(v) => v
            .get(start..end)
            .map(|s| out.extend_from_slice(s))
            .is_some(),
        CpuStorage::F64(v) => v
            .get(start..end)
            .map(|s| out.extend(s.iter().map(|&x| x as f32)))
            .is_some(),
        CpuStorage::F16(v) => halves(v, start, end, out, |s, o| s.convert_to_f32_slice(o)),
        CpuStorage::BF16(v) => halves(v, start, end, out, |s, o| s.convert_to_f32_slice(o)),
        _ => false,
    }
}

/// Calls `f` with the values of `t` as `f32`: without any copy for a
/// contiguous f32 tensor on the CPU (its storage is read in place), else
/// through [`read_f32_into`] with `scratch` as the buffer.
pub fn with_host_f32<R>(
    name: &str,
    t: &Tensor,
    scratch: &mut Vec<f32>,
    f: impl FnOnce(&[f32]) -> R,
) -> Result<R, WandbCandleError> {
    if t.dtype() == DType::F32 && t.device().is_cpu() {
        let (storage, layout) = t.storage_and_layout();
        if let (Storage::Cpu(CpuStorage::F32(values)), Some((start, end))) =
            (&*storage, layout.contiguous_offsets())
        {
            if let Some(slice) = values.get(start..end) {
                return Ok(f(slice));
            }
        }
    }
    read_f32_into(name, t, scratch)?;
    Ok(f(scratch))
}

/// The `watch` histogram (torch `histc` rules, `num_bins` bins) of a candle
/// tensor of any dtype and device; `None` when it has no finite value.
///
/// ```
/// use candle_core::{Device, Tensor};
/// let t = Tensor::new(&[0.0f32, 1.0, 2.0, 3.0], &Device::Cpu)?;
/// let h = wandb_candle::tensor_histogram(&t, 64)?.expect("finite values");
/// assert_eq!(h.total(), 4);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn tensor_histogram(
    t: &Tensor,
    num_bins: usize,
) -> Result<Option<TensorHistogram>, WandbCandleError> {
    with_host_f32("tensor", t, &mut Vec::new(), |v| {
        TensorHistogram::from_slice(v, num_bins)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    /// Values exactly representable in f16, bf16, f32 and f64 (multiples of
    /// 0.25 in [-25, 24.75]), in a scrambled order.
    fn exact_values(n: usize) -> Vec<f32> {
        (0..n)
            .map(|i| ((i * 37) % 200) as f32 * 0.25 - 25.0)
            .collect()
    }

    const FLOATS: [DType; 4] = [DType::F16, DType::BF16, DType::F32, DType::F64];

    #[test]
    fn every_float_dtype_gives_the_f32_values_and_histogram() {
        let values = exact_values(1000);
        let want = TensorHistogram::from_slice(&values, 64).unwrap();
        assert_eq!(want.values.len(), 64);
        let base = Tensor::from_vec(values.clone(), (10, 100), &Device::Cpu).unwrap();
        for dtype in FLOATS {
            let t = base.to_dtype(dtype).unwrap();
            assert_eq!(t.dtype(), dtype);
            assert_eq!(to_host_f32("w", &t).unwrap(), values, "{dtype:?}");
            let h = tensor_histogram(&t, 64).unwrap().unwrap();
            assert_eq!(h, want, "{dtype:?}");
            assert_eq!(h.total(), 1000);
        }
    }

    #[test]
    fn half_precision_values_are_binned_after_rounding_to_the_dtype() {
        // 0.1 is not representable: each dtype bins its own rounded values.
        let values: Vec<f32> = (0..300).map(|i| i as f32 * 0.1 - 15.0).collect();
        let base = Tensor::from_vec(values.clone(), 300, &Device::Cpu).unwrap();
        for dtype in FLOATS {
            let t = base.to_dtype(dtype).unwrap();
            let rounded: Vec<f32> = t
                .to_dtype(DType::F64)
                .unwrap()
                .to_vec1::<f64>()
                .unwrap()
                .into_iter()
                .map(|v| v as f32)
                .collect();
            let want = TensorHistogram::from_slice(&rounded, 64).unwrap();
            assert_eq!(
                tensor_histogram(&t, 64).unwrap().unwrap(),
                want,
                "{dtype:?}"
            );
        }
        // bf16 keeps 8 significant bits: its edges differ from f32's.
        let f32_h = tensor_histogram(&base, 64).unwrap().unwrap();
        let bf16_h = tensor_histogram(&base.to_dtype(DType::BF16).unwrap(), 64)
            .unwrap()
            .unwrap();
        assert_ne!(f32_h.bins, bf16_h.bins);
    }

    #[test]
    fn non_finite_values_are_dropped_in_every_dtype() {
        let mut values = exact_values(100);
        values[3] = f32::NAN;
        values[50] = f32::INFINITY;
        values[70] = f32::NEG_INFINITY;
        let base = Tensor::from_vec(values, 100, &Device::Cpu).unwrap();
        for dtype in FLOATS {
            let h = tensor_histogram(&base.to_dtype(dtype).unwrap(), 64)
                .unwrap()
                .unwrap();
            assert_eq!(h.total(), 97, "{dtype:?}");
        }
        let all_nan = Tensor::from_vec(vec![f32::NAN; 8], 8, &Device::Cpu).unwrap();
        for dtype in FLOATS {
            let t = all_nan.to_dtype(dtype).unwrap();
            assert_eq!(tensor_histogram(&t, 64).unwrap(), None, "{dtype:?}");
        }
    }

    #[test]
    fn strided_and_offset_views_read_their_own_values() {
        let values = exact_values(24);
        let t = Tensor::from_vec(values.clone(), (4, 6), &Device::Cpu).unwrap();
        // A transposed view is not contiguous: copied in its own row-major order.
        let tt = t.t().unwrap();
        assert!(!tt.is_contiguous());
        let want: Vec<f32> = (0..6)
            .flat_map(|c| (0..4).map(move |r| (r, c)))
            .map(|(r, c)| values[r * 6 + c])
            .collect();
        assert_eq!(to_host_f32("t", &tt).unwrap(), want);
        assert_eq!(
            with_host_f32("t", &tt, &mut Vec::new(), <[f32]>::to_vec).unwrap(),
            want
        );
        // A row range is contiguous with an offset: read in place.
        let rows = t.narrow(0, 1, 2).unwrap();
        assert!(rows.is_contiguous());
        let in_place = with_host_f32("r", &rows, &mut Vec::new(), <[f32]>::to_vec).unwrap();
        assert_eq!(in_place, values[6..18].to_vec());
        assert_eq!(to_host_f32("r", &rows).unwrap(), in_place);
    }

    #[test]
    fn a_reused_buffer_is_replaced_not_appended_to() {
        let values = exact_values(50);
        let base = Tensor::from_vec(values.clone(), (5, 10), &Device::Cpu).unwrap();
        let mut buf = vec![9.0f32; 1000];
        for dtype in FLOATS {
            let t = base.to_dtype(dtype).unwrap();
            read_f32_into("w", &t, &mut buf).unwrap();
            assert_eq!(buf, values, "{dtype:?}");
            let tt = t.t().unwrap();
            read_f32_into("w", &tt, &mut buf).unwrap();
            assert_eq!(
                buf,
                to_host_f32("w", &base.t().unwrap()).unwrap(),
                "{dtype:?}"
            );
        }
        assert!(buf.capacity() >= 1000);
    }

    #[test]
    fn integer_tensors_are_converted_too() {
        let t = Tensor::new(&[1u8, 2, 2, 3, 3, 3], &Device::Cpu).unwrap();
        let h = tensor_histogram(&t, 3).unwrap().unwrap();
        assert_eq!(h.values, vec![1, 2, 3]);
        let want = TensorHistogram::from_slice(&[1.0, 2.0, 2.0, 3.0, 3.0, 3.0], 3).unwrap();
        assert_eq!(h, want);
    }
}
