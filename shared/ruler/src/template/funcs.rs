//! Prometheus's template functions (`template/template.go` `NewTemplateExpander`,
//! `docs/configuration/template_reference.md`) as `gotmpl` functions, plus Go-style
//! `print`/`printf`/`println` and two internal helpers the rewritten tree calls
//! (`__lakewatch_print`, `__lakewatch_method`).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, OnceLock};

use gotmpl::{FuncMap, TemplateError, Value};
use regex::Regex;

use super::format::{
    go_float, go_quote, is_ip, join_host_port, parse_prom_duration, query_escape, split_host_port,
};
use super::gotime::call_method;
use super::print::{engine_call, engine_compare, go_operands, sprint, sprintln};
use super::values::{
    arity, as_time, call_err, go_print, go_type, sample_value, str_arg, time_value, to_float,
    FnResult,
};
use super::QuerySample;

/// Appended to every printing action: Go's `fmt.Print` of the pipeline's value.
pub(crate) const PRINT_FN: &str = "__lakewatch_print";
/// `(x).Method args…` is rewritten to `__lakewatch_method "Method" x args…`.
pub(crate) const METHOD_FN: &str = "__lakewatch_method";
/// `x.A.B` on a sample, query result or user variable is rewritten to
/// `__lakewatch_fields x "A" "B"` (Go's typed field lookup).
pub(crate) const FIELDS_FN: &str = "__lakewatch_fields";
/// `.Foo` on the alert data (not one of its four fields) is rewritten to `__lakewatch_badfield "Foo"`.
pub(crate) const BAD_FIELD_FN: &str = "__lakewatch_badfield";
/// Go's type of Prometheus's alert template data (`AlertTemplateData`).
pub(crate) const ALERT_DATA_TYPE: &str =
    "struct { Labels map[string]string; ExternalLabels map[string]string; ExternalURL string; Value interface {} }";
/// The error a `query` call raises to stop execution until its result is fetched.
pub(crate) const PENDING: &str = "__lakewatch_query_pending__";

pub(crate) fn add(
    m: &mut FuncMap,
    name: &str,
    f: impl Fn(&[Value]) -> FnResult + Send + Sync + 'static,
) {
    m.insert(name.to_string(), Arc::new(f));
}

/// Query results fetched so far for one expansion, and the query execution is waiting for.
#[derive(Default)]
pub(crate) struct QueryState {
    pub results: HashMap<String, Result<Vec<QuerySample>, String>>,
    pub pending: Option<String>,
}

/// The per-expansion functions (`query`, `externalURL`, `pathPrefix`) over the shared ones.
pub(crate) fn expansion_funcs(state: Arc<Mutex<QueryState>>, external_url: &str) -> FuncMap {
    let mut m = static_funcs().clone();
    add(&mut m, "query", move |a| {
        arity("query", a, 1)?;
        let q = str_arg(&a[0])?.to_string();
        let mut st = state
            .lock()
            .map_err(|_| TemplateError::Exec("query state poisoned".into()))?;
        match st.results.get(&q) {
            Some(Ok(samples)) => Ok(Value::List(
                samples.iter().map(sample_value).collect::<Vec<_>>().into(),
            )),
            Some(Err(e)) => Err(call_err("query", e)),
            None => {
                st.pending = Some(q);
                Err(TemplateError::Exec(PENDING.to_string()))
            }
        }
    });
    if let Some(f) = m.get("query").cloned() {
        m.insert("query".to_string(), typed("query", &[Kind::S], f));
    }
    let url = external_url.to_string();
    add(&mut m, "externalURL", move |a| {
        arity("externalURL", a, 0)?;
        Ok(Value::String(url.as_str().into()))
    });
    let path = url_path(external_url);
    add(&mut m, "pathPrefix", move |a| {
        arity("pathPrefix", a, 0)?;
        Ok(Value::String(path.as_str().into()))
    });
    m
}

/// Go's `url.URL.Path` of `u` (`http://h:9090/path/prefix` → `/path/prefix`).
fn url_path(u: &str) -> String {
    let after_scheme = match u.find("://") {
        Some(i) => &u[i + 3..],
        None => return String::new(),
    };
    let path = match after_scheme.find('/') {
        Some(i) => &after_scheme[i..],
        None => "",
    };
    let path = path.split(['?', '#']).next().unwrap_or("");
    percent_decode(path)
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Every function that does not depend on the expansion, built once.
fn static_funcs() -> &'static FuncMap {
    static FUNCS: OnceLock<FuncMap> = OnceLock::new();
    FUNCS.get_or_init(|| {
        let mut m = FuncMap::new();
        register_samples(&mut m);
        register_strings(&mut m);
        super::humanize::register_numbers(&mut m);
        register_print(&mut m);
        for (name, kinds) in SIGNATURES {
            if let Some(f) = m.get(*name).cloned() {
                m.insert(name.to_string(), typed(name, kinds, f));
            }
        }
        m
    })
}

