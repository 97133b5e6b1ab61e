//! Series descriptions of the `.test` format: `metric{l="v"} 1+2x3 _ stale {{schema:0 …}}`.
//!
//! Grammar as Prometheus `promql/parser` `ParseSeriesDesc` (`lexValueSequence`, `lexHistogram`,
//! `buildHistogramFromMap`); see `reference/prometheus.md` §1.2.

use lakewatch_model::{histogram::HistogramError, BucketSpan, FloatHistogram, Labels, ResetHint};

/// Prometheus's staleness marker value.
pub(crate) fn stale_nan() -> f64 {
    f64::from_bits(lakewatch_model::STALE_NAN_BITS)
}

/// One position of a value sequence (as Go `parser.SequenceValue`).
#[derive(Debug, Clone, PartialEq)]
pub struct SeqValue {
    /// `_`: no sample at this position.
    pub omitted: bool,
    /// Float value (0 for histograms).
    pub value: f64,
    /// A native histogram (loaded as float histogram).
    pub histogram: Option<FloatHistogram>,
    /// The literal gave `counter_reset_hint:` explicitly (compared only then).
    pub counter_reset_hint_set: bool,
}

impl SeqValue {
    fn float(v: f64) -> Self {
        SeqValue {
            omitted: false,
            value: v,
            histogram: None,
            counter_reset_hint_set: false,
        }
    }
    fn omitted() -> Self {
        SeqValue {
            omitted: true,
            value: 0.0,
            histogram: None,
            counter_reset_hint_set: false,
        }
    }
}

/// Parses a Prometheus duration (`1h30m`, `90s`, `0`, `10s53ms`) into milliseconds
/// (as `model.ParseDuration`; units y w d h m s ms, no sign).
pub fn parse_duration_ms(s: &str) -> Result<i64, String> {
    let s = s.trim();
    if s == "0" {
        return Ok(0);
    }
    if s.is_empty() {
        return Err("empty duration string".into());
    }
    let b = s.as_bytes();
    let mut i = 0;
    let mut total: i64 = 0;
    while i < b.len() {
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if start == i {
            return Err(format!("not a valid duration string: {s:?}"));
        }
        let n: i64 = s[start..i]
            .parse()
            .map_err(|_| format!("not a valid duration string: {s:?}"))?;
        let unit_ms = if s[i..].starts_with("ms") {
            i += 2;
            1
        } else {
            let u = b.get(i).copied();
            i += 1;
            match u {
                Some(b'y') => 365 * 24 * 3_600_000,
                Some(b'w') => 7 * 24 * 3_600_000,
                Some(b'd') => 24 * 3_600_000,
                Some(b'h') => 3_600_000,
                Some(b'm') => 60_000,
                Some(b's') => 1000,
                _ => return Err(format!("not a valid duration string: {s:?}")),
            }
        };
        total = n
            .checked_mul(unit_ms)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(|| format!("duration out of range: {s:?}"))?;
    }
    Ok(total)
}

/// Parses a number the way the series-description lexer does; returns the value and the
/// unconsumed rest. Accepts sign, `Inf`/`NaN` (any case), decimals with exponent,
/// and duration literals (`5m` = 300). No hexadecimal: series descriptions disallow it
/// (`0x100` is 0 repeated 100 times), as Prometheus `scanNumber`.
fn lex_number(s: &str) -> Result<(f64, &str), String> {
    let b = s.as_bytes();
    let mut i = 0;
    let mut neg = false;
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        neg = b[i] == b'-';
        i += 1;
    }
    let body = &s[i..];
    let lower = body.to_ascii_lowercase();
    let (v, used) = if lower.starts_with("inf") {
        let used = if lower.starts_with("infinity") { 8 } else { 3 };
        (f64::INFINITY, used)
    } else if lower.starts_with("nan") {
        (f64::NAN, 3)
    } else {
        let bb = body.as_bytes();
        let mut j = 0;
        while j < bb.len() && bb[j].is_ascii_digit() {
            j += 1;
        }
        let int_end = j;
        if j < bb.len() && bb[j] == b'.' {
            j += 1;
            while j < bb.len() && bb[j].is_ascii_digit() {
                j += 1;
            }
        }
        if j == 0 || (j == 1 && bb[0] == b'.') {
            return Err(format!("bad number {s:?}"));
        }
        // Duration literal: digits immediately followed by a unit.
        if int_end == j && j < bb.len() && matches!(bb[j], b'y' | b'w' | b'd' | b'h' | b'm' | b's')
        {
            let mut k = j;
            while k < bb.len() && (bb[k].is_ascii_digit() || b"ywdhms".contains(&bb[k])) {
                k += 1;
            }
            let ms = parse_duration_ms(&body[..k])?;
            (ms as f64 / 1000.0, k)
        } else {
            if j < bb.len() && (bb[j] == b'e' || bb[j] == b'E') {
                let mut k = j + 1;
                if k < bb.len() && (bb[k] == b'+' || bb[k] == b'-') {
                    k += 1;
                }
                let ds = k;
                while k < bb.len() && bb[k].is_ascii_digit() {
                    k += 1;
                }
                if k > ds {
                    j = k;
                }
            }
            let v: f64 = body[..j]
                .parse()
                .map_err(|e| format!("bad number {s:?}: {e}"))?;
            (v, j)
        }
    };
    Ok((if neg { -v } else { v }, &body[used..]))
}

