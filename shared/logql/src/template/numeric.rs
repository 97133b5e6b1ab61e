//! Number semantics the template functions borrow from Go libraries: `shopspring/decimal`
//! arithmetic behind Sprig's `addf`/`subf`/`mulf`/`divf`, Go's `time.ParseDuration` and
//! `go-humanize`'s `ParseBytes`.

/// A decimal `mantissa × 10^exp`, as `shopspring/decimal` builds from a float64.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Decimal {
    mantissa: i128,
    exp: i32,
}

/// `decimal.DivisionPrecision`: digits after the point kept by `Div`.
const DIVISION_PRECISION: i32 = 16;

impl Decimal {
    /// `decimal.NewFromFloat`: the shortest decimal that round-trips to `f`.
    pub fn from_f64(f: f64) -> Result<Decimal, String> {
        if !f.is_finite() {
            return Err(format!(
                "Cannot create a Decimal from {}",
                super::value::go_float(f)
            ));
        }
        let sci = format!("{f:e}");
        let (mant, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
        let exp: i32 = exp.parse().unwrap_or(0);
        let neg = mant.starts_with('-');
        let digits: String = mant.chars().filter(char::is_ascii_digit).collect();
        let frac_len = digits.len() as i32 - 1;
        let m: i128 = digits.parse().unwrap_or(0);
        Ok(Decimal {
            mantissa: if neg { -m } else { m },
            exp: exp - frac_len,
        })
    }

    /// `d.Float64()`: the float64 nearest to the decimal.
    pub fn to_f64(self) -> f64 {
        format!("{}e{}", self.mantissa, self.exp)
            .parse()
            .unwrap_or(f64::NAN)
    }

    fn rescale(self, exp: i32) -> Option<Decimal> {
        let mut m = self.mantissa;
        for _ in exp..self.exp {
            m = m.checked_mul(10)?;
        }
        Some(Decimal { mantissa: m, exp })
    }

    fn align(a: Decimal, b: Decimal) -> Option<(i128, i128, i32)> {
        let e = a.exp.min(b.exp);
        Some((a.rescale(e)?.mantissa, b.rescale(e)?.mantissa, e))
    }

    /// Exact sum (`None` when it overflows 38 digits).
    pub fn add(self, o: Decimal) -> Option<Decimal> {
        let (a, b, exp) = Decimal::align(self, o)?;
        Some(Decimal {
            mantissa: a.checked_add(b)?,
            exp,
        })
    }

    /// Exact difference.
    pub fn sub(self, o: Decimal) -> Option<Decimal> {
        self.add(Decimal {
            mantissa: -o.mantissa,
            exp: o.exp,
        })
    }

    /// Exact product.
    pub fn mul(self, o: Decimal) -> Option<Decimal> {
        Some(Decimal {
            mantissa: self.mantissa.checked_mul(o.mantissa)?,
            exp: self.exp + o.exp,
        })
    }

    /// `d.Div(o)`: quotient rounded half away from zero to 16 digits after the point.
    pub fn div(self, o: Decimal) -> Result<Option<Decimal>, String> {
        if o.mantissa == 0 {
            return Err("decimal division by 0".to_string());
        }
        // q × 10^16 = (ma × 10^(ea - eb + 16)) / mb
        let k = self.exp - o.exp + DIVISION_PRECISION;
        let (mut num, mut den) = (self.mantissa, o.mantissa);
        for _ in 0..k.max(0) {
            let Some(n) = num.checked_mul(10) else {
                return Ok(None);
            };
            num = n;
        }
        for _ in k.min(0)..0 {
            let Some(d) = den.checked_mul(10) else {
                return Ok(None);
            };
            den = d;
        }
        if den < 0 {
            num = -num;
            den = -den;
        }
        let q = num / den;
        let r = num % den;
        let q = if r.unsigned_abs() * 2 >= den.unsigned_abs() {
            q + num.signum()
        } else {
            q
        };
        Ok(Some(Decimal {
            mantissa: q,
            exp: -DIVISION_PRECISION,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::convert::{
        parse_bytes as parse_go_bytes, parse_duration as parse_go_duration,
    };

    #[test]
    fn decimal_ops_match_shopspring() {
        let d = |f| Decimal::from_f64(f).unwrap();
        assert_eq!(d(0.1).add(d(0.2)).unwrap().to_f64(), 0.3);
        assert_eq!(d(1.1).mul(d(3.0)).unwrap().to_f64(), 3.3);
        assert_eq!(
            d(10.0).div(d(3.0)).unwrap().unwrap().to_f64(),
            3.3333333333333335
        );
        assert_eq!(
            d(2.0).div(d(3.0)).unwrap().unwrap().to_f64(),
            0.6666666666666667
        );
        assert!(d(1.0).div(d(0.0)).is_err());
    }

    #[test]
    fn durations_and_bytes() {
        assert_eq!(parse_go_duration("1h30m"), Ok(5_400_000_000_000));
        assert_eq!(parse_go_duration("-1.5s"), Ok(-1_500_000_000));
        assert_eq!(parse_go_duration("2µs"), Ok(2_000));
        assert_eq!(
            parse_go_duration("1d"),
            Err("time: unknown unit \"d\" in duration \"1d\"".to_string())
        );
        assert_eq!(
            parse_go_duration("10"),
            Err("time: missing unit in duration \"10\"".to_string())
        );
        assert_eq!(parse_go_bytes("10 KB"), Ok(10_000));
        assert_eq!(parse_go_bytes("1.5MiB"), Ok(1_572_864));
        assert_eq!(parse_go_bytes("1,024"), Ok(1024));
        assert!(parse_go_bytes("12 parsecs").is_err());
    }
}
