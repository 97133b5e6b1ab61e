//! A provider circuit breaker as AI gateways run them (closed → open after a burst of failed
//! calls, open → half-open after a cool-down, half-open → closed after successful probes or back
//! to open after a failed one), exported as `circuit_breaker_state` (0 closed, 1 half-open,
//! 2 open) and `circuit_breaker_trips_total` (closed → open transitions).

use rand::Rng;
use std::collections::VecDeque;

/// Steps of call history the closed breaker looks at (4 × 15 s = 1 minute).
pub const WINDOW_STEPS: usize = 4;
/// Failed calls in the window needed to open.
pub const MIN_FAILURES: u64 = 3;
/// Failed fraction of the window's calls needed to open.
pub const FAILURE_RATIO: f64 = 0.3;
/// Cool-down of an open breaker before it half-opens: 30–60 s (ms).
pub const COOL_DOWN_MS: std::ops::Range<i64> = 30_000..60_000;
/// Fraction of calls a half-open breaker lets through as probes.
pub const PROBE_FRACTION: f64 = 0.25;

/// Breaker state, with its `circuit_breaker_state` gauge value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Closed,
    HalfOpen,
    Open,
}

impl State {
    /// 0 closed, 1 half-open, 2 open.
    pub fn gauge(self) -> f64 {
        match self {
            State::Closed => 0.0,
            State::HalfOpen => 1.0,
            State::Open => 2.0,
        }
    }
}

/// One provider's breaker.
#[derive(Debug, Clone)]
pub struct Breaker {
    state: State,
    open_until_ms: i64,
    /// (calls, failures) of the current step.
    step: (u64, u64),
    /// (calls, failures) of the last [`WINDOW_STEPS`] finished steps.
    window: VecDeque<(u64, u64)>,
    trips: u64,
}

impl Default for Breaker {
    fn default() -> Self {
        Breaker {
            state: State::Closed,
            open_until_ms: 0,
            step: (0, 0),
            window: VecDeque::new(),
            trips: 0,
        }
    }
}

impl Breaker {
    /// Current state.
    pub fn state(&self) -> State {
        self.state
    }

    /// Closed → open transitions so far.
    pub fn trips(&self) -> u64 {
        self.trips
    }

    /// Whether a call may go to the provider: always when closed, never when open, a
    /// [`PROBE_FRACTION`] of calls when half-open.
    pub fn allow(&self, rng: &mut impl Rng) -> bool {
        match self.state {
            State::Closed => true,
            State::Open => false,
            State::HalfOpen => rng.random::<f64>() < PROBE_FRACTION,
        }
    }

    /// Records the outcome of a call that was allowed.
    pub fn record(&mut self, ok: bool) {
        self.step.0 += 1;
        if !ok {
            self.step.1 += 1;
        }
    }

    /// Ends the step at `t_ms` (ms since the epoch): applies the transitions.
    pub fn end_step(&mut self, t_ms: i64, rng: &mut impl Rng) {
        let (calls, failures) = std::mem::take(&mut self.step);
        self.window.push_back((calls, failures));
        while self.window.len() > WINDOW_STEPS {
            self.window.pop_front();
        }
        match self.state {
            State::Closed => {
                let (c, f) = self
                    .window
                    .iter()
                    .fold((0, 0), |(c, f), (a, b)| (c + a, f + b));
                if f >= MIN_FAILURES && f as f64 >= FAILURE_RATIO * c as f64 {
                    self.open(t_ms, rng);
                    self.trips += 1;
                }
            }
            State::Open => {
                if t_ms >= self.open_until_ms {
                    self.state = State::HalfOpen;
                }
            }
            State::HalfOpen => {
                if failures > 0 {
                    self.open(t_ms, rng);
                } else if calls > 0 {
                    self.state = State::Closed;
                    self.window.clear();
                }
            }
        }
    }

    fn open(&mut self, t_ms: i64, rng: &mut impl Rng) {
        self.state = State::Open;
        self.open_until_ms = t_ms + rng.random_range(COOL_DOWN_MS);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn opens_on_failures_half_opens_and_closes() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        let mut b = Breaker::default();
        for _ in 0..2 {
            b.record(true);
        }
        b.end_step(0, &mut rng);
        assert_eq!(b.state(), State::Closed);
        for ok in [false, false, false, true] {
            b.record(ok);
        }
        b.end_step(15_000, &mut rng);
        assert_eq!(b.state(), State::Open);
        assert_eq!(b.trips(), 1);
        assert!(!b.allow(&mut rng));
        b.end_step(30_000, &mut rng);
        assert_eq!(b.state(), State::Open);
        b.end_step(80_000, &mut rng);
        assert_eq!(b.state(), State::HalfOpen);
        // A failed probe re-opens without counting a trip.
        b.record(false);
        b.end_step(95_000, &mut rng);
        assert_eq!(b.state(), State::Open);
        assert_eq!(b.trips(), 1);
        b.end_step(160_000, &mut rng);
        assert_eq!(b.state(), State::HalfOpen);
        b.record(true);
        b.end_step(175_000, &mut rng);
        assert_eq!(b.state(), State::Closed);
        assert_eq!(b.state().gauge(), 0.0);
    }
}
