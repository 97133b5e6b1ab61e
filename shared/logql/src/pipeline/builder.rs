//! Per-entry label state, as Loki's `LabelsBuilder` (`pkg/logql/log/labels.go`): stream
//! labels are the immutable base; structured metadata, parsed labels and deletions are
//! recorded on top, with the precedence Parsed > Structured metadata > Stream. `__error__`
//! and `__error_details__` live outside the label sets and are appended to the parsed
//! category of the result. Unlike `Labels`, values may be empty here (Loki keeps
//! `foo=""` from `| json` and `--keep-empty`).

use lakewatch_model::{Label, Labels};
use std::collections::{BTreeMap, HashSet};

/// `__error__`.
pub const ERROR_LABEL: &str = "__error__";
/// `__error_details__`.
pub const ERROR_DETAILS_LABEL: &str = "__error_details__";
/// `__preserve_error__` (never produced here; skipped by `keep` as in Loki).
pub const PRESERVE_ERROR_LABEL: &str = "__preserve_error__";
/// Suffix given to extracted keys that collide with stream labels or structured metadata.
pub const DUPLICATE_SUFFIX: &str = "_extracted";

/// Label category, as Loki's `LabelCategory`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Category {
    /// Stream labels (the base).
    Stream = 0,
    /// Structured metadata of the entry.
    StructuredMetadata = 1,
    /// Labels added by parsers and `label_format`.
    Parsed = 2,
}

const CATEGORIES: [Category; 3] = [
    Category::Stream,
    Category::StructuredMetadata,
    Category::Parsed,
];

/// The label state of one entry while it runs through the pipeline.
#[derive(Debug)]
pub struct Builder<'a> {
    base: &'a Labels,
    del: Vec<String>,
    add: [Vec<(String, String)>; 3],
    err: String,
    err_details: String,
    /// Keys set as parsed labels during this entry (Loki's parser hints `Extracted`):
    /// later parsers do not overwrite them.
    extracted: HashSet<String>,
}

fn find<'v>(v: &'v [(String, String)], name: &str) -> Option<&'v str> {
    v.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
}

fn contains(v: &[(String, String)], name: &str) -> bool {
    v.iter().any(|(n, _)| n == name)
}

impl<'a> Builder<'a> {
    /// A builder over `stream` labels with nothing added.
    pub fn new(stream: &'a Labels) -> Self {
        Builder {
            base: stream,
            del: Vec::new(),
            add: [Vec::new(), Vec::new(), Vec::new()],
            err: String::new(),
            err_details: String::new(),
            extracted: HashSet::new(),
        }
    }

    /// Sets `__error__`.
    pub fn set_err(&mut self, e: &str) {
        self.err = e.to_string();
    }

    /// The current `__error__` ("" when none).
    pub fn err(&self) -> &str {
        &self.err
    }

    /// True when `__error__` is set.
    pub fn has_err(&self) -> bool {
        !self.err.is_empty()
    }

    /// Sets `__error_details__`.
    pub fn set_err_details(&mut self, d: &str) {
        self.err_details = d.to_string();
    }

    /// The current `__error_details__`.
    pub fn err_details(&self) -> &str {
        &self.err_details
    }

    /// Clears `__error__`.
    pub fn reset_err(&mut self) {
        self.err.clear();
    }

    /// Clears `__error_details__`.
    pub fn reset_err_details(&mut self) {
        self.err_details.clear();
    }

    /// Sets the error and, when given, its details (Loki's `addErrLabel`).
    pub fn add_err(&mut self, e: &str, details: Option<&str>) {
        self.set_err(e);
        if let Some(d) = details {
            self.set_err_details(d);
        }
    }

    /// True when the stream labels contain `name`.
    pub fn base_has(&self, name: &str) -> bool {
        self.base.get(name).is_some()
    }

    /// True when `name` was added in `cat`.
    pub fn has_in(&self, name: &str, cat: Category) -> bool {
        contains(&self.add[cat as usize], name)
    }

    /// True when an extracted key must get the `_extracted` suffix: it collides with a
    /// stream label or with structured metadata.
    pub fn collides(&self, name: &str) -> bool {
        self.base_has(name) || self.has_in(name, Category::StructuredMetadata)
    }

    /// True when a parser already extracted `name` for this entry.
    pub fn extracted(&self, name: &str) -> bool {
        self.extracted.contains(name)
    }

    /// Value and category of `name` (added categories first, then deletions, then the base).
    pub fn get_with_category(&self, name: &str) -> Option<(&str, Category)> {
        for cat in CATEGORIES {
            if let Some(v) = find(&self.add[cat as usize], name) {
                return Some((v, cat));
            }
        }
        if self.del.iter().any(|d| d == name) {
            return None;
        }
        match self.base.get(name) {
            Some(v) if !v.is_empty() => Some((v, Category::Stream)),
            _ => None,
        }
    }

