//! Compiles `proto/tensorboard_events.proto` with protox (pure Rust, no
//! system `protoc`) and prost. The descriptor set is kept in OUT_DIR so a
//! test can compare our field numbers with the official descriptors.
use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=proto/tensorboard_events.proto");
    let fds = protox::compile(["tensorboard_events.proto"], ["proto"])?;
    let out = PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(
        out.join("tensorboard_events.fds.bin"),
        prost::Message::encode_to_vec(&fds),
    )?;
    prost_build::Config::new().compile_fds(fds)?;
    Ok(())
}
