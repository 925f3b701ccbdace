//! Reading candle tensors back to the host as `f32`, and their histograms.

use candle_core::{CpuStorage, DType, Storage, Tensor};
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
/// row-major order. The dtype is converted on the tensor's device (f16,
/// bf16 and f32 exactly; f64 rounded to nearest), then the values are
/// copied to the host. `name` only labels the error.
pub fn to_host_f32(name: &str, t: &Tensor) -> Result<Vec<f32>, WandbCandleError> {
    let convert = || -> candle_core::Result<Vec<f32>> {
        t.to_dtype(DType::F32)?.flatten_all()?.to_vec1::<f32>()
    };
    convert().map_err(|e| read_error(name, t, e))
}

/// Calls `f` with the values of `t` as `f32`: without any copy for a
/// contiguous f32 tensor on the CPU (its storage is read in place), else
/// through [`to_host_f32`].
pub fn with_host_f32<R>(
    name: &str,
    t: &Tensor,
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
    let values = to_host_f32(name, t)?;
    Ok(f(&values))
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
    with_host_f32("tensor", t, |v| TensorHistogram::from_slice(v, num_bins))
}
