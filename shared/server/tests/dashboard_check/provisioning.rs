//! The datasource provisioning file (`dashboards/provisioning/datasources/lakewatch.yaml`),
//! read with a small line parser: the server crate has no YAML dependency, and the file's
//! shape is fixed (a `datasources:` list whose items start with `- name:`).

/// One provisioned datasource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Datasource {
    pub name: String,
    pub uid: String,
    /// Grafana plugin id: `prometheus`, `loki`, `tempo`.
    pub kind: String,
    /// Base URL, e.g. `http://127.0.0.1:9009/logs`.
    pub url: String,
}

/// What the provisioning file declares: the datasources and every `datasourceUid:` link
/// between them (exemplars, derived fields, traces → logs / metrics, service map).
#[derive(Debug, Clone, Default)]
pub struct Provisioning {
    pub datasources: Vec<Datasource>,
    pub links: Vec<String>,
}

fn value(line: &str, key: &str) -> Option<String> {
    let rest = line.trim_start().trim_start_matches("- ").trim_start();
    let v = rest.strip_prefix(key)?.strip_prefix(':')?;
    let v = v.split(" #").next().unwrap_or("").trim();
    Some(v.trim_matches('"').trim_matches('\'').to_string())
}

impl Provisioning {
    /// Parses the file's text. Errors name the datasource missing a `uid`, `type` or `url`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut out = Provisioning::default();
        let mut cur: Option<Datasource> = None;
        let mut item_indent = None;
        for line in text.lines() {
            if line.trim_start().starts_with('#') || line.trim().is_empty() {
                continue;
            }
            let indent = line.len() - line.trim_start().len();
            if line.trim_start().starts_with("- name:") && item_indent.is_none_or(|i| i == indent) {
                item_indent = Some(indent);
                if let Some(d) = cur.take() {
                    out.datasources.push(d);
                }
                cur = Some(Datasource {
                    name: value(line, "name").unwrap_or_default(),
                    uid: String::new(),
                    kind: String::new(),
                    url: String::new(),
                });
                continue;
            }
            if let Some(v) = value(line, "datasourceUid") {
                out.links.push(v);
                continue;
            }
            let (Some(d), Some(i)) = (cur.as_mut(), item_indent) else {
                continue;
            };
            // Only the datasource's own keys (two spaces deeper than its `- `).
            if indent != i + 2 {
                continue;
            }
            if let Some(v) = value(line, "uid") {
                d.uid = v;
            } else if let Some(v) = value(line, "type") {
                d.kind = v;
            } else if let Some(v) = value(line, "url") {
                d.url = v;
            }
        }
        out.datasources.extend(cur);
        for d in &out.datasources {
            if d.uid.is_empty() || d.kind.is_empty() || d.url.is_empty() {
                return Err(format!(
                    "datasource {:?} needs uid, type and url: {d:?}",
                    d.name
                ));
            }
        }
        Ok(out)
    }

    /// The datasource with `uid`.
    pub fn get(&self, uid: &str) -> Option<&Datasource> {
        self.datasources.iter().find(|d| d.uid == uid)
    }
}
