//! Host copies of tensors of every float dtype, and their `watch`
//! histograms checked against libtorch's own `histc` and `linspace` (what
//! the official client calls on the float32 cast of the tensor).

use tch::{Device, Kind, Tensor};
use wandb_callbacks::TensorHistogram;
use wandb_tch::host::{is_histogrammable, to_host_f32, with_host_f32_in};

fn f32_values(t: &Tensor) -> Vec<f32> {
    let flat = t.to_kind(Kind::Float).reshape([-1]);
    Vec::<f32>::try_from(&flat).unwrap()
}

#[test]
fn every_float_dtype_is_copied_as_its_f32_cast() {
    tch::manual_seed(1);
    let base = Tensor::randn([7, 5], (Kind::Double, Device::Cpu)) * 3.0;
    for kind in [Kind::Half, Kind::BFloat16, Kind::Float, Kind::Double] {
        let t = base.to_kind(kind);
        let host = to_host_f32(&t).unwrap().expect("a float tensor has values");
        assert_eq!(host.len(), 35, "{kind:?}");
        assert_eq!(host, f32_values(&t), "{kind:?}");
    }
    // Integers and bools are cast like the official client's float32 cast.
    let ints = Tensor::from_slice(&[3i64, -2, 7]);
    assert_eq!(to_host_f32(&ints).unwrap().unwrap(), [3.0, -2.0, 7.0]);
    let bools = Tensor::from_slice(&[true, false]);
    assert_eq!(to_host_f32(&bools).unwrap().unwrap(), [1.0, 0.0]);
}

#[test]
fn host_conversion_into_a_reused_buffer_equals_libtorchs_f32_cast() {
    tch::manual_seed(2);
    let base = Tensor::randn([70_001], (Kind::Double, Device::Cpu)) * 5.0;
    let mut scratch = vec![42.0f32; 3]; // stale contents are replaced
    for kind in [
        Kind::Half,
        Kind::BFloat16,
        Kind::Float,
        Kind::Double,
        Kind::Int64,
    ] {
        for t in [
            base.to_kind(kind),
            base.to_kind(kind).slice(0, 1, 70_001, 7),
        ] {
            let got = with_host_f32_in(&t, &mut scratch, |v| v.to_vec())
                .unwrap()
                .unwrap();
            assert_eq!(got, f32_values(&t), "{kind:?} {:?}", t.size());
            let h = with_host_f32_in(&t, &mut scratch, |v| TensorHistogram::from_slice(v, 64))
                .unwrap()
                .unwrap();
            assert_eq!(
                h,
                TensorHistogram::from_slice(&f32_values(&t), 64),
                "{kind:?}"
            );
        }
    }
    assert_eq!(
        with_host_f32_in(
            &Tensor::zeros([0], (Kind::Half, Device::Cpu)),
            &mut scratch,
            |v| v.len()
        )
        .unwrap(),
        Some(0)
    );
}

#[test]
fn non_contiguous_tensors_are_copied_in_logical_order() {
    let t = Tensor::from_slice(&[1f32, 2., 3., 4., 5., 6.]).reshape([2, 3]);
    let tt = t.tr(); // [[1,4],[2,5],[3,6]], not contiguous
    assert!(!tt.is_contiguous());
    assert_eq!(to_host_f32(&tt).unwrap().unwrap(), [1., 4., 2., 5., 3., 6.]);
    let strided = Tensor::arange(10, (Kind::Double, Device::Cpu)).slice(0, 1, 10, 3);
    assert_eq!(to_host_f32(&strided).unwrap().unwrap(), [1., 4., 7.]);
}

#[test]
fn undefined_and_complex_tensors_have_no_values() {
    // A parameter that took no part in the loss has an undefined gradient.
    let p = Tensor::ones([3], (Kind::Float, Device::Cpu)).set_requires_grad(true);
    assert!(!p.grad().defined());
    assert_eq!(to_host_f32(&p.grad()).unwrap(), None);
    let c = Tensor::ones([2], (Kind::ComplexFloat, Device::Cpu));
    assert!(!is_histogrammable(c.kind()));
    assert_eq!(to_host_f32(&c).unwrap(), None);
    for kind in [
        Kind::Half,
        Kind::BFloat16,
        Kind::Float,
        Kind::Double,
        Kind::Int64,
    ] {
        assert!(is_histogrammable(kind), "{kind:?}");
    }
}

/// libtorch's histogram of the float32 cast: `histc(64)` over [min, max]
/// and `linspace(min, max, 65)` in float32.
fn torch_histogram(t: &Tensor) -> (Vec<u64>, Vec<f32>) {
    let f = t.to_kind(Kind::Float).reshape([-1]);
    let counts = Vec::<f32>::try_from(&f.histc(64)).unwrap();
    let (min, max) = (f.min().double_value(&[]), f.max().double_value(&[]));
    let edges = Tensor::linspace(min, max, 65, (Kind::Float, Device::Cpu));
    (
        counts.into_iter().map(|c| c as u64).collect(),
        Vec::<f32>::try_from(&edges).unwrap(),
    )
}

#[test]
fn histograms_of_every_float_dtype_match_torch_histc_and_linspace() {
    for seed in 0..6 {
        tch::manual_seed(seed);
        // Wide and narrow ranges, skewed data, a large tensor (parallel path).
        let base = match seed {
            0 => Tensor::randn([4096], (Kind::Double, Device::Cpu)),
            1 => Tensor::randn([300, 7], (Kind::Double, Device::Cpu)) * 1e-3 + 0.5,
            2 => Tensor::rand([1000], (Kind::Double, Device::Cpu)).exp() * 100.0,
            3 => Tensor::randn([3_000_000], (Kind::Double, Device::Cpu)),
            4 => Tensor::randint(5, [999], (Kind::Double, Device::Cpu)) - 2.0,
            _ => Tensor::randn([17], (Kind::Double, Device::Cpu)) * 1e4,
        };
        for kind in [Kind::Half, Kind::BFloat16, Kind::Float, Kind::Double] {
            let t = base.to_kind(kind);
            let host = to_host_f32(&t).unwrap().unwrap();
            let ours = TensorHistogram::from_slice(&host, 64).unwrap();
            let (counts, edges) = torch_histogram(&t);
            assert_eq!(ours.values, counts, "seed {seed} {kind:?}: counts");
            assert_eq!(ours.bins, edges, "seed {seed} {kind:?}: edges");
            assert_eq!(ours.total(), t.numel() as u64);
        }
    }
}
