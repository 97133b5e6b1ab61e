//! `| drop a, b="v"` and `| keep a, b=~"v.*"`, as Loki's `drop_labels.go` /
//! `keep_labels.go`. `drop __error__` (or `__error__="…"`) clears the error, which is how a
//! metric query ignores failed entries; `keep` never removes `__error__`,
//! `__error_details__` or `__preserve_error__`.

use super::builder::{Builder, ERROR_DETAILS_LABEL, ERROR_LABEL, PRESERVE_ERROR_LABEL};
use super::label_filter::StrMatch;
use crate::ast::LabelSel;

/// A compiled `drop`/`keep` item.
#[derive(Debug, Clone)]
pub enum Sel {
    /// Bare name.
    Name(String),
    /// Name with a matcher on the value.
    Matcher(String, StrMatch),
}

/// Compiles `drop`/`keep` items. Errors: invalid regex.
pub fn compile(items: &[LabelSel]) -> Result<Vec<Sel>, String> {
    items
        .iter()
        .map(|s| {
            Ok(match s {
                LabelSel::Name(n) => Sel::Name(n.clone()),
                LabelSel::Matcher(m) => Sel::Matcher(m.name.clone(), StrMatch::new(m)?),
            })
        })
        .collect()
}

/// `| drop`.
pub fn drop(sels: &[Sel], b: &mut Builder<'_>) {
    for s in sels {
        match s {
            Sel::Name(n) if n == ERROR_LABEL => b.reset_err(),
            Sel::Name(n) if n == ERROR_DETAILS_LABEL => b.reset_err_details(),
            Sel::Name(n) => {
                if b.get(n).is_some() {
                    b.del(n);
                }
            }
            Sel::Matcher(n, m) if n == ERROR_LABEL => {
                if m.matches(b.err()) {
                    b.reset_err();
                }
            }
            Sel::Matcher(n, m) if n == ERROR_DETAILS_LABEL => {
                if m.matches(b.err_details()) {
                    b.reset_err_details();
                }
            }
            Sel::Matcher(n, m) => {
                if m.matches(b.get(n).unwrap_or("")) {
                    b.del(n);
                }
            }
        }
    }
}

/// `| keep`.
pub fn keep(sels: &[Sel], b: &mut Builder<'_>) {
    if sels.is_empty() {
        return;
    }
    for (name, value) in b.unsorted() {
        if name == ERROR_LABEL || name == ERROR_DETAILS_LABEL || name == PRESERVE_ERROR_LABEL {
            continue;
        }
        let kept = sels.iter().any(|s| match s {
            Sel::Name(n) => *n == name,
            Sel::Matcher(n, m) => *n == name && m.matches(&value),
        });
        if !kept {
            b.del(&name);
        }
    }
}
