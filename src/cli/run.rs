//! `proxmo run`: not built yet.

#[derive(clap::Args, Debug)]
pub struct RunArgs {}

pub fn run(_args: RunArgs) -> anyhow::Result<u8> {
    anyhow::bail!("`proxmo run` is not built yet")
}
