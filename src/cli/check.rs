//! `proxmo check`: not built yet.

#[derive(clap::Args, Debug)]
pub struct CheckArgs {}

pub fn run(_args: CheckArgs) -> anyhow::Result<u8> {
    anyhow::bail!("`proxmo check` is not built yet")
}
