//! NVIDIA GPU metrics (`gpu.{i}.*`, `gpu.process.{i}.*`) and inventory.
//!
//! The readings are plain data ([`GpuReading`]) turned into keys by
//! [`push_reading`], so the naming is tested without a GPU. Reading them
//! needs the `gpu` cargo feature: NVML (`libnvidia-ml.so` / `nvml.dll`) is
//! then opened at run time, and a machine without the NVIDIA driver simply
//! has no GPU metrics.

use super::Sample;

/// One device's values from one sampling round. `None` = not supported by
/// this device or driver (the key is left out, as the official client does).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GpuReading {
    /// GPU utilisation, %.
    pub gpu: Option<f64>,
    /// Memory controller utilisation, %.
    pub memory: Option<f64>,
    /// Used device memory, bytes.
    pub memory_used: Option<u64>,
    /// Total device memory, bytes.
    pub memory_total: Option<u64>,
    /// Temperature, °C.
    pub temp: Option<f64>,
    /// Power draw, W.
    pub power_watts: Option<f64>,
    /// Enforced power limit, W.
    pub power_limit_watts: Option<f64>,
    /// SM clock, MHz.
    pub sm_clock: Option<f64>,
    /// Memory clock, MHz.
    pub memory_clock: Option<f64>,
    /// Graphics clock, MHz.
    pub graphics_clock: Option<f64>,
    /// Corrected ECC errors (volatile).
    pub corrected_memory_errors: Option<f64>,
    /// Uncorrected ECC errors (volatile).
    pub uncorrected_memory_errors: Option<f64>,
    /// Fan speed, % of maximum.
    pub fan_speed: Option<f64>,
    /// Encoder utilisation, %.
    pub encoder_utilization: Option<f64>,
    /// Current PCIe link generation.
    pub pcie_link_gen: Option<f64>,
    /// Current PCIe link speed as NVML reports it (MB/s).
    pub pcie_link_speed: Option<f64>,
    /// Current PCIe link width (lanes).
    pub pcie_link_width: Option<f64>,
    /// Maximum PCIe link generation.
    pub max_pcie_link_gen: Option<f64>,
    /// Maximum PCIe link width.
    pub max_pcie_link_width: Option<f64>,
    /// Whether the monitored process uses this GPU (adds `gpu.process.{i}.*`).
    pub used_by_process: bool,
}

