//! `proxmo stages`: not built yet.

#[derive(clap::Args, Debug)]
pub struct StagesArgs {}

pub fn run(_args: StagesArgs) -> anyhow::Result<u8> {
    anyhow::bail!("`proxmo stages` is not built yet")
}
