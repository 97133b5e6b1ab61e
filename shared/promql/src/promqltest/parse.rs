//! Parsing of `.test` files into commands (`clear`, `load`, `eval` blocks), as Prometheus
//! `promql/promqltest/test.go` (`getLines`, `parseLoad`, `parseEval`, `parseExpect`).

use super::series::{parse_duration_ms, parse_metric, parse_number, parse_series_desc, SeqValue};
use lakewatch_model::Labels;
use regex::Regex;
use std::sync::OnceLock;

/// One `load` block: series with values at `i * step_ms` (ms since epoch 0).
#[derive(Debug, Clone)]
pub struct LoadCmd {
    /// 1-based line of the `load` command.
    pub line: usize,
    pub step_ms: i64,
    /// `load_with_nhcb`: also convert classic histograms into custom-bucket native histograms.
    pub with_nhcb: bool,
    /// Series in file order; a later line with the same labels replaces an earlier one.
    pub series: Vec<(Labels, Vec<SeqValue>)>,
}

/// How an annotation or error text is matched (`msg:` exact, `regex:` unanchored, or anything).
#[derive(Debug, Clone)]
pub enum TextMatch {
    Any,
    Exact(String),
    Regex(Regex),
}

impl TextMatch {
    pub fn matches(&self, s: &str) -> bool {
        match self {
            TextMatch::Any => true,
            TextMatch::Exact(m) => m == s,
            TextMatch::Regex(r) => r.is_match(s),
        }
    }
}

impl std::fmt::Display for TextMatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TextMatch::Any => write!(f, "<any>"),
            TextMatch::Exact(m) => write!(f, "msg {m:?}"),
            TextMatch::Regex(r) => write!(f, "regex {:?}", r.as_str()),
        }
    }
}

/// What kind of query an eval runs. Times in ms since epoch 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EvalKind {
    Instant {
        at_ms: i64,
    },
    Range {
        start_ms: i64,
        end_ms: i64,
        step_ms: i64,
    },
}

/// What an eval expects back.
#[derive(Debug, Clone)]
pub enum Expected {
    /// Series lines (possibly none = empty result): `(1-based position, labels, values)`.
    Series(Vec<(usize, Labels, Vec<SeqValue>)>),
    /// A bare number line.
    Scalar(f64),
    /// `expect string "…"`.
    String(String),
}

/// One `eval` block.
#[derive(Debug, Clone)]
pub struct EvalCmd {
    /// 1-based line of the `eval` command.
    pub line: usize,
    pub expr: String,
    pub kind: EvalKind,
    /// `Some` if the query must fail (`expect fail` / `eval_fail`), with the message matcher.
    pub fail: Option<TextMatch>,
    pub ordered: bool,
    /// Legacy `eval_warn` / `eval_info`: at least one annotation of that kind.
    pub legacy_warn: bool,
    pub legacy_info: bool,
    pub warn: Vec<TextMatch>,
    pub no_warn: bool,
    pub info: Vec<TextMatch>,
    pub no_info: bool,
    pub expected: Expected,
    /// `expect range vector from s to e step d` (instant query yielding a matrix).
    pub range_vector: Option<(i64, i64, i64)>,
}

impl EvalCmd {
    /// Whether the Go runner would skip the range-mode equivalence check for this instant eval.
    pub fn excluded_from_range_check(&self) -> bool {
        self.range_vector.is_some() || matches!(self.expected, Expected::String(_))
    }
}

/// A parsed command; `Invalid` keeps a block the parser rejected so it can be reported.
#[derive(Debug, Clone)]
pub enum Command {
    Clear,
    Load(LoadCmd),
    Eval(Box<EvalCmd>),
    /// A block that could not be parsed: `(line, expr if it was an eval, error)`.
    Invalid {
        line: usize,
        expr: Option<String>,
        error: String,
    },
}