/// A Go parameter type of a Prometheus template function.
#[derive(Clone, Copy)]
enum Kind {
    /// `string`
    S,
    /// `template.queryResult`
    Q,
    /// `*template.sample`
    P,
}

/// Parameter types of the functions whose Go signatures are not `interface{}`.
const SIGNATURES: &[(&str, &[Kind])] = &[
    ("first", &[Kind::Q]),
    ("label", &[Kind::S, Kind::P]),
    ("value", &[Kind::P]),
    ("strvalue", &[Kind::P]),
    ("sortByLabel", &[Kind::S, Kind::Q]),
    ("reReplaceAll", &[Kind::S, Kind::S, Kind::S]),
    ("match", &[Kind::S, Kind::S]),
    ("safeHtml", &[Kind::S]),
    ("title", &[Kind::S]),
    ("toUpper", &[Kind::S]),
    ("toLower", &[Kind::S]),
    ("graphLink", &[Kind::S]),
    ("tableLink", &[Kind::S]),
    ("stripPort", &[Kind::S]),
    ("stripDomain", &[Kind::S]),
    ("parseDuration", &[Kind::S]),
];

/// Marks an argument-type error for the error mapper: `ARG_TYPE|func|index|expected|got`.
pub(crate) const ARG_TYPE: &str = "\u{1}argtype";

/// Wraps `f` with Go's argument conversion checks for `kinds`.
fn typed(name: &'static str, kinds: &'static [Kind], f: gotmpl::ValueFunc) -> gotmpl::ValueFunc {
    Arc::new(move |a: &[Value]| {
        if a.len() == kinds.len() {
            for (i, (v, k)) in a.iter().zip(kinds.iter()).enumerate() {
                let (ok, expected) = match k {
                    Kind::S => (matches!(v, Value::String(_)), "string"),
                    Kind::Q => (matches!(v, Value::List(_)), "template.queryResult"),
                    Kind::P => (
                        matches!(v, Value::Map(m) if m.contains_key("Labels") && m.contains_key("Value")),
                        "*template.sample",
                    ),
                };
                if !ok {
                    return Err(TemplateError::Exec(format!(
                        "{ARG_TYPE}|{name}|{i}|{expected}|{}",
                        go_type(v)
                    )));
                }
            }
        }
        f(a)
    })
}

/// Whether `name` is one of Prometheus's template functions (or an internal helper).
pub(crate) fn is_defined(name: &str) -> bool {
    static_funcs().contains_key(name) || matches!(name, "query" | "externalURL" | "pathPrefix")
}

/// Names of all functions an alert template may call (Go built-ins not included).
pub(crate) fn prometheus_function_names() -> Vec<String> {
    let mut names: Vec<String> = static_funcs()
        .keys()
        .filter(|k| !k.starts_with("__") && !super::analyze::GO_BUILTINS.contains(&k.as_str()))
        .cloned()
        .collect();
    names.extend(["query", "externalURL", "pathPrefix"].map(String::from));
    names.sort();
    names
}

fn wrong_type(expected: &str, v: &Value) -> TemplateError {
    lakewatch_logql::template::go::wrong_type(expected, v, go_type)
}

fn query_result(v: &Value) -> Result<&[Value], TemplateError> {
    match v {
        Value::List(items) => Ok(items),
        other => Err(wrong_type("template.queryResult", other)),
    }
}

fn sample_field<'a>(v: &'a Value, field: &str) -> Result<Option<&'a Value>, TemplateError> {
    match v {
        Value::Map(m) if m.contains_key("Labels") => Ok(m.get(field)),
        other => Err(wrong_type("*template.sample", other)),
    }
}

fn sample_label(v: &Value, name: &str) -> Result<Value, TemplateError> {
    let labels = sample_field(v, "Labels")?;
    let found = match labels {
        Some(Value::Map(l)) => l.get(name).cloned(),
        _ => None,
    };
    Ok(found.unwrap_or_else(|| Value::String("".into())))
}

