//! `proxmo play`: not built yet.

#[derive(clap::Args, Debug)]
pub struct PlayArgs {}

pub fn run(_args: PlayArgs) -> anyhow::Result<u8> {
    anyhow::bail!("`proxmo play` is not built yet")
}
