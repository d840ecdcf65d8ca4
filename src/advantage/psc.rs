//! ProxMO's episode-level modulation, the polarized signal controller
//! (docs/estimators.md, section 3.3).

/// PSC knobs: a success weighs `[1, 1 + beta * (s(1) - 0.5)]`, a failure
/// `[1 - beta * (s(1) - 0.5), 1]`, with `s(1) - 0.5 = 0.231`.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_stay_within_beta_times_s1_minus_half() {
        let psc = Psc {
            alpha: 4.0,
            beta: 0.1,
        };
        let half_width = 0.1 * (sigmoid(1.0) - 0.5);
        // The extremes: a lone success (p = 0) and a lone failure among successes (p = 1).
        assert!((psc.weight(0.0, true) - (1.0 + half_width)).abs() < 1e-15);
        assert!((psc.weight(1.0, false) - (1.0 - half_width)).abs() < 1e-15);
        for k in 0..=100 {
            let p = k as f64 / 100.0;
            let (win, loss) = (psc.weight(p, true), psc.weight(p, false));
            assert!((1.0..=1.0 + half_width).contains(&win), "p = {p}: {win}");
            assert!((1.0 - half_width..=1.0).contains(&loss), "p = {p}: {loss}");
        }
    }
}