fn register_samples(m: &mut FuncMap) {
    add(m, "first", |a| {
        arity("first", a, 1)?;
        query_result(&a[0])?
            .first()
            .cloned()
            .ok_or_else(|| call_err("first", "first() called on vector with no elements"))
    });
    add(m, "label", |a| {
        arity("label", a, 2)?;
        let name = str_arg(&a[0])?;
        sample_label(&a[1], name)
    });
    add(m, "value", |a| {
        arity("value", a, 1)?;
        Ok(sample_field(&a[0], "Value")?.cloned().unwrap_or(Value::Nil))
    });
    add(m, "strvalue", |a| {
        arity("strvalue", a, 1)?;
        sample_label(&a[0], "__value__")
    });
    add(m, "sortByLabel", |a| {
        arity("sortByLabel", a, 2)?;
        let name = str_arg(&a[0])?;
        let mut items: Vec<Value> = query_result(&a[1])?.to_vec();
        let key = |v: &Value| -> String {
            match sample_label(v, name) {
                Ok(Value::String(s)) => s.to_string(),
                _ => String::new(),
            }
        };
        // Stable, as Go's sort.Stable.
        items.sort_by_cached_key(key);
        Ok(Value::List(items.into()))
    });
    add(m, "args", |a| {
        let map: BTreeMap<Arc<str>, Value> = a
            .iter()
            .enumerate()
            .map(|(i, v)| (Arc::from(format!("arg{i}").as_str()), v.clone()))
            .collect();
        Ok(Value::Map(Arc::new(map)))
    });
    add(m, "toTime", |a| {
        arity("toTime", a, 1)?;
        let v = to_float(&a[0]).map_err(|e| call_err("toTime", e))?;
        if v.is_nan() || v.is_infinite() {
            return Err(call_err("toTime", "value is NaN or Inf"));
        }
        timestamp_ns(v)
            .map(time_value)
            .map_err(|e| call_err("toTime", e))
    });
    add(m, METHOD_FN, |a| {
        let method = a.first().and_then(|v| v.as_str()).unwrap_or("");
        let recv = a.get(1).unwrap_or(&Value::Nil);
        match (as_time(recv), recv) {
            (Some(ns), _) => call_method(ns, method, &a[2..]).map_err(TemplateError::Exec),
            // Not a time: a plain field access (`$labels.Day`).
            (None, Value::Map(m)) if a.len() == 2 => {
                Ok(m.get(method).cloned().unwrap_or(Value::Nil))
            }
            (None, Value::Nil) if a.len() == 2 => Ok(Value::Nil),
            (None, _) => Err(TemplateError::Exec(format!(
                "can't evaluate field {method} in type {}",
                go_type(recv)
            ))),
        }
    });
}

/// `model.TimeFromUnixNano(int64(v*1e9)).Time()`: nanoseconds truncated to milliseconds.
pub(crate) fn timestamp_ns(v: f64) -> Result<i64, String> {
    let ts = v * 1e9;
    if ts > i64::MAX as f64 || ts < i64::MIN as f64 {
        return Err(format!(
            "{} cannot be represented as a nanoseconds timestamp since it overflows int64",
            go_float(v)
        ));
    }
    let ns = ts as i64;
    Ok((ns / 1_000_000) * 1_000_000)
}

/// Go's regexp compile error text (`error parsing regexp: …`) for `pattern`.
fn compile(pattern: &str) -> Result<Regex, String> {
    Regex::new(pattern).map_err(|e| {
        let detail = e.to_string();
        let last = detail
            .lines()
            .rev()
            .find(|l| l.trim_start().starts_with("error:"))
            .map(|l| {
                l.trim_start()
                    .trim_start_matches("error:")
                    .trim()
                    .to_string()
            })
            .unwrap_or(detail);
        // Go's regexp/syntax error codes for the common mistakes.
        let code = match last.as_str() {
            "unclosed group" => "missing closing )",
            "unopened group" => "unexpected )",
            "unclosed character class" => "missing closing ]",
            "repetition operator missing expression" => "missing argument to repetition operator",
            "unrecognized escape sequence" => "invalid escape sequence",
            "invalid character class range" | "invalid range boundary" => {
                "invalid character class range"
            }
            other => other,
        };
        format!("error parsing regexp: {code}: `{pattern}`")
    })
}

