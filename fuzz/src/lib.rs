//! Seeded mutation fuzzing of wandb-rs's parsers on stable Rust.
//!
//! [`mutate::Mutator`] derives inputs from seed files (bit flips,
//! truncation, splices, inserted or duplicated chunks, interesting integers
//! as length fields, dictionary tokens); [`harness::fuzz`] feeds them to a
//! target on a worker thread and fails on the first panic, on an input that
//! takes longer than a time bound (a hang) and on an input whose peak heap
//! use exceeds a bound proportional to its size ([`alloc`]). The targets are
//! in [`targets`]; `tests/fuzz.rs` runs each one (see docs/fuzzing.md).

pub mod alloc;
pub mod fixup;
pub mod harness;
pub mod mutate;
pub mod targets;
