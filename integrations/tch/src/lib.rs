//! wandb-rs integration for [tch](https://docs.rs/tch) 0.26 (libtorch 2.13).
//!
//! - [`watch`]: gradient and parameter histograms of a `VarStore`'s
//!   variables, keyed by their names (`lstm.weight_ih_l0`), with the official
//!   client's rules (keys, 64 bins, `log_freq`, `graph_<n>` prefix; see
//!   `wandb_callbacks::watch`). Call [`Watcher::after_backward`] once per
//!   training step.
//! - [`var_store_checkpoint`]: a `ModelCheckpoint` callback that saves the
//!   `VarStore` with `vs.save` semantics (safetensors or libtorch format).
//! - The keras-like callbacks of `wandb-callbacks` drive a hand-written tch
//!   loop through `wandb_callbacks::CallbackDriver` (tch has no trainer).
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use tch::nn::{self, Module, OptimizerConfig};
//! let run = wandb_core::init(wandb_core::InitOptions::new().project("demo"))?;
//! let vs = nn::VarStore::new(tch::Device::Cpu);
//! let net = nn::linear(vs.root() / "fc", 3, 1, Default::default());
//! let mut opt = nn::Sgd::default().build(&vs, 1e-2)?;
//! let watcher = wandb_tch::watch(&run, &vs, wandb_tch::WatchOptions::new().log_freq(100));
//! for _ in 0..1000 {
//!     let x = tch::Tensor::randn([8, 3], (tch::Kind::Float, tch::Device::Cpu));
//!     let loss = net.forward(&x).pow_tensor_scalar(2).mean(None);
//!     opt.backward_step(&loss);
//!     watcher.after_backward()?;
//!     run.log(wandb_core::row! {"loss" => loss.double_value(&[])})?;
//! }
//! # Ok(()) }
//! ```
#![warn(missing_docs)]

mod checkpoint;
mod error;
pub mod host;
mod watch;

pub use checkpoint::{save_var_store, var_store_checkpoint};
pub use error::WandbTchError;
pub use watch::{watch, Watcher};

pub use tch;
pub use wandb_callbacks::{
    CallbackDriver, CallbackList, EarlyStopping, LearningRateLogger, Metrics, Mode,
    ModelCheckpoint, WandbCallback, WatchLog, WatchOptions,
};
