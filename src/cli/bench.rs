//! `proxmo bench`: not built yet.

#[derive(clap::Args, Debug)]
pub struct BenchArgs {}

pub fn run(_args: BenchArgs) -> anyhow::Result<u8> {
    anyhow::bail!("`proxmo bench` is not built yet")
}
