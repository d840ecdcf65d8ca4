//! The agent wrapper ProxMO and GiGPO trained with (verl-agent's): the prompt an LLM sees at
//! each step, and the projection of its free-text response onto an action
//! (docs/environments.md, "The shared agent wrapper").

pub mod compact;
pub mod projection;
pub mod prompt;
