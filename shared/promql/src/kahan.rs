//! Kahan–Neumaier compensated summation, as Prometheus `kahanSumInc`.

/// Adds `inc` to `sum` with compensation `c`; returns the new `(sum, c)`.
pub(crate) use lakewatch_model::histogram::kahan_inc as inc;

/// Compensated sum of `xs` (Prometheus `sum_over_time`).
pub(crate) fn sum(xs: impl IntoIterator<Item = f64>) -> f64 {
    let (mut s, mut c) = (0.0, 0.0);
    for x in xs {
        (s, c) = inc(x, s, c);
    }
    if s.is_infinite() {
        s
    } else {
        s + c
    }
}

/// Mean with Kahan summation, falling back to incremental mean on overflow
/// (Prometheus `avg_over_time` and `avg`).
pub(crate) fn mean(xs: &[f64]) -> f64 {
    let Some(&first) = xs.first() else {
        return f64::NAN;
    };
    let (mut sum, mut count, mut mean, mut c) = (first, 1.0f64, 0.0f64, 0.0f64);
    let mut incremental = false;
    for &f in &xs[1..] {
        count += 1.0;
        if !incremental {
            let (ns, nc) = inc(f, sum, c);
            if !ns.is_infinite() {
                sum = ns;
                c = nc;
                continue;
            }
            incremental = true;
            mean = sum / (count - 1.0);
            c /= count - 1.0;
        }
        let q = (count - 1.0) / count;
        (mean, c) = inc(f / count, q * mean, q * c);
    }
    if incremental {
        mean + c
    } else {
        sum / count + c / count
    }
}

/// Population variance with compensated running mean (Prometheus `stdvar_over_time`).
pub(crate) fn variance(xs: &[f64]) -> f64 {
    let (mut count, mut mean, mut cm, mut aux, mut ca) = (0.0f64, 0.0, 0.0, 0.0, 0.0);
    for &f in xs {
        count += 1.0;
        let delta = f - (mean + cm);
        (mean, cm) = inc(delta / count, mean, cm);
        (aux, ca) = inc(delta * (f - (mean + cm)), aux, ca);
    }
    (aux + ca) / count
}
