//! `| regexp "(?P<name>re)"`: named groups of the first match become parsed labels (an
//! unmatched optional group gives ""), as Loki's `RegexpParser`.

use super::builder::{Builder, Category, DUPLICATE_SUFFIX};
use super::go_regex;
use super::sanitize::sanitize_key;
use super::Ctx;
use regex::Regex;

/// A compiled `| regexp` stage.
#[derive(Debug, Clone)]
pub struct RegexpParser {
    re: Regex,
    /// (group index, sanitised label name).
    names: Vec<(usize, String)>,
}

impl RegexpParser {
    /// Compiles `src`. Errors: invalid regex, `at least one named capture must be supplied`,
    /// `duplicate extracted label name '<n>'`.
    pub fn new(src: &str) -> Result<Self, String> {
        let re = go_regex::compile(src)?;
        let mut names = Vec::new();
        let mut seen: Vec<&str> = Vec::new();
        for (i, n) in re.capture_names().enumerate() {
            let Some(n) = n else { continue };
            if seen.contains(&n) {
                return Err(format!("duplicate extracted label name '{n}'"));
            }
            seen.push(n);
            let key = sanitize_key(n);
            if !key.is_empty() {
                names.push((i, key));
            }
        }
        if seen.is_empty() {
            return Err("at least one named capture must be supplied".into());
        }
        Ok(RegexpParser { re, names })
    }

    /// Extracts the named groups. Returns false when an early label filter drops the entry.
    pub fn process(&self, line: &str, b: &mut Builder<'_>, ctx: &Ctx<'_>) -> bool {
        let Some(caps) = self.re.captures(line) else {
            return true;
        };
        for (i, name) in &self.names {
            let mut key = name.clone();
            if b.collides(&key) {
                key.push_str(DUPLICATE_SUFFIX);
            }
            if !ctx.should_extract(&key) || b.extracted(&key) {
                continue;
            }
            let v = caps.get(*i).map(|m| m.as_str()).unwrap_or("");
            b.set(Category::Parsed, &key, v);
            if !ctx.continue_parsing(&key, b) {
                return false;
            }
        }
        true
    }
}
