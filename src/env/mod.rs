//! Environments. Built-in ALFWorld and WebShop, and the bridge to external ones.

use crate::pipeline::schema::StageSchema;

/// The stage schemas of the environment kinds (`env.*`).
pub fn stage_schemas() -> Vec<StageSchema> {
    Vec::new()
}