fn register_strings(m: &mut FuncMap) {
    add(m, "reReplaceAll", |a| {
        arity("reReplaceAll", a, 3)?;
        let (pattern, repl, text) = (str_arg(&a[0])?, str_arg(&a[1])?, str_arg(&a[2])?);
        // regexp.MustCompile panics; text/template turns the panic into the call's error.
        let re = compile(pattern).map_err(|e| {
            let quoted = if pattern.contains('`') {
                go_quote(pattern)
            } else {
                format!("`{pattern}`")
            };
            call_err("reReplaceAll", format!("regexp: Compile({quoted}): {e}"))
        })?;
        Ok(Value::String(re.replace_all(text, repl).as_ref().into()))
    });
    add(m, "match", |a| {
        arity("match", a, 2)?;
        let (pattern, text) = (str_arg(&a[0])?, str_arg(&a[1])?);
        let re = compile(pattern).map_err(|e| call_err("match", e))?;
        Ok(Value::Bool(re.is_match(text)))
    });
    add(m, "safeHtml", |a| {
        arity("safeHtml", a, 1)?;
        Ok(Value::String(str_arg(&a[0])?.into()))
    });
    add(m, "title", |a| {
        arity("title", a, 1)?;
        Ok(Value::String(title(str_arg(&a[0])?).into()))
    });
    add(m, "toUpper", |a| {
        arity("toUpper", a, 1)?;
        Ok(Value::String(simple_case(str_arg(&a[0])?, true).into()))
    });
    add(m, "toLower", |a| {
        arity("toLower", a, 1)?;
        Ok(Value::String(simple_case(str_arg(&a[0])?, false).into()))
    });
    add(m, "graphLink", |a| {
        arity("graphLink", a, 1)?;
        let e = query_escape(str_arg(&a[0])?);
        Ok(Value::String(format!("/graph?g0.expr={e}&g0.tab=0").into()))
    });
    add(m, "tableLink", |a| {
        arity("tableLink", a, 1)?;
        let e = query_escape(str_arg(&a[0])?);
        Ok(Value::String(format!("/graph?g0.expr={e}&g0.tab=1").into()))
    });
    add(m, "stripPort", |a| {
        arity("stripPort", a, 1)?;
        let hp = str_arg(&a[0])?;
        let host = split_host_port(hp).map_or_else(|| hp.to_string(), |(h, _)| h);
        Ok(Value::String(host.into()))
    });
    add(m, "stripDomain", |a| {
        arity("stripDomain", a, 1)?;
        let hp = str_arg(&a[0])?;
        let (host, port) = split_host_port(hp).unwrap_or_else(|| (hp.to_string(), String::new()));
        if is_ip(&host) {
            return Ok(Value::String(hp.into()));
        }
        let short = host.split('.').next().unwrap_or("");
        let out = if port.is_empty() {
            short.to_string()
        } else {
            join_host_port(short, &port)
        };
        Ok(Value::String(out.into()))
    });
    add(m, "parseDuration", |a| {
        arity("parseDuration", a, 1)?;
        let s = str_arg(&a[0])?;
        parse_prom_duration(s)
            .map(Value::Float)
            .map_err(|e| call_err("parseDuration", e))
    });
}

/// Go's `strings.ToUpper`/`ToLower`: per-rune simple case mapping (`ß` stays `ß`; a rune whose
/// only upper case is several runes is kept, whose lower case is several runes takes the first).
fn simple_case(s: &str, upper: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let mapped: Vec<char> = if upper {
            c.to_uppercase().collect()
        } else {
            c.to_lowercase().collect()
        };
        match mapped.as_slice() {
            [one] => out.push(*one),
            [first, ..] if !upper => out.push(*first),
            _ => out.push(c),
        }
    }
    out
}

