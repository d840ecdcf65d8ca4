//! `source.*` kinds: step rows from outside, for advantages of another trainer's rollouts.

pub mod jsonl;
