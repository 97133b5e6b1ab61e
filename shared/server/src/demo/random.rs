//! Small random distributions on top of `rand` (no `rand_distr` dependency).

use rand::Rng;

/// A standard normal draw (Box–Muller).
pub fn std_normal(rng: &mut impl Rng) -> f64 {
    let u1: f64 = rng.random_range(f64::EPSILON..1.0);
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

/// A log-normal draw with the given median and log-space standard deviation `sigma`.
pub fn log_normal(rng: &mut impl Rng, median: f64, sigma: f64) -> f64 {
    median * (sigma * std_normal(rng)).exp()
}

/// A Poisson count with mean `lambda` (exact for small means, normal approximation above 30).
pub fn poisson(rng: &mut impl Rng, lambda: f64) -> u64 {
    if lambda <= 0.0 {
        return 0;
    }
    if lambda > 30.0 {
        let v = lambda + lambda.sqrt() * std_normal(rng);
        return v.round().max(0.0) as u64;
    }
    let limit = (-lambda).exp();
    let mut k = 0u64;
    let mut p = 1.0;
    loop {
        p *= rng.random::<f64>();
        if p <= limit {
            return k;
        }
        k += 1;
    }
}

/// Picks an index with probability proportional to `weights` (all ≥ 0, not all 0).
pub fn weighted(rng: &mut impl Rng, weights: &[f64]) -> usize {
    let total: f64 = weights.iter().sum();
    let mut x = rng.random::<f64>() * total;
    for (i, w) in weights.iter().enumerate() {
        if x < *w {
            return i;
        }
        x -= w;
    }
    weights.len().saturating_sub(1)
}

/// A random 128-bit trace id as 32 lowercase hex characters (W3C / OpenTelemetry form).
pub fn trace_id(rng: &mut impl Rng) -> String {
    format!("{:032x}", rng.random::<u128>())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn poisson_mean_is_close() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        for lambda in [0.5, 5.0, 200.0] {
            let n = 4000;
            let total: u64 = (0..n).map(|_| poisson(&mut rng, lambda)).sum();
            let mean = total as f64 / n as f64;
            assert!(
                (mean - lambda).abs() < lambda * 0.1 + 0.1,
                "{lambda} {mean}"
            );
        }
    }

    #[test]
    fn trace_ids_are_32_hex() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(2);
        let t = trace_id(&mut rng);
        assert_eq!(t.len(), 32);
        assert!(t.chars().all(|c| c.is_ascii_hexdigit()));
    }
}
