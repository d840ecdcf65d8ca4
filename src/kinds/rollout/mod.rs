//! `rollout.*` kinds.

pub mod group;
