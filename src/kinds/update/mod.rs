//! `update.*` kinds: train the rollout's policy on the batch's advantages.

pub mod pg;
pub mod ppo;
pub mod sft;
