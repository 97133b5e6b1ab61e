//! String functions: Go's `strings` package as Loki exposes it (`ToLower`, `Replace`, `Trim`…)
//! and Sprig's string helpers (`lower`, `substr`, `trunc`, `replace`, `title`, `indent`…).
//! Sprig's `substr`/`trunc` index bytes, like Go.

use gotmpl::{FuncMap, Value};

use super::add;
use crate::template::value::{arity, call_err, int_arg, str_arg, FnResult};

fn s(v: String) -> FnResult {
    Ok(Value::String(v.into()))
}

/// `s[a:b]` on bytes, with Go's panic text for bad bounds.
fn byte_slice(src: &str, start: Option<i64>, end: Option<i64>) -> Result<String, String> {
    let len = src.len() as i64;
    let e = end.unwrap_or(len);
    let b = start.unwrap_or(0);
    let bounds = match (start, end) {
        (None, Some(e)) => format!("[:{e}]"),
        (Some(b), None) => format!("[{b}:{len}]"),
        (Some(b), Some(e)) => format!("[{b}:{e}]"),
        (None, None) => String::new(),
    };
    if e < 0 || e > len {
        let tail = if e > len {
            format!(" with length {len}")
        } else {
            String::new()
        };
        let shown = if end.is_some() {
            format!("[:{e}]")
        } else {
            bounds
        };
        return Err(format!(
            "runtime error: slice bounds out of range {shown}{tail}"
        ));
    }
    if b < 0 || b > e {
        return Err(format!("runtime error: slice bounds out of range {bounds}"));
    }
    Ok(String::from_utf8_lossy(&src.as_bytes()[b as usize..e as usize]).into_owned())
}

/// Go's `strings.Title`: upper-cases the first letter of each word.
fn title(src: &str) -> String {
    let is_sep = |c: char| {
        if c.is_ascii() {
            !(c.is_ascii_alphanumeric() || c == '_')
        } else if c.is_alphanumeric() {
            false
        } else {
            c.is_whitespace()
        }
    };
    let mut prev = ' ';
    let mut out = String::with_capacity(src.len());
    for c in src.chars() {
        if is_sep(prev) {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        prev = c;
    }
    out
}

fn cut(cutset: &str) -> impl Fn(char) -> bool + '_ {
    move |c| cutset.contains(c)
}

fn align(name: &'static str, left: bool, args: &[Value]) -> FnResult {
    arity(name, args, 2)?;
    let count = int_arg(&args[0])?;
    let src = str_arg(&args[1])?;
    let runes: Vec<char> = src.chars().collect();
    let l = runes.len() as i64;
    if count < 0 || count == l {
        return s(src.to_string());
    }
    let pad = count - l;
    if pad > 0 {
        let p = " ".repeat(pad as usize);
        return s(if left {
            format!("{src}{p}")
        } else {
            format!("{p}{src}")
        });
    }
    let c = count as usize;
    s(if left {
        runes[..c].iter().collect()
    } else {
        runes[runes.len() - c..].iter().collect()
    })
}

