//! Host copies of tch tensors for histograms: any device, any float dtype.

use tch::{Device, Kind, TchError, Tensor};

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

/// Calls `f` with the values of `tensor` as host `f32` (row-major), like
/// [`to_host_f32`] but without copying when the tensor already is a
/// contiguous `f32` CPU tensor: `f` then reads libtorch's buffer in place.
/// Otherwise see [`with_host_f32_in`] (here with a fresh buffer).
/// `Ok(None)` (and `f` is not called) as for [`to_host_f32`].
///
/// Like `Tensor::copy_data`, this reads the tensor's memory while it runs:
/// do not update the tensor from another thread meanwhile.
pub fn with_host_f32<R>(
    tensor: &Tensor,
    f: impl FnOnce(&[f32]) -> R,
) -> Result<Option<R>, TchError> {
    with_host_f32_in(tensor, &mut Vec::new(), f)
}

/// [`with_host_f32`] converting into `scratch` when a conversion is needed:
/// f16, bf16 (exactly, vectorised) and f64 (rounded to nearest) are read
/// from libtorch's buffer and converted on the host into `scratch`, whose
/// allocation is reused from call to call (a fresh 40 MB tensor per step
/// costs more in page faults than the conversion); a contiguous f32 CPU
/// tensor is read in place; other kinds are cast by libtorch. A tensor on
/// another device is moved to the CPU first (an f64 one cast to f32 there
/// first, which halves the bytes moved).
pub fn with_host_f32_in<R>(
    tensor: &Tensor,
    scratch: &mut Vec<f32>,
    f: impl FnOnce(&[f32]) -> R,
) -> Result<Option<R>, TchError> {
    if !tensor.defined() || !is_histogrammable(tensor.f_kind()?) {
        return Ok(None);
    }
    let mut t = tensor.f_detach()?;
    if t.device() != Device::Cpu {
        if t.f_kind()? == Kind::Double {
            t = t.f_to_kind(Kind::Float)?;
        }
        t = t.f_to_device(Device::Cpu)?;
    }
    if !matches!(
        t.f_kind()?,
        Kind::Float | Kind::Half | Kind::BFloat16 | Kind::Double
    ) {
        t = t.f_to_kind(Kind::Float)?;
    }
    let t = t.f_contiguous()?;
    let numel = t.numel();
    let ptr = t.data_ptr();
    if numel == 0 || ptr.is_null() {
        return Ok(Some(f(&[])));
    }
    // SAFETY (every arm): `t` is a contiguous CPU tensor of the matched
    // kind (made so above) with `numel` elements; `data_ptr` points at its
    // first element (storage offset included), aligned for the element type
    // by libtorch's allocator and element size (`half::f16`/`half::bf16`
    // are `repr(transparent)` over the same 16 bits libtorch stores). `t`
    // owns a reference to the storage and outlives the slice, which does
    // not escape this function. Nothing in this crate writes the storage
    // meanwhile (the same contract as tch's safe `copy_data`, which reads
    // it with memcpy).
    let values: &[f32] = match t.f_kind()? {
        Kind::Float => unsafe { std::slice::from_raw_parts(ptr as *const f32, numel) },
        Kind::Half => {
            let src = unsafe { std::slice::from_raw_parts(ptr as *const half::f16, numel) };
            convert_halves(src, scratch)
        }
        Kind::BFloat16 => {
            let src = unsafe { std::slice::from_raw_parts(ptr as *const half::bf16, numel) };
            convert_halves(src, scratch)
        }
        _ => {
            let src = unsafe { std::slice::from_raw_parts(ptr as *const f64, numel) };
            scratch.clear();
            scratch.extend(src.iter().map(|&x| x as f32));
            scratch
        }
    };
    Ok(Some(f(values)))
}

/// `src` converted to f32 into `out` (its contents replaced).
fn convert_halves<'a, H>(src: &[H], out: &'a mut Vec<f32>) -> &'a [f32]
where
    [H]: half::slice::HalfFloatSliceExt,
{
    use half::slice::HalfFloatSliceExt as _;
    if out.len() != src.len() {
        out.clear();
        out.resize(src.len(), 0.0);
    }
    src.convert_to_f32_slice(out);
    out
}
