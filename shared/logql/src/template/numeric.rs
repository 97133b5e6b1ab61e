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

fn go_quote(s: &str) -> String {
    format!("{s:?}")
}

/// Go's `time.ParseDuration`, in nanoseconds (`"1h30m"`, `"-1.5s"`, `"300ms"`, `"2µs"`).
pub(crate) fn parse_go_duration(orig: &str) -> Result<i64, String> {
    let invalid = || format!("time: invalid duration {}", go_quote(orig));
    let mut s = orig;
    let mut neg = false;
    if let Some(c) = s.chars().next() {
        if c == '-' || c == '+' {
            neg = c == '-';
            s = &s[1..];
        }
    }
    if s == "0" {
        return Ok(0);
    }
    if s.is_empty() {
        return Err(invalid());
    }
    let mut total: u64 = 0;
    while !s.is_empty() {
        let b = s.as_bytes();
        if !(b[0] == b'.' || b[0].is_ascii_digit()) {
            return Err(invalid());
        }
        let int_len = s.bytes().take_while(u8::is_ascii_digit).count();
        let mut v: u64 = 0;
        for c in s[..int_len].bytes() {
            v = v
                .checked_mul(10)
                .and_then(|v| v.checked_add(u64::from(c - b'0')))
                .filter(|v| *v <= 1 << 63)
                .ok_or_else(invalid)?;
        }
        s = &s[int_len..];
        let mut frac: u64 = 0;
        let mut scale = 1.0f64;
        let mut post = false;
        if let Some(rest) = s.strip_prefix('.') {
            let n = rest.bytes().take_while(u8::is_ascii_digit).count();
            let mut overflow = false;
            for c in rest[..n].bytes() {
                if overflow {
                    continue;
                }
                match frac
                    .checked_mul(10)
                    .and_then(|f| f.checked_add(u64::from(c - b'0')))
                    .filter(|f| *f <= 1 << 63)
                {
                    Some(f) => {
                        frac = f;
                        scale *= 10.0;
                    }
                    None => overflow = true,
                }
            }
            post = n > 0;
            s = &rest[n..];
        }
        if int_len == 0 && !post {
            return Err(invalid());
        }
        let unit_len = s
            .find(|c: char| c == '.' || c.is_ascii_digit())
            .unwrap_or(s.len());
        if unit_len == 0 {
            return Err(format!("time: missing unit in duration {}", go_quote(orig)));
        }
        let unit_name = &s[..unit_len];
        s = &s[unit_len..];
        let unit: u64 = match unit_name {
            "ns" => 1,
            "us" | "µs" | "μs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            _ => {
                return Err(format!(
                    "time: unknown unit {} in duration {}",
                    go_quote(unit_name),
                    go_quote(orig)
                ))
            }
        };
        if v > (1u64 << 63) / unit {
            return Err(invalid());
        }
        v *= unit;
        if frac > 0 {
            v += (frac as f64 * (unit as f64 / scale)) as u64;
            if v > 1 << 63 {
                return Err(invalid());
            }
        }
        total = total
            .checked_add(v)
            .filter(|t| *t <= 1 << 63)
            .ok_or_else(invalid)?;
    }
    if neg {
        return Ok((total as i64).wrapping_neg());
    }
    i64::try_from(total).map_err(|_| invalid())
}

/// `go-humanize`'s `ParseBytes` (`"10 KB"` = 10000, `"1.5MiB"` = 1572864, `"42"` = 42).
pub(crate) fn parse_go_bytes(s: &str) -> Result<u64, String> {
    let last = s
        .char_indices()
        .find(|(_, c)| !(c.is_numeric() || *c == '.' || *c == ','))
        .map_or(s.len(), |(i, _)| i);
    let num: String = s[..last].chars().filter(|c| *c != ',').collect();
    let f = super::value::parse_go_float(&num)
        .filter(|_| num.bytes().all(|c| c.is_ascii_digit() || c == b'.'))
        .ok_or_else(|| {
            format!(
                "strconv.ParseFloat: parsing {}: invalid syntax",
                go_quote(&num)
            )
        })?;
    let extra = s[last..].trim().to_lowercase();
    let mult: u64 = match extra.as_str() {
        "" | "b" => 1,
        "kib" | "ki" => 1 << 10,
        "kb" | "k" => 1_000,
        "mib" | "mi" => 1 << 20,
        "mb" | "m" => 1_000_000,
        "gib" | "gi" => 1 << 30,
        "gb" | "g" => 1_000_000_000,
        "tib" | "ti" => 1 << 40,
        "tb" | "t" => 1_000_000_000_000,
        "pib" | "pi" => 1 << 50,
        "pb" | "p" => 1_000_000_000_000_000,
        "eib" | "ei" => 1 << 60,
        "eb" | "e" => 1_000_000_000_000_000_000,
        _ => return Err(format!("unhandled size name: {extra}")),
    };
    let v = f * mult as f64;
    if v >= u64::MAX as f64 {
        return Err(format!("too large: {s}"));
    }
    Ok(v as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

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