/// Appends the official keys of GPU `index` to `out`.
pub fn push_reading(index: usize, r: &GpuReading, out: &mut Sample) {
    let mut vals: Vec<(&str, f64)> = Vec::with_capacity(24);
    fn put(vals: &mut Vec<(&'static str, f64)>, k: &'static str, v: Option<f64>) {
        if let Some(v) = v {
            vals.push((k, v));
        }
    }
    put(&mut vals, "gpu", r.gpu);
    put(&mut vals, "memory", r.memory);
    if let (Some(used), Some(total)) = (r.memory_used, r.memory_total) {
        if total > 0 {
            put(
                &mut vals,
                "memoryAllocated",
                Some(used as f64 / total as f64 * 100.0),
            );
        }
    }
    put(
        &mut vals,
        "memoryAllocatedBytes",
        r.memory_used.map(|b| b as f64),
    );
    put(&mut vals, "temp", r.temp);
    put(&mut vals, "powerWatts", r.power_watts);
    put(&mut vals, "enforcedPowerLimitWatts", r.power_limit_watts);
    if let (Some(p), Some(l)) = (r.power_watts, r.power_limit_watts) {
        if l > 0.0 {
            put(&mut vals, "powerPercent", Some(p / l * 100.0));
        }
    }
    // Keys that also exist per process come first: the process copy below
    // repeats exactly these.
    let process_keys = vals.len();
    put(&mut vals, "smClock", r.sm_clock);
    put(&mut vals, "memoryClock", r.memory_clock);
    put(&mut vals, "graphicsClock", r.graphics_clock);
    put(
        &mut vals,
        "correctedMemoryErrors",
        r.corrected_memory_errors,
    );
    put(
        &mut vals,
        "uncorrectedMemoryErrors",
        r.uncorrected_memory_errors,
    );
    put(&mut vals, "fanSpeed", r.fan_speed);
    put(&mut vals, "encoderUtilization", r.encoder_utilization);
    put(&mut vals, "pcieLinkGen", r.pcie_link_gen);
    put(&mut vals, "pcieLinkSpeed", r.pcie_link_speed);
    put(&mut vals, "pcieLinkWidth", r.pcie_link_width);
    put(&mut vals, "maxPcieLinkGen", r.max_pcie_link_gen);
    put(&mut vals, "maxPcieLinkWidth", r.max_pcie_link_width);
    for (k, v) in &vals {
        out.push(format!("gpu.{index}.{k}"), *v);
    }
    if r.used_by_process {
        for (k, v) in &vals[..process_keys] {
            out.push(format!("gpu.process.{index}.{k}"), *v);
        }
    }
}

#[cfg(feature = "gpu")]
pub use nvml::{inventory, NvmlSource};

#[cfg(feature = "gpu")]
mod nvml {
    use nvml_wrapper::enum_wrappers::device::{Clock, EccCounter, MemoryError, TemperatureSensor};
    use nvml_wrapper::{Device, Nvml};

    use super::{push_reading, GpuReading};
    use crate::proto;
    use crate::system::{MetricSource, Sample};

    /// Samples every NVIDIA GPU through NVML.
    pub struct NvmlSource {
        nvml: Nvml,
        count: u32,
        pid: u32,
    }

    impl NvmlSource {
        /// Opens NVML; `None` when the driver library is missing or there is
        /// no GPU. `pid` is the monitored process.
        pub fn new(pid: u32) -> Option<Self> {
            let nvml = Nvml::init()
                .map_err(|e| tracing::debug!("no NVIDIA GPU metrics: {e}"))
                .ok()?;
            let count = nvml.device_count().ok().filter(|&c| c > 0)?;
            Some(Self { nvml, count, pid })
        }
    }

    fn read(dev: &Device<'_>, pid: u32) -> GpuReading {
        let f = |v: Result<u32, _>| v.ok().map(f64::from);
        let util = dev.utilization_rates().ok();
        let mem = dev.memory_info().ok();
        let uses = |procs: Result<Vec<nvml_wrapper::struct_wrappers::device::ProcessInfo>, _>| {
            procs
                .map(|ps| ps.iter().any(|p| p.pid == pid))
                .unwrap_or(false)
        };
        GpuReading {
            gpu: util.as_ref().map(|u| f64::from(u.gpu)),
            memory: util.as_ref().map(|u| f64::from(u.memory)),
            memory_used: mem.as_ref().map(|m| m.used),
            memory_total: mem.as_ref().map(|m| m.total),
            temp: f(dev.temperature(TemperatureSensor::Gpu)),
            power_watts: f(dev.power_usage()).map(|mw| mw / 1000.0),
            power_limit_watts: f(dev.enforced_power_limit()).map(|mw| mw / 1000.0),
            sm_clock: f(dev.clock_info(Clock::SM)),
            memory_clock: f(dev.clock_info(Clock::Memory)),
            graphics_clock: f(dev.clock_info(Clock::Graphics)),
            corrected_memory_errors: dev
                .total_ecc_errors(MemoryError::Corrected, EccCounter::Volatile)
                .ok()
                .map(|v| v as f64),
            uncorrected_memory_errors: dev
                .total_ecc_errors(MemoryError::Uncorrected, EccCounter::Volatile)
                .ok()
                .map(|v| v as f64),
            fan_speed: f(dev.fan_speed(0)),
            encoder_utilization: dev
                .encoder_utilization()
                .ok()
                .map(|u| f64::from(u.utilization)),
            pcie_link_gen: f(dev.current_pcie_link_gen()),
            pcie_link_speed: f(dev.pcie_link_speed()),
            pcie_link_width: f(dev.current_pcie_link_width()),
            max_pcie_link_gen: f(dev.max_pcie_link_gen()),
            max_pcie_link_width: f(dev.max_pcie_link_width()),
            used_by_process: uses(dev.running_compute_processes())
                || uses(dev.running_graphics_processes()),
        }
    }

    impl MetricSource for NvmlSource {
        fn name(&self) -> &str {
            "nvidia"
        }

        fn sample(&mut self, out: &mut Sample) {
            for i in 0..self.count {
                if let Ok(dev) = self.nvml.device_by_index(i) {
                    push_reading(i as usize, &read(&dev, self.pid), out);
                }
            }
        }
    }

    /// Static GPU facts for the `environment` record: `gpu_nvidia[]`,
    /// `gpu_count`, `gpu` (the first device's name) and `cuda_version`.
    /// Leaves `env` untouched when NVML is unavailable.
    pub fn inventory(env: &mut proto::EnvironmentRecord) {
        let Ok(nvml) = Nvml::init() else { return };
        let Ok(count) = nvml.device_count() else {
            return;
        };
        for i in 0..count {
            let Ok(dev) = nvml.device_by_index(i) else {
                continue;
            };
            env.gpu_nvidia.push(proto::GpuNvidiaInfo {
                name: dev.name().unwrap_or_default(),
                memory_total: dev.memory_info().map(|m| m.total).unwrap_or(0),
                cuda_cores: dev.num_cores().unwrap_or(0),
                architecture: dev
                    .architecture()
                    .map(|a| a.to_string())
                    .unwrap_or_default(),
                uuid: dev.uuid().unwrap_or_default(),
                pci_bus_id: dev.pci_info().map(|p| p.bus_id).unwrap_or_default(),
                numa_node: dev.numa_node_id().ok(),
            });
        }
        if let Some(first) = env.gpu_nvidia.first() {
            env.gpu_type = first.name.clone();
        }
        env.gpu_count = env.gpu_nvidia.len() as u32;
        if let Ok(v) = nvml.sys_cuda_driver_version() {
            env.cuda_version = format!(
                "{}.{}",
                nvml_wrapper::cuda_driver_version_major(v),
                nvml_wrapper::cuda_driver_version_minor(v)
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_follow_the_official_names() {
        let r = GpuReading {
            gpu: Some(97.0),
            memory: Some(40.0),
            memory_used: Some(1 << 30),
            memory_total: Some(4 << 30),
            temp: Some(61.0),
            power_watts: Some(250.5),
            power_limit_watts: Some(500.0),
            sm_clock: Some(1980.0),
            pcie_link_gen: Some(5.0),
            used_by_process: true,
            ..Default::default()
        };
        let mut s = Sample::new();
        push_reading(1, &r, &mut s);
        assert_eq!(s.get("gpu.1.gpu"), Some(97.0));
        assert_eq!(s.get("gpu.1.memoryAllocated"), Some(25.0));
        assert_eq!(
            s.get("gpu.1.memoryAllocatedBytes"),
            Some((1u64 << 30) as f64)
        );
        assert_eq!(s.get("gpu.1.powerPercent"), Some(50.1));
        assert_eq!(s.get("gpu.1.smClock"), Some(1980.0));
        assert_eq!(s.get("gpu.1.pcieLinkGen"), Some(5.0));
        assert_eq!(s.get("gpu.process.1.gpu"), Some(97.0));
        assert_eq!(s.get("gpu.process.1.powerPercent"), Some(50.1));
        assert_eq!(s.get("gpu.process.1.smClock"), None);
        assert_eq!(
            s.get("gpu.1.fanSpeed"),
            None,
            "unsupported values are left out"
        );
    }

    /// Runs on any machine: without an NVIDIA driver there is simply no
    /// source and no inventory; with one, every GPU reports `gpu.{i}.*`.
    #[cfg(feature = "gpu")]
    #[test]
    fn real_machine_nvml_or_nothing() {
        use crate::system::MetricSource;
        let mut env = crate::proto::EnvironmentRecord::default();
        inventory(&mut env);
        match NvmlSource::new(std::process::id()) {
            None => assert!(env.gpu_nvidia.is_empty() && env.gpu_count == 0),
            Some(mut src) => {
                let mut s = Sample::new();
                src.sample(&mut s);
                assert!(s.get("gpu.0.memoryAllocatedBytes").is_some(), "{s:?}");
                assert_eq!(env.gpu_count as usize, env.gpu_nvidia.len());
                assert!(!env.gpu_type.is_empty());
            }
        }
    }

    #[test]
    fn no_process_keys_when_the_gpu_is_not_ours() {
        let r = GpuReading {
            gpu: Some(1.0),
            ..Default::default()
        };
        let mut s = Sample::new();
        push_reading(0, &r, &mut s);
        assert_eq!(s.items().len(), 1);
    }
}