    /// Value of `name` (`None` when absent; `Some("")` for an added empty value).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.get_with_category(name).map(|(v, _)| v)
    }

    /// Deletes `name` from every category.
    pub fn del(&mut self, name: &str) {
        for v in self.add.iter_mut() {
            v.retain(|(n, _)| n != name);
        }
        self.del.push(name.to_string());
    }

    /// Sets `name=value` in `cat` with Loki's precedence rules (a parsed label hides
    /// structured metadata and stream labels of the same name, ...).
    pub fn set(&mut self, cat: Category, name: &str, value: &str) {
        match cat {
            Category::Parsed => {
                self.add[Category::StructuredMetadata as usize].retain(|(n, _)| n != name);
                self.add[Category::Stream as usize].retain(|(n, _)| n != name);
            }
            Category::StructuredMetadata => {
                self.add[Category::Stream as usize].retain(|(n, _)| n != name);
                if self.has_in(name, Category::Parsed) {
                    return;
                }
            }
            Category::Stream => {
                if self.has_in(name, Category::StructuredMetadata)
                    || self.has_in(name, Category::Parsed)
                {
                    return;
                }
            }
        }
        let list = &mut self.add[cat as usize];
        if let Some(e) = list.iter_mut().find(|(n, _)| n == name) {
            e.1 = value.to_string();
            return;
        }
        list.push((name.to_string(), value.to_string()));
        if cat == Category::Parsed {
            self.extracted.insert(name.to_string());
        }
    }

    /// Adds a whole label set (structured metadata at the start of the pipeline): names
    /// present in the stream labels get the `_extracted` suffix; `__error__` and
    /// `__error_details__` set the error fields instead.
    pub fn add_all(&mut self, cat: Category, labels: &Labels) {
        for l in labels.iter() {
            let name = if self.base_has(&l.name) {
                format!("{}{DUPLICATE_SUFFIX}", l.name)
            } else {
                l.name.clone()
            };
            if name == ERROR_LABEL {
                self.err = l.value.clone();
            } else if name == ERROR_DETAILS_LABEL {
                self.err_details = l.value.clone();
            } else {
                self.set(cat, &name, &l.value);
            }
        }
    }

    /// All current labels, unsorted, errors last (Loki's `UnsortedLabels`).
    pub fn unsorted(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for l in self.base.iter() {
            if self.del.contains(&l.name)
                || self.has_in(&l.name, Category::StructuredMetadata)
                || self.has_in(&l.name, Category::Parsed)
            {
                continue;
            }
            let v = find(&self.add[Category::Stream as usize], &l.name).unwrap_or(&l.value);
            out.push((l.name.clone(), v.to_string()));
        }
        for (n, v) in &self.add[Category::StructuredMetadata as usize] {
            if !self.has_in(n, Category::Parsed) {
                out.push((n.clone(), v.clone()));
            }
        }
        out.extend(self.add[Category::Parsed as usize].iter().cloned());
        if !self.err.is_empty() {
            out.push((ERROR_LABEL.to_string(), self.err.clone()));
        }
        if !self.err_details.is_empty() {
            out.push((ERROR_DETAILS_LABEL.to_string(), self.err_details.clone()));
        }
        out
    }

    /// The labels as a map (what templates see), errors included.
    pub fn to_map(&self) -> BTreeMap<String, String> {
        self.unsorted().into_iter().collect()
    }

    /// The final labels split into (stream, structured metadata, parsed) as Loki's
    /// `LabelsResult`: errors and parsed labels are "parsed", then structured metadata,
    /// everything else is "stream". Empty values are kept.
    pub fn result(&self) -> (Labels, Labels, Labels) {
        let mut stream = Vec::new();
        let mut meta = Vec::new();
        let mut parsed = Vec::new();
        for (n, v) in self.unsorted() {
            let l = Label { name: n, value: v };
            if l.name == ERROR_LABEL
                || l.name == ERROR_DETAILS_LABEL
                || self.has_in(&l.name, Category::Parsed)
            {
                parsed.push(l);
            } else if self.has_in(&l.name, Category::StructuredMetadata) {
                meta.push(l);
            } else {
                stream.push(l);
            }
        }
        (sorted(stream), sorted(meta), sorted(parsed))
    }
}

/// Sorts by name and drops earlier duplicates (keeps empty values, unlike
/// `Labels::from_pairs`).
pub(crate) fn sorted(mut v: Vec<Label>) -> Labels {
    v.sort_by(|a, b| a.name.cmp(&b.name));
    let mut out: Vec<Label> = Vec::with_capacity(v.len());
    for l in v {
        match out.last_mut() {
            Some(last) if last.name == l.name => *last = l,
            _ => out.push(l),
        }
    }
    Labels::from_sorted(out)
}