/// `cases.Title(language.AmericanEnglish, cases.NoLower)` as Prometheus ships it: the first
/// letter of every word upper-cased, the rest kept (`"aa bb CC"` → `"Aa Bb CC"`). Words are
/// runs of letters, digits and `_`; other characters (`-`, `.`, `'`) start a new word
/// (promtool 2.42: `"1st place o.k. don't"` → `"1st Place O.K. Don'T"`).
pub(crate) fn title(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_word = false;
    for c in s.chars() {
        let word_char = c.is_alphanumeric() || c == '_';
        if word_char && !in_word && c.is_alphabetic() {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        in_word = word_char;
    }
    out
}

/// One step of Go's field lookup on `v`: a sample has only `Labels` and `Value`, a label map
/// gives `""` for a missing label, a query result or scalar has no fields.
fn field_step(v: &Value, name: &str) -> FnResult {
    let no_field =
        |t: &str| TemplateError::Exec(format!("can't evaluate field {name} in type {t}"));
    match v {
        Value::Map(m) if as_time(v).is_some() => {
            let _ = m;
            Err(no_field("*time.Time"))
        }
        Value::Map(m) if super::values::is_sample(m) => m
            .get(name)
            .cloned()
            .ok_or_else(|| no_field("*template.sample")),
        Value::Map(m) if m.values().all(|x| matches!(x, Value::String(_))) => Ok(m
            .get(name)
            .cloned()
            .unwrap_or_else(|| Value::String("".into()))),
        Value::Map(m) => Ok(m.get(name).cloned().unwrap_or(Value::Nil)),
        Value::Nil => Ok(Value::Nil),
        other => Err(no_field(go_type(other))),
    }
}

fn s(v: String) -> FnResult {
    Ok(Value::String(v.into()))
}

/// Go's `index item keys…` (maps by string key: a missing label is `""`; lists and strings by
/// integer), with Go's error texts.
fn go_index(a: &[Value]) -> FnResult {
    let err = |m: String| call_err("index", m);
    let mut item = a.first().cloned().ok_or_else(|| {
        TemplateError::Exec("wrong number of args for index: want at least 1 got 0".into())
    })?;
    for key in &a[1..] {
        item = match (&item, key) {
            (Value::Nil, _) => return Err(err("index of untyped nil".into())),
            (Value::Map(m), Value::String(k)) => match m.get(&**k) {
                Some(v) => v.clone(),
                None if m.values().all(|x| matches!(x, Value::String(_))) => {
                    Value::String("".into())
                }
                None => Value::Nil,
            },
            (Value::Map(_), k) => {
                return Err(err(format!(
                    "value has type {}; should be string",
                    go_type(k)
                )))
            }
            (Value::List(l), Value::Int(i)) => {
                let idx = usize::try_from(*i)
                    .ok()
                    .filter(|i| *i < l.len())
                    .ok_or_else(|| err(format!("index out of range: {i}")))?;
                l[idx].clone()
            }
            (Value::String(s), Value::Int(i)) => {
                let idx = usize::try_from(*i)
                    .ok()
                    .filter(|i| *i < s.len())
                    .ok_or_else(|| err(format!("index out of range: {i}")))?;
                Value::Uint(u64::from(s.as_bytes()[idx]))
            }
            (Value::List(_) | Value::String(_), k) => {
                return Err(err(format!(
                    "cannot index slice/array with type {}",
                    go_type(k)
                )))
            }
            (other, _) => return Err(err(format!("can't index item of type {}", go_type(other)))),
        };
    }
    Ok(item)
}

fn register_print(m: &mut FuncMap) {
    add(m, "index", go_index);
    add(m, FIELDS_FN, |a| {
        let mut v = a.first().cloned().unwrap_or(Value::Nil);
        for f in a.iter().skip(1) {
            v = field_step(&v, f.as_str().unwrap_or(""))?;
        }
        Ok(v)
    });
    add(m, "eq", |a| engine_compare("eq", a));
    add(m, "ne", |a| engine_compare("ne", a));
    add(m, "lt", |a| engine_compare("lt", a));
    add(m, "le", |a| engine_compare("le", a));
    add(m, "gt", |a| engine_compare("gt", a));
    add(m, "ge", |a| engine_compare("ge", a));
    add(m, BAD_FIELD_FN, |a| {
        let field = a.first().and_then(|v| v.as_str()).unwrap_or("");
        Err(TemplateError::Exec(format!(
            "can't evaluate field {field} in type {ALERT_DATA_TYPE}"
        )))
    });
    add(m, "print", |a| s(sprint(a)));
    add(m, "println", |a| s(sprintln(a)));
    add(m, "printf", |a| {
        if a.is_empty() {
            return Err(TemplateError::Exec(
                "wrong number of args for printf: want at least 1 got 0".into(),
            ));
        }
        let (format, operands) = go_operands(str_arg(&a[0])?, &a[1..]);
        let mut args = vec![Value::String(format.into())];
        args.extend(operands);
        engine_call("printf", args)
    });
    add(m, PRINT_FN, |a| {
        let mut out = String::new();
        if let Some(v) = a.first() {
            go_print(v, &mut out);
        }
        s(out)
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_like_x_text_cases() {
        assert_eq!(title("aa bb CC"), "Aa Bb CC");
        assert_eq!(title("foo-bar baz_qux"), "Foo-Bar Baz_qux");
        assert_eq!(title("1st place o.k. don't"), "1st Place O.K. Don'T");
    }

    #[test]
    fn url_paths() {
        assert_eq!(url_path("http://testhost:9090/path/prefix"), "/path/prefix");
        assert_eq!(url_path("http://testhost:9090"), "");
    }
}