fn re(cell: &'static OnceLock<Regex>, pat: &str) -> &'static Regex {
    cell.get_or_init(|| Regex::new(pat).expect("static regex"))
}

static PAT_LOAD: OnceLock<Regex> = OnceLock::new();
static PAT_EVAL_INSTANT: OnceLock<Regex> = OnceLock::new();
static PAT_EVAL_RANGE: OnceLock<Regex> = OnceLock::new();
static PAT_EXPECT: OnceLock<Regex> = OnceLock::new();
static PAT_EXPECT_RANGE: OnceLock<Regex> = OnceLock::new();

/// `getLines`: trim every line, comments become empty lines (which end blocks).
fn get_lines(input: &str) -> Vec<String> {
    input
        .split('\n')
        .map(|l| {
            let t = l.trim();
            if t.starts_with('#') {
                String::new()
            } else {
                t.to_string()
            }
        })
        .collect()
}

/// Parses a whole `.test` file. Never fails: broken blocks become [`Command::Invalid`].
pub fn parse_test_file(input: &str) -> Vec<Command> {
    let lines = get_lines(input);
    let mut cmds = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let l = &lines[i];
        if l.is_empty() {
            i += 1;
            continue;
        }
        let first = l
            .split([' ', '\t'])
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        let block_end = (i + 1..lines.len())
            .find(|&j| lines[j].is_empty())
            .unwrap_or(lines.len());
        if first == "clear" {
            cmds.push(Command::Clear);
            i += 1;
            continue;
        }
        let body = &lines[i + 1..block_end];
        let cmd = if first.starts_with("load") {
            parse_load(l, body, i + 1)
        } else if first.starts_with("eval") {
            parse_eval(l, body, i + 1)
        } else {
            Err((None, format!("invalid command {l:?}")))
        };
        cmds.push(match cmd {
            Ok(c) => c,
            Err((expr, error)) => Command::Invalid {
                line: i + 1,
                expr,
                error,
            },
        });
        i = block_end;
    }
    cmds
}

type BlockErr = (Option<String>, String);

fn parse_load(head: &str, body: &[String], line: usize) -> Result<Command, BlockErr> {
    let caps = re(&PAT_LOAD, r"^load(?:_(with_nhcb))?\s+(.+?)$")
        .captures(head)
        .ok_or((
            None,
            "invalid load command. (load[_with_nhcb] <step:duration>)".to_string(),
        ))?;
    let with_nhcb = caps.get(1).is_some();
    let step_ms = parse_duration_ms(&caps[2]).map_err(|e| (None, e))?;
    let mut series: Vec<(Labels, Vec<SeqValue>)> = Vec::new();
    for (k, def) in body.iter().enumerate() {
        // Start-timestamp lines (`metric@st …`) are parsed by Prometheus but our storage keeps
        // no start timestamps: skip them.
        let first_word = def.split_whitespace().next().unwrap_or("");
        if first_word.ends_with("@st") {
            continue;
        }
        let (labels, vals) =
            parse_series_desc(def).map_err(|e| (None, format!("line {}: {e}", line + k + 1)))?;
        if let Some(existing) = series.iter_mut().find(|(l, _)| *l == labels) {
            existing.1 = vals;
        } else {
            series.push((labels, vals));
        }
    }
    Ok(Command::Load(LoadCmd {
        line,
        step_ms,
        with_nhcb,
        series,
    }))
}

fn parse_expect_line(def: &str) -> Result<(String, TextMatch), String> {
    let caps = re(
        &PAT_EXPECT,
        r"^expect\s+(ordered|fail|warn|no_warn|info|no_info)(?:\s+(regex|msg):(.+))?$",
    )
    .captures(def.trim())
    .ok_or("invalid expect statement, must match `expect <type> <match_type>: <string>` format")?;
    let mode = caps[1].to_string();
    let m = match caps.get(2).map(|m| m.as_str()) {
        Some("msg") => TextMatch::Exact(caps[3].trim().to_string()),
        Some(_) => {
            let pat = caps[3].trim();
            TextMatch::Regex(
                Regex::new(pat).map_err(|_| format!("invalid regex {pat} for {mode}"))?,
            )
        }
        None => TextMatch::Any,
    };
    Ok((mode, m))
}