/// Registers the string functions.
pub(crate) fn register(m: &mut FuncMap) {
    // Go `strings` functions (Loki's deprecated capitalised names): receiver first.
    for (name, f) in [
        (
            "ToLower",
            (|x: &str| x.to_lowercase()) as fn(&str) -> String,
        ),
        ("ToUpper", |x| x.to_uppercase()),
        ("TrimSpace", |x| x.trim().to_string()),
        ("lower", |x| x.to_lowercase()),
        ("upper", |x| x.to_uppercase()),
        ("trim", |x| x.trim().to_string()),
        ("title", title),
    ] {
        add(m, name, move |a| {
            arity(name, a, 1)?;
            s(f(str_arg(&a[0])?))
        });
    }
    add(m, "Replace", |a| {
        arity("Replace", a, 4)?;
        let (src, old, new) = (str_arg(&a[0])?, str_arg(&a[1])?, str_arg(&a[2])?);
        let n = int_arg(&a[3])?;
        s(if n < 0 {
            src.replace(old, new)
        } else {
            src.replacen(old, new, n as usize)
        })
    });
    for (name, f) in [
        (
            "Trim",
            (|x: &str, c: &str| x.trim_matches(cut(c)).to_string()) as fn(&str, &str) -> String,
        ),
        ("TrimLeft", |x, c| x.trim_start_matches(cut(c)).to_string()),
        ("TrimRight", |x, c| x.trim_end_matches(cut(c)).to_string()),
        ("TrimPrefix", |x, p| {
            x.strip_prefix(p).unwrap_or(x).to_string()
        }),
        ("TrimSuffix", |x, p| {
            x.strip_suffix(p).unwrap_or(x).to_string()
        }),
    ] {
        add(m, name, move |a| {
            arity(name, a, 2)?;
            s(f(str_arg(&a[0])?, str_arg(&a[1])?))
        });
    }
    // Sprig: the string being worked on comes last, so it can be piped in.
    for (name, f) in [
        (
            "trimAll",
            (|c: &str, x: &str| x.trim_matches(cut(c)).to_string()) as fn(&str, &str) -> String,
        ),
        ("trimPrefix", |p, x| {
            x.strip_prefix(p).unwrap_or(x).to_string()
        }),
        ("trimSuffix", |p, x| {
            x.strip_suffix(p).unwrap_or(x).to_string()
        }),
    ] {
        add(m, name, move |a| {
            arity(name, a, 2)?;
            s(f(str_arg(&a[0])?, str_arg(&a[1])?))
        });
    }
    for (name, f) in [
        (
            "contains",
            (|sub: &str, x: &str| x.contains(sub)) as fn(&str, &str) -> bool,
        ),
        ("hasPrefix", |p, x| x.starts_with(p)),
        ("hasSuffix", |p, x| x.ends_with(p)),
    ] {
        add(m, name, move |a| {
            arity(name, a, 2)?;
            Ok(Value::Bool(f(str_arg(&a[0])?, str_arg(&a[1])?)))
        });
    }
    add(m, "replace", |a| {
        arity("replace", a, 3)?;
        s(str_arg(&a[2])?.replace(str_arg(&a[0])?, str_arg(&a[1])?))
    });
    add(m, "repeat", |a| {
        arity("repeat", a, 2)?;
        let n = int_arg(&a[0])?;
        if n < 0 {
            return Err(call_err("repeat", "strings: negative Repeat count"));
        }
        s(str_arg(&a[1])?.repeat(n as usize))
    });
    add(m, "trunc", |a| {
        arity("trunc", a, 2)?;
        let c = int_arg(&a[0])?;
        let src = str_arg(&a[1])?;
        let l = src.len() as i64;
        let r = if c < 0 && l + c > 0 {
            byte_slice(src, Some(l + c), None)
        } else if c >= 0 && l > c {
            byte_slice(src, None, Some(c))
        } else {
            Ok(src.to_string())
        };
        s(r.map_err(|e| call_err("trunc", e))?)
    });
    add(m, "substr", |a| {
        arity("substr", a, 3)?;
        let (start, end) = (int_arg(&a[0])?, int_arg(&a[1])?);
        let src = str_arg(&a[2])?;
        let r = if start < 0 {
            byte_slice(src, None, Some(end))
        } else if end < 0 || end > src.len() as i64 {
            byte_slice(src, Some(start), None)
        } else {
            byte_slice(src, Some(start), Some(end))
        };
        s(r.map_err(|e| call_err("substr", e))?)
    });
    for (name, newline) in [("indent", false), ("nindent", true)] {
        add(m, name, move |a| {
            arity(name, a, 2)?;
            let n = int_arg(&a[0])?;
            if n < 0 {
                return Err(call_err(name, "strings: negative Repeat count"));
            }
            let pad = " ".repeat(n as usize);
            let body = str_arg(&a[1])?.replace('\n', &format!("\n{pad}"));
            s(format!("{}{pad}{body}", if newline { "\n" } else { "" }))
        });
    }
    add(m, "alignLeft", |a| align("alignLeft", true, a));
    add(m, "alignRight", |a| align("alignRight", false, a));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_title_and_slices() {
        assert_eq!(title("hello wide-world_x 3rd"), "Hello Wide-World_x 3rd");
        assert_eq!(
            byte_slice("hello", None, Some(10)).unwrap_err(),
            "runtime error: slice bounds out of range [:10] with length 5"
        );
        assert_eq!(byte_slice("hello", Some(1), Some(3)).unwrap(), "el");
    }
}
