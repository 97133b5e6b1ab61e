//! Reads a Prometheus 0.0.4 / OpenMetrics text exposition back into samples, so the local
//! process can store its own metrics as a Prometheus scraping it would. Only what
//! [`super::SelfMetrics`] emits is needed: `name{label="value",…} value` lines, comments
//! ignored, label values with the `\\`, `\"` and `\n` escapes.

/// One exposition sample: metric name, labels (in exposition order) and value.
#[derive(Debug, Clone, PartialEq)]
pub struct ScrapedSample {
    pub name: String,
    pub labels: Vec<(String, String)>,
    pub value: f64,
}

/// Parses every sample line of `text`; malformed lines are skipped (the input is our own
/// exposition). Values `+Inf`, `-Inf` and `NaN` parse as Prometheus does.
pub fn parse_exposition(text: &str) -> Vec<ScrapedSample> {
    text.lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(parse_line)
        .collect()
}

/// One metric family's `# TYPE` (`counter`, `gauge`, `histogram`, …) and `# HELP` text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScrapedFamily {
    pub name: String,
    pub kind: String,
    pub help: String,
}

/// The families declared by `# TYPE` lines of `text`, with their `# HELP` text (unescaped;
/// empty when absent), in order of appearance.
pub fn parse_families(text: &str) -> Vec<ScrapedFamily> {
    let mut helps = std::collections::HashMap::new();
    let mut out = Vec::new();
    for line in text.lines() {
        if let Some((name, help)) = line.strip_prefix("# HELP ").and_then(|r| r.split_once(' ')) {
            let help = help.replace("\\n", "\n").replace("\\\\", "\\");
            helps.insert(name.to_string(), help);
        } else if let Some((name, kind)) =
            line.strip_prefix("# TYPE ").and_then(|r| r.split_once(' '))
        {
            out.push(ScrapedFamily {
                name: name.to_string(),
                kind: kind.trim().to_string(),
                help: String::new(),
            });
        }
    }
    for f in &mut out {
        if let Some(h) = helps.remove(&f.name) {
            f.help = h;
        }
    }
    out
}

fn parse_value(s: &str) -> Option<f64> {
    match s {
        "+Inf" | "Inf" => Some(f64::INFINITY),
        "-Inf" => Some(f64::NEG_INFINITY),
        "NaN" => Some(f64::NAN),
        _ => s.parse().ok(),
    }
}

fn parse_line(line: &str) -> Option<ScrapedSample> {
    let name_end = line.find(['{', ' '])?;
    let name = &line[..name_end];
    let mut rest = &line[name_end..];
    let mut labels = Vec::new();
    if let Some(body) = rest.strip_prefix('{') {
        let (parsed, after) = parse_labels(body)?;
        labels = parsed;
        rest = after;
    }
    let value = rest.split_whitespace().next()?;
    Some(ScrapedSample {
        name: name.to_string(),
        labels,
        value: parse_value(value)?,
    })
}

/// Parses `k="v",k2="v2"}` and returns the labels and the text after `}`.
fn parse_labels(mut s: &str) -> Option<(Vec<(String, String)>, &str)> {
    let mut labels = Vec::new();
    loop {
        s = s.trim_start_matches([',', ' ']);
        if let Some(after) = s.strip_prefix('}') {
            return Some((labels, after));
        }
        let eq = s.find('=')?;
        let key = s[..eq].trim().to_string();
        s = s[eq + 1..].strip_prefix('"')?;
        let mut value = String::new();
        let mut chars = s.char_indices();
        let end = loop {
            let (i, c) = chars.next()?;
            match c {
                '"' => break i,
                '\\' => match chars.next()?.1 {
                    'n' => value.push('\n'),
                    other => value.push(other),
                },
                c => value.push(c),
            }
        };
        labels.push((key, value));
        s = &s[end + 1..];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_lines() {
        let t = "# HELP x y\nx_total{a=\"1\",b=\"q\\\"\\\\\\n\"} 3\nup 1\nh_bucket{le=\"+Inf\"} 2\n# EOF\n";
        let s = parse_exposition(t);
        assert_eq!(s.len(), 3);
        assert_eq!(s[0].name, "x_total");
        assert_eq!(
            s[0].labels,
            vec![("a".into(), "1".into()), ("b".into(), "q\"\\\n".into())]
        );
        assert_eq!(s[0].value, 3.0);
        assert_eq!(s[1].labels, vec![]);
        assert_eq!(s[2].labels[0].1, "+Inf");
        let t = "# HELP a_total Things seen.\n# TYPE a_total counter\n# TYPE b gauge\n";
        let f = parse_families(t);
        assert_eq!(f.len(), 2);
        assert_eq!(f[0].name, "a_total");
        assert_eq!(f[0].kind, "counter");
        assert_eq!(f[0].help, "Things seen.");
        assert_eq!(f[1].help, "");
    }
}