/// Parses a whole string as a number (Go `strconv.ParseInt(s, 0, 64)` then `ParseFloat`),
/// used for expected scalar lines.
pub fn parse_number(s: &str) -> Option<f64> {
    let t = s.trim();
    if t.is_empty() {
        return None;
    }
    let (neg, body) = match t.as_bytes()[0] {
        b'-' => (true, &t[1..]),
        b'+' => (false, &t[1..]),
        _ => (false, t),
    };
    let sign = if neg { -1.0 } else { 1.0 };
    let lower = body.to_ascii_lowercase();
    if let Some(h) = lower.strip_prefix("0x") {
        return u64::from_str_radix(h, 16).ok().map(|v| sign * v as f64);
    }
    if let Some(o) = lower.strip_prefix("0o") {
        return u64::from_str_radix(o, 8).ok().map(|v| sign * v as f64);
    }
    if let Some(bn) = lower.strip_prefix("0b") {
        return u64::from_str_radix(bn, 2).ok().map(|v| sign * v as f64);
    }
    if body.len() > 1 && body.starts_with('0') && body.bytes().all(|c| c.is_ascii_digit()) {
        return u64::from_str_radix(&body[1..], 8)
            .ok()
            .map(|v| sign * v as f64);
    }
    if !body
        .bytes()
        .all(|c| c.is_ascii_alphanumeric() || c == b'.' || c == b'+' || c == b'-')
    {
        return None;
    }
    match lower.as_str() {
        "inf" | "infinity" => return Some(sign * f64::INFINITY),
        "nan" => return Some(f64::NAN),
        _ => {}
    }
    if lower.chars().any(|c| c.is_ascii_alphabetic() && c != 'e') {
        return None;
    }
    body.parse::<f64>().ok().map(|v| sign * v)
}

/// Unquotes a Go string literal (`"…"`, `'…'` or `` `…` ``) starting at `s[0]`; returns the
/// value and the rest after the closing quote.
pub(crate) fn unquote_prefix(s: &str) -> Result<(String, &str), String> {
    let mut chars = s.char_indices();
    let q = match chars.next() {
        Some((_, c @ ('"' | '\'' | '`'))) => c,
        _ => return Err(format!("expected quoted string at {s:?}")),
    };
    let mut out = String::new();
    let mut it = chars.peekable();
    while let Some((i, c)) = it.next() {
        if c == q {
            return Ok((out, &s[i + c.len_utf8()..]));
        }
        if c == '\\' && q != '`' {
            let (_, e) = it.next().ok_or("unterminated escape")?;
            match e {
                'n' => out.push('\n'),
                't' => out.push('\t'),
                'r' => out.push('\r'),
                'a' => out.push('\x07'),
                'b' => out.push('\x08'),
                'f' => out.push('\x0c'),
                'v' => out.push('\x0b'),
                '\\' => out.push('\\'),
                '"' => out.push('"'),
                '\'' => out.push('\''),
                'x' | 'u' | 'U' => {
                    let n = match e {
                        'x' => 2,
                        'u' => 4,
                        _ => 8,
                    };
                    let mut h = String::new();
                    for _ in 0..n {
                        h.push(it.next().ok_or("short escape")?.1);
                    }
                    let v = u32::from_str_radix(&h, 16).map_err(|e| e.to_string())?;
                    out.push(char::from_u32(v).ok_or("bad escape")?);
                }
                '0'..='7' => {
                    let mut h = String::from(e);
                    for _ in 0..2 {
                        h.push(it.next().ok_or("short escape")?.1);
                    }
                    let v = u32::from_str_radix(&h, 8).map_err(|e| e.to_string())?;
                    out.push(char::from_u32(v).ok_or("bad escape")?);
                }
                other => return Err(format!("unknown escape \\{other}")),
            }
        } else {
            out.push(c);
        }
    }
    Err(format!("unterminated string {s:?}"))
}