fn parse_eval(head: &str, body: &[String], line: usize) -> Result<Command, BlockErr> {
    let inst = re(
        &PAT_EVAL_INSTANT,
        r"^eval(?:_(fail|warn|ordered|info))?\s+instant\s+(?:at\s+(.+?))?\s+(.+)$",
    )
    .captures(head);
    let range = re(
        &PAT_EVAL_RANGE,
        r"^eval(?:_(fail|warn|info))?\s+range\s+from\s+(.+)\s+to\s+(.+)\s+step\s+(.+?)\s+(.+)$",
    )
    .captures(head);
    let (modifier, expr, kind) = if let Some(c) = &inst {
        let expr = c[3].to_string();
        let at = c.get(2).map(|m| m.as_str()).unwrap_or("");
        let at_ms = parse_duration_ms(at).map_err(|e| {
            (
                Some(expr.clone()),
                format!("invalid timestamp definition: {e}"),
            )
        })?;
        (
            c.get(1).map(|m| m.as_str().to_string()),
            expr,
            EvalKind::Instant { at_ms },
        )
    } else if let Some(c) = &range {
        let expr = c[5].to_string();
        let e = |x: String| (Some(expr.clone()), x);
        let start_ms = parse_duration_ms(&c[2]).map_err(e)?;
        let end_ms = parse_duration_ms(&c[3]).map_err(e)?;
        let step_ms = parse_duration_ms(&c[4]).map_err(e)?;
        if end_ms < start_ms {
            return Err(e(
                "invalid test definition, end timestamp is before start timestamp".into(),
            ));
        }
        (
            c.get(1).map(|m| m.as_str().to_string()),
            expr,
            EvalKind::Range {
                start_ms,
                end_ms,
                step_ms,
            },
        )
    } else {
        return Err((None, "invalid evaluation command".into()));
    };
    let err = |m: String| (Some(expr.clone()), m);
    let mut cmd = EvalCmd {
        line,
        expr: expr.clone(),
        kind,
        fail: None,
        ordered: false,
        legacy_warn: false,
        legacy_info: false,
        warn: vec![],
        no_warn: false,
        info: vec![],
        no_info: false,
        expected: Expected::Series(vec![]),
        range_vector: None,
    };
    match modifier.as_deref() {
        Some("fail") => cmd.fail = Some(TextMatch::Any),
        Some("ordered") => cmd.ordered = true,
        Some("warn") => cmd.legacy_warn = true,
        Some("info") => cmd.legacy_info = true,
        _ => {}
    }
    let is_instant = matches!(kind, EvalKind::Instant { .. });
    let mut series: Vec<(usize, Labels, Vec<SeqValue>)> = Vec::new();
    let mut scalar = None;
    let mut string = None;
    let mut j = 1usize;
    for def in body {
        if cmd.fail.is_some() && def.starts_with("expected_fail_message") {
            let m = def["expected_fail_message".len()..].trim().to_string();
            cmd.fail = Some(TextMatch::Exact(m));
            break;
        }
        if cmd.fail.is_some() && def.starts_with("expected_fail_regexp") {
            let p = def["expected_fail_regexp".len()..].trim();
            cmd.fail = Some(TextMatch::Regex(
                Regex::new(p).map_err(|e| err(format!("invalid regexp: {e}")))?,
            ));
            break;
        }
        if def.starts_with("expect range vector") {
            let c = re(
                &PAT_EXPECT_RANGE,
                r"^expect range vector\s+from\s+(.+)\s+to\s+(.+)\s+step\s+(.+)$",
            )
            .captures(def)
            .ok_or_else(|| err(format!("invalid range vector definition {def:?}")))?;
            let s = parse_duration_ms(&c[1]).map_err(err)?;
            let e = parse_duration_ms(&c[2]).map_err(err)?;
            let st = parse_duration_ms(&c[3]).map_err(err)?;
            cmd.range_vector = Some((s, e, st));
            cmd.kind = EvalKind::Instant { at_ms: e };
            continue;
        }
        if let Some(rest) = def.strip_prefix("expect string") {
            let rest = rest.trim();
            let (s, tail) = super::series::unquote_prefix(rest).map_err(|_| {
                err(
                    "expected string literal not valid - check that the string is correctly quoted"
                        .into(),
                )
            })?;
            if !tail.is_empty() {
                return Err(err("expected string literal not valid".into()));
            }
            string = Some(s);
            continue;
        }
        if def.split(' ').next() == Some("expect") {
            let (mode, m) = parse_expect_line(def).map_err(err)?;
            match mode.as_str() {
                "ordered" => cmd.ordered = true,
                "fail" => {
                    if matches!(
                        cmd.fail,
                        Some(TextMatch::Exact(_)) | Some(TextMatch::Regex(_))
                    ) {
                        return Err(err("multiple expect fail lines are not allowed".into()));
                    }
                    cmd.fail = Some(m)
                }
                "warn" => cmd.warn.push(m),
                "no_warn" => cmd.no_warn = true,
                "info" => cmd.info.push(m),
                _ => cmd.no_info = true,
            }
            if (!cmd.info.is_empty() && cmd.no_info) || (!cmd.warn.is_empty() && cmd.no_warn) {
                return Err(err(
                    "invalid expect lines, info/no_info or warn/no_warn used together".into(),
                ));
            }
            continue;
        }
        if let Some(f) = parse_number(def) {
            scalar = Some(f);
            break;
        }
        let (labels, vals) = parse_series_desc(def).map_err(err)?;
        if vals.len() > 1 && is_instant && cmd.range_vector.is_none() {
            return Err(err(
                "expecting multiple values in instant evaluation not allowed".into(),
            ));
        }
        if let Some(e) = series.iter_mut().find(|(_, l, _)| *l == labels) {
            *e = (j, labels, vals);
        } else {
            series.push((j, labels, vals));
        }
        j += 1;
    }
    cmd.expected = if let Some(s) = string {
        Expected::String(s)
    } else if let Some(f) = scalar {
        Expected::Scalar(f)
    } else {
        Expected::Series(series)
    };
    Ok(Command::Eval(Box::new(cmd)))
}

