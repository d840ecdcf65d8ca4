//! ProxMO's episode-level modulation, the polarized signal controller
//! (docs/estimators.md, section 3.3).

/// PSC knobs: weights lie in `[1 - beta / 2, 1 + beta / 2]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Psc {
    pub alpha: f64,
    pub beta: f64,
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

impl Psc {
    /// The paper's default strength.
    pub const PAPER_BETA: f64 = 0.1;

    /// The released code derives beta from a target range: `0.05 / (s(1) - 0.5)`.
    pub fn reference_beta() -> f64 {
        0.05 / (sigmoid(1.0) - 0.5)
    }

    /// Weight of an outcome in a group with success rate `p` (clamped to [0, 1]).
    /// Rare successes (small p) are amplified; failures on easy tasks (large p) are damped.
    pub fn weight(&self, p: f64, succeeded: bool) -> f64 {
        let p = p.clamp(0.0, 1.0);
        if succeeded {
            1.0 + self.beta * (sigmoid((1.0 - p).powf(self.alpha)) - 0.5)
        } else {
            1.0 + self.beta * (sigmoid(-p.powf(self.alpha)) - 0.5)
        }
    }
}
