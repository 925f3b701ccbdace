//! Host copies of tch tensors for histograms: any device, any float dtype.

use tch::{Kind, TchError, Tensor};

/// Whether `watch` histograms tensors of this dtype: every real kind
/// (floats of any width, integers, bool are cast to `f32`, as the official
/// client casts to float32); complex and quantized tensors are skipped.
pub fn is_histogrammable(kind: Kind) -> bool {
    !matches!(
        kind,
        Kind::ComplexHalf
            | Kind::ComplexFloat
            | Kind::ComplexDouble
            | Kind::QInt8
            | Kind::QUInt8
            | Kind::QInt32
    )
}

/// The values of `tensor` as host `f32`, flattened in row-major order:
/// detached, copied off its device, cast to `f32` (exact for f16 and bf16;
/// f64 is rounded to nearest, like torch's `.float()`). `Ok(None)` for an
/// undefined tensor (a parameter without a gradient) or a dtype
/// [`is_histogrammable`] rejects.
pub fn to_host_f32(tensor: &Tensor) -> Result<Option<Vec<f32>>, TchError> {
    if !tensor.defined() || !is_histogrammable(tensor.f_kind()?) {
        return Ok(None);
    }
    let t = tensor.f_detach()?;
    // Cast on the tensor's device first: a device-side cast moves half
    // the bytes of f64 (or the same for f16/bf16 as the f32 result would).
    let t = if t.f_kind()? == Kind::Float {
        t
    } else {
        t.f_to_kind(Kind::Float)?
    };
    let numel = t.numel();
    let mut out = vec![0f32; numel];
    // at_copy_data copies off the device and makes the data contiguous.
    t.f_copy_data(&mut out, numel)?;
    Ok(Some(out))
}
