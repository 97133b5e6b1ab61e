//! Label manipulation: `label_replace`, `label_join`, `sort_by_label(_desc)`.

use super::{arg, string_arg};
use crate::eval::Evaluator;
use crate::types::{Sample, Steps, Val};
use crate::QueryError;
use promql_parser::parser::Call;
use std::cmp::Ordering;
use std::sync::Arc;

/// Evaluates the function if it belongs to this family.
pub(crate) fn eval(
    ev: &mut Evaluator,
    name: &str,
    c: &Call,
    steps: &Steps,
) -> Result<Option<Val>, QueryError> {
    match name {
        "label_replace" => {
            let dst = string_arg(c, 1)?;
            let repl = string_arg(c, 2)?;
            let src = string_arg(c, 3)?;
            let re_s = string_arg(c, 4)?;
            let re = regex::Regex::new(&format!("^(?s:{re_s})$")).map_err(|e| {
                QueryError::Execution(format!(
                    "invalid regular expression in label_replace(): {e}"
                ))
            })?;
            if !valid_label_name(&dst) {
                return Err(QueryError::Execution(format!(
                    "invalid destination label name in label_replace(): {dst}"
                )));
            }
            let v = ev.eval_vector(arg(c, 0)?, steps)?;
            let out = v
                .into_iter()
                .map(|vec| {
                    vec.into_iter()
                        .map(|mut s: Sample| {
                            let sv = s.metric.get(&src).unwrap_or("").to_string();
                            if let Some(caps) = re.captures(&sv) {
                                let mut res = String::new();
                                caps.expand(&repl, &mut res);
                                set_label(&mut s, &dst, &res);
                            }
                            s
                        })
                        .collect()
                })
                .collect();
            Ok(Some(Val::Vector(out)))
        }
        "label_join" => {
            let dst = string_arg(c, 1)?;
            let sep = string_arg(c, 2)?;
            let mut srcs = Vec::new();
            for i in 3..c.args.args.len() {
                srcs.push(string_arg(c, i)?);
            }
            if !valid_label_name(&dst) {
                return Err(QueryError::Execution(format!(
                    "invalid destination label name in label_join(): {dst}"
                )));
            }
            let v = ev.eval_vector(arg(c, 0)?, steps)?;
            let out = v
                .into_iter()
                .map(|vec| {
                    vec.into_iter()
                        .map(|mut s: Sample| {
                            let joined = srcs
                                .iter()
                                .map(|n| s.metric.get(n).unwrap_or(""))
                                .collect::<Vec<_>>()
                                .join(&sep);
                            set_label(&mut s, &dst, &joined);
                            s
                        })
                        .collect()
                })
                .collect();
            Ok(Some(Val::Vector(out)))
        }
        "sort_by_label" | "sort_by_label_desc" => {
            let mut names = Vec::new();
            for i in 1..c.args.args.len() {
                names.push(string_arg(c, i)?);
            }
            if ev.is_range {
                super::misc::sort_warning(ev, c);
            }
            let desc = name == "sort_by_label_desc";
            let mut v = ev.eval_vector(arg(c, 0)?, steps)?;
            for vec in &mut v {
                vec.sort_by(|a, b| {
                    let mut o = Ordering::Equal;
                    for n in &names {
                        let (x, y) = (a.metric.get(n).unwrap_or(""), b.metric.get(n).unwrap_or(""));
                        if x != y {
                            o = natural_cmp(x, y);
                            break;
                        }
                    }
                    if o == Ordering::Equal {
                        o = a.metric.cmp(&b.metric);
                    }
                    if desc {
                        o.reverse()
                    } else {
                        o
                    }
                });
            }
            Ok(Some(Val::Vector(v)))
        }
        _ => Ok(None),
    }
}

fn chunks(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let b = s.as_bytes();
    let mut start = 0;
    for i in 1..=b.len() {
        if i == b.len() || b[i].is_ascii_digit() != b[i - 1].is_ascii_digit() {
            out.push(&s[start..i]);
            start = i;
        }
    }
    out
}

/// Natural ordering (digit runs compared as numbers), as the `natsort` package Prometheus uses.
pub(crate) fn natural_cmp(a: &str, b: &str) -> Ordering {
    let (ca, cb) = (chunks(a), chunks(b));
    for (i, x) in ca.iter().enumerate() {
        let Some(y) = cb.get(i) else {
            return Ordering::Greater;
        };
        let last_a = i == ca.len() - 1;
        let last_b = i == cb.len() - 1;
        match (x.parse::<i64>(), y.parse::<i64>()) {
            (Ok(p), Ok(q)) if p != q => return p.cmp(&q),
            (Ok(_), Ok(_)) => {}
            _ if x != y => return x.cmp(y),
            _ => {}
        }
        if last_a {
            return if last_b {
                Ordering::Equal
            } else {
                Ordering::Less
            };
        }
        if last_b {
            return Ordering::Greater;
        }
    }
    Ordering::Equal
}

/// Whether a label name is valid (Prometheus 3, UTF-8 names): non-empty and not containing
/// characters that `promql-parser` produces for raw `\xNN` escapes (invalid UTF-8 in Go).
pub(crate) fn valid_label_name(n: &str) -> bool {
    !n.is_empty()
        && !n
            .chars()
            .any(|c| ('\u{80}'..='\u{ff}').contains(&c) || c == '\u{fffd}')
}

/// Go `%q`-style quoting, rendering U+0080..U+00FF as `\xNN` (raw bytes in Go).
pub(crate) fn go_quote(n: &str) -> String {
    let mut s = String::from("\"");
    for c in n.chars() {
        match c {
            '"' => s.push_str("\\\""),
            '\\' => s.push_str("\\\\"),
            '\u{80}'..='\u{ff}' => s.push_str(&format!("\\x{:02x}", c as u32)),
            _ => s.push(c),
        }
    }
    s.push('"');
    s
}

/// Sets `dst` to `value` on a sample's labels (as `label_replace`/`label_join` do); writing
/// `__name__` keeps the name through delayed name removal, as Prometheus 3.
fn set_label(s: &mut Sample, dst: &str, value: &str) {
    let mut l = (*s.metric).clone();
    l.set(dst, value);
    s.metric = Arc::new(l);
    if dst == "__name__" {
        s.drop_name = false;
    }
}