fn is_ident_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_' || c == ':'
}
fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == ':'
}

fn take_ident(s: &str) -> (&str, &str) {
    let end = s
        .char_indices()
        .find(|&(i, c)| {
            !(if i == 0 {
                is_ident_start(c)
            } else {
                is_ident_char(c)
            })
        })
        .map(|(i, _)| i)
        .unwrap_or(s.len());
    (&s[..end], &s[end..])
}

/// Parses the metric part of a series description: `name`, `name{…}`, `{…}` (label names may be
/// quoted; a lone quoted string inside the braces is the metric name). Returns the labels and
/// the rest of the line.
pub fn parse_metric(s: &str) -> Result<(Labels, &str), String> {
    let s = s.trim_start();
    let (name, mut rest) = take_ident(s);
    let mut pairs: Vec<(String, String)> = Vec::new();
    if !name.is_empty() {
        pairs.push(("__name__".into(), name.to_string()));
    }
    if let Some(r) = rest.strip_prefix('{') {
        rest = r;
        loop {
            rest = rest.trim_start();
            if let Some(r) = rest.strip_prefix('}') {
                rest = r;
                break;
            }
            let lname;
            if rest.starts_with('"') || rest.starts_with('\'') || rest.starts_with('`') {
                let (v, r) = unquote_prefix(rest)?;
                let r = r.trim_start();
                if r.starts_with(',') || r.starts_with('}') {
                    pairs.push(("__name__".into(), v));
                    rest = r.strip_prefix(',').unwrap_or(r);
                    continue;
                }
                lname = v;
                rest = r;
            } else {
                let (n, r) = take_ident(rest);
                if n.is_empty() {
                    return Err(format!("unexpected character in label set: {rest:?}"));
                }
                lname = n.to_string();
                rest = r;
            }
            rest = rest
                .trim_start()
                .strip_prefix('=')
                .ok_or_else(|| format!("expected '=' after label name {lname:?}"))?
                .trim_start();
            let (v, r) = unquote_prefix(rest)?;
            pairs.push((lname, v));
            rest = r.trim_start();
            rest = rest.strip_prefix(',').unwrap_or(rest);
        }
    } else if name.is_empty() {
        return Err(format!("expected metric name or label set at {s:?}"));
    }
    Ok((Labels::from_pairs(pairs), rest))
}

/// Splits a value sequence into items, keeping `{{…}}` literals (which contain spaces) whole.
fn split_items(s: &str) -> Result<Vec<&str>, String> {
    let mut items = Vec::new();
    let mut i = 0;
    let b = s.as_bytes();
    while i < b.len() {
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= b.len() {
            break;
        }
        let start = i;
        while i < b.len() && !b[i].is_ascii_whitespace() {
            if s[i..].starts_with("{{") {
                let end = s[i..]
                    .find("}}")
                    .ok_or_else(|| format!("unterminated histogram literal in {s:?}"))?;
                i += end + 2;
            } else {
                i += 1;
            }
        }
        items.push(&s[start..i]);
    }
    Ok(items)
}

fn parse_repeat(s: &str) -> Result<u64, String> {
    let n = s
        .strip_prefix('x')
        .ok_or_else(|| format!("expected 'x<N>' at {s:?}"))?;
    n.parse::<u64>()
        .map_err(|_| format!("invalid repetition in {s:?}"))
}

/// Parses a value sequence (everything after the metric) into positions.
pub fn parse_values(s: &str) -> Result<Vec<SeqValue>, String> {
    let mut out = Vec::new();
    for item in split_items(s)? {
        if item == "_" {
            out.push(SeqValue::omitted());
        } else if let Some(n) = item.strip_prefix("_x") {
            let n: u64 = n
                .parse()
                .map_err(|_| format!("invalid repetition in {item:?}"))?;
            out.extend((0..n).map(|_| SeqValue::omitted()));
        } else if item == "stale" {
            out.push(SeqValue::float(stale_nan()));
        } else if item.starts_with("{{") {
            parse_histogram_item(item, &mut out)?;
        } else {
            let (a, rest) = lex_number(item)?;
            if rest.is_empty() {
                out.push(SeqValue::float(a));
            } else if rest.starts_with('x') {
                let n = parse_repeat(rest)?;
                out.extend((0..=n).map(|_| SeqValue::float(a)));
            } else if rest.starts_with('+') || rest.starts_with('-') {
                let neg = rest.starts_with('-');
                let (b, rest2) = lex_number(&rest[1..])?;
                let b = if neg { -b } else { b };
                let n = parse_repeat(rest2)?;
                let mut v = a;
                for _ in 0..=n {
                    out.push(SeqValue::float(v));
                    v += b;
                }
            } else {
                return Err(format!("unexpected {rest:?} in value {item:?}"));
            }
        }
    }
    Ok(out)
}