/// Parses only the labels of a series description (used by callers needing a metric).
pub fn parse_labels(s: &str) -> Result<Labels, String> {
    parse_metric(s).map(|(l, _)| l)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_blocks() {
        let cmds = parse_test_file(
            "# c\nload 5m\n  foo{a=\"1\"} 1+1x3\n\neval instant at 10m foo\n  expect no_warn\n  foo{a=\"1\"} 3\n\neval range from 0 to 10m step 5m foo\n  foo{a=\"1\"} 1 2 _\n\nclear\neval instant at 0 1\n  1\n",
        );
        assert_eq!(cmds.len(), 5);
        match &cmds[1] {
            Command::Eval(e) => {
                assert_eq!(e.line, 5);
                assert_eq!(e.expr, "foo");
                assert!(e.no_warn);
                assert_eq!(e.kind, EvalKind::Instant { at_ms: 600_000 });
            }
            other => panic!("{other:?}"),
        }
        match &cmds[2] {
            Command::Eval(e) => assert_eq!(
                e.kind,
                EvalKind::Range {
                    start_ms: 0,
                    end_ms: 600_000,
                    step_ms: 300_000
                }
            ),
            other => panic!("{other:?}"),
        }
        assert!(matches!(cmds[3], Command::Clear));
        match &cmds[4] {
            Command::Eval(e) => assert!(matches!(e.expected, Expected::Scalar(v) if v == 1.0)),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn expect_lines() {
        let cmds = parse_test_file(
            "eval instant at 0 foo\n expect fail msg: bad thing\n expect warn regex: a.c\n expect info\n",
        );
        let Command::Eval(e) = &cmds[0] else { panic!() };
        assert!(e.fail.as_ref().unwrap().matches("bad thing"));
        assert!(!e.fail.as_ref().unwrap().matches("bad thing2"));
        assert!(e.warn[0].matches("xxabcxx"));
        assert!(e.info[0].matches("anything"));
    }
}
