//! Compiles `proto/wandb_internal.proto` with protox (pure Rust, no system
//! `protoc`) and prost. The file descriptor set is kept in OUT_DIR so the
//! schema test can compare our field numbers with the official descriptors.
use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=proto/wandb_internal.proto");
    let fds = protox::compile(["wandb_internal.proto"], ["proto"])?;
    let out = PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(
        out.join("wandb_internal.fds.bin"),
        prost::Message::encode_to_vec(&fds),
    )?;
    prost_build::Config::new().compile_fds(fds)?;
    Ok(())
}