fn split_hist_literal(s: &str) -> Result<(&str, &str), String> {
    let inner = s
        .strip_prefix("{{")
        .ok_or_else(|| format!("expected '{{{{' at {s:?}"))?;
    let end = inner
        .find("}}")
        .ok_or_else(|| format!("unterminated histogram {s:?}"))?;
    Ok((&inner[..end], &inner[end + 2..]))
}

fn parse_histogram_item(item: &str, out: &mut Vec<SeqValue>) -> Result<(), String> {
    let (body, rest) = split_hist_literal(item)?;
    let (base, hint_set) = parse_histogram_body(body)?;
    let hv = |h: FloatHistogram| SeqValue {
        omitted: false,
        value: 0.0,
        histogram: Some(h),
        counter_reset_hint_set: hint_set,
    };
    if rest.is_empty() {
        out.push(hv(base));
    } else if rest.starts_with('x') {
        let n = parse_repeat(rest)?;
        out.extend((0..=n).map(|_| hv(base.clone())));
    } else if rest.starts_with('+') || rest.starts_with('-') {
        let neg = rest.starts_with('-');
        let (inc_body, rest2) = split_hist_literal(&rest[1..])?;
        let (inc, _) = parse_histogram_body(inc_body)?;
        let n = parse_repeat(rest2)?;
        let mut cur = base;
        out.push(hv(cur.clone()));
        for _ in 0..n {
            if cur.schema > inc.schema {
                return Err(format!(
                    "error combining histograms: cannot merge from schema {} to {}",
                    inc.schema, cur.schema
                ));
            }
            let r: Result<_, HistogramError> = if neg {
                cur.clone().sub(&inc)
            } else {
                cur.clone().add(&inc)
            };
            cur = r.map_err(|e| format!("error combining histograms: {e}"))?.0;
            out.push(hv(cur.clone()));
        }
    } else {
        return Err(format!("unexpected {rest:?} after histogram"));
    }
    Ok(())
}

/// Parses the inside of `{{ … }}` into a float histogram (absent keys are 0/empty), as
/// Prometheus `buildHistogramFromMap`. Returns whether `counter_reset_hint` was given.
pub fn parse_histogram_body(body: &str) -> Result<(FloatHistogram, bool), String> {
    let mut h = FloatHistogram::default();
    let mut hint_set = false;
    let (mut pos, mut neg) = (Vec::new(), Vec::new());
    let (mut off, mut noff) = (0i32, 0i32);
    let mut rest = body.trim();
    while !rest.is_empty() {
        let colon = rest
            .find(':')
            .ok_or_else(|| format!("expected key:value in {body:?}"))?;
        let key = rest[..colon].trim();
        rest = rest[colon + 1..].trim_start();
        let value: &str;
        if let Some(r) = rest.strip_prefix('[') {
            let end = r
                .find(']')
                .ok_or_else(|| format!("unterminated list in {body:?}"))?;
            value = &r[..end];
            rest = r[end + 1..].trim_start();
        } else {
            let end = rest
                .find(|c: char| c.is_ascii_whitespace())
                .unwrap_or(rest.len());
            value = &rest[..end];
            rest = rest[end..].trim_start();
        }
        let num = |v: &str| -> Result<f64, String> {
            let (x, r) = lex_number(v)?;
            if r.is_empty() {
                Ok(x)
            } else {
                Err(format!("bad number {v:?} for {key}"))
            }
        };
        let list = |v: &str| -> Result<Vec<f64>, String> {
            v.split_whitespace()
                .map(|x| {
                    let (f, r) = lex_number(x)?;
                    if r.is_empty() {
                        Ok(f)
                    } else {
                        Err(format!("bad number {x:?} in {key}"))
                    }
                })
                .collect()
        };
        match key {
            "schema" => h.schema = num(value)? as i32,
            "sum" => h.sum = num(value)?,
            "count" => h.count = num(value)?,
            "z_bucket" => h.zero_count = num(value)?,
            "z_bucket_w" => h.zero_threshold = num(value)?,
            "buckets" => pos = list(value)?,
            "n_buckets" => neg = list(value)?,
            "offset" => off = num(value)? as i32,
            "n_offset" => noff = num(value)? as i32,
            "custom_values" => h.custom_values = list(value)?,
            "counter_reset_hint" => {
                hint_set = true;
                h.counter_reset_hint = match value {
                    "unknown" => ResetHint::Unknown,
                    "reset" => ResetHint::CounterReset,
                    "not_reset" => ResetHint::NotCounterReset,
                    "gauge" => ResetHint::Gauge,
                    other => return Err(format!("invalid counter_reset_hint {other:?}")),
                }
            }
            other => return Err(format!("unknown histogram key {other:?}")),
        }
    }
    if !pos.is_empty() {
        h.positive_spans = vec![BucketSpan {
            offset: off,
            length: pos.len() as u32,
        }];
        h.positive_buckets = pos;
    }
    if !neg.is_empty() {
        h.negative_spans = vec![BucketSpan {
            offset: noff,
            length: neg.len() as u32,
        }];
        h.negative_buckets = neg;
    }
    Ok((h, hint_set))
}

