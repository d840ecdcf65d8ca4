//! `proxmo graph`: not built yet.

#[derive(clap::Args, Debug)]
pub struct GraphArgs {}

pub fn run(_args: GraphArgs) -> anyhow::Result<u8> {
    anyhow::bail!("`proxmo graph` is not built yet")
}