/// Parses a whole series description line `metric{…} values…`.
pub fn parse_series_desc(line: &str) -> Result<(Labels, Vec<SeqValue>), String> {
    let (labels, rest) = parse_metric(line)?;
    let vals = parse_values(rest)?;
    Ok((labels, vals))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn floats(s: &str) -> Vec<f64> {
        parse_values(s)
            .unwrap()
            .iter()
            .map(|v| if v.omitted { -999.0 } else { v.value })
            .collect()
    }

    #[test]
    fn value_sequences() {
        assert_eq!(floats("1+1x3"), vec![1.0, 2.0, 3.0, 4.0]);
        assert_eq!(
            floats("-2+4x2 _ 5x1"),
            vec![-2.0, 2.0, 6.0, -999.0, 5.0, 5.0]
        );
        assert_eq!(floats("1-2x2"), vec![1.0, -1.0, -3.0]);
        assert_eq!(
            floats("_x2 0x1 1e3 5m"),
            vec![-999.0, -999.0, 0.0, 0.0, 1000.0, 300.0]
        );
        assert_eq!(floats("52+0x2"), vec![52.0, 52.0, 52.0]);
        assert!(floats("NaN")[0].is_nan());
        assert_eq!(floats("-Inf +inf"), vec![f64::NEG_INFINITY, f64::INFINITY]);
        let st = parse_values("stale").unwrap();
        assert!(lakewatch_model::is_stale_nan(st[0].value));
    }

    #[test]
    fn metrics() {
        let (l, rest) = parse_metric(r#"foo{a="1", b='x\ny', "c.d"="e"} 1"#).unwrap();
        assert_eq!(l.metric_name(), Some("foo"));
        assert_eq!(l.get("b"), Some("x\ny"));
        assert_eq!(l.get("c.d"), Some("e"));
        assert_eq!(rest.trim(), "1");
        let (l, _) = parse_metric(r#"{"my.metric", a="1"} 1"#).unwrap();
        assert_eq!(l.metric_name(), Some("my.metric"));
        let (l, _) = parse_metric("{} 1").unwrap();
        assert!(l.is_empty());
    }

    #[test]
    fn histograms() {
        let v = parse_values(
            "{{schema:1 sum:5 count:4 z_bucket:1 z_bucket_w:0.001 buckets:[1 2] offset:-1 n_buckets:[1] counter_reset_hint:gauge}}x1",
        )
        .unwrap();
        assert_eq!(v.len(), 2);
        let h = v[0].histogram.as_ref().unwrap();
        assert_eq!(h.schema, 1);
        assert_eq!(
            h.positive_spans,
            vec![BucketSpan {
                offset: -1,
                length: 2
            }]
        );
        assert_eq!(h.counter_reset_hint, ResetHint::Gauge);
        assert!(v[0].counter_reset_hint_set);
        let v =
            parse_values("{{schema:0 sum:1 count:1 buckets:[1]}}+{{sum:2 count:2 buckets:[2]}}x2")
                .unwrap();
        assert_eq!(v.len(), 3);
        assert_eq!(v[2].histogram.as_ref().unwrap().count, 5.0);
        assert_eq!(v[2].histogram.as_ref().unwrap().positive_buckets, vec![5.0]);
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration_ms("1h30m").unwrap(), 5_400_000);
        assert_eq!(parse_duration_ms("10s53ms").unwrap(), 10_053);
        assert_eq!(parse_duration_ms("0").unwrap(), 0);
        assert!(parse_duration_ms("-1m").is_err());
        assert_eq!(parse_number("0x10"), Some(16.0));
        assert_eq!(parse_number("-Inf"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_number("foo 1"), None);
    }
}
