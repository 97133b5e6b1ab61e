//! `| unpack`: for lines packed by Promtail's `pack` stage (`{"_entry":"line", "k":"v"}`),
//! the string fields become parsed labels and `_entry` replaces the line, as Loki's
//! `UnpackParser`. Labels are only added when `_entry` is present. Lines not starting with
//! `{` set `__error__=JSONParserErr` (`expecting json object(6), but it is not`).

use super::builder::{Builder, Category, DUPLICATE_SUFFIX};
use super::json_scan::{self, ValueType};
use super::sanitize::sanitize_key;
use super::{Ctx, ERR_JSON};

/// Loki's `PackedEntryKey`.
const PACKED_ENTRY_KEY: &str = "_entry";

/// Result of unpacking one line.
pub enum Unpacked {
    /// Keep the line as is.
    Unchanged,
    /// Replace the line.
    Line(String),
    /// An early label filter dropped the entry.
    Drop,
}

/// Runs `| unpack` on `line`.
pub fn unpack(line: &str, b: &mut Builder<'_>, ctx: &Ctx<'_>) -> Unpacked {
    if line.is_empty() || ctx.no_labels(b) {
        return Unpacked::Unchanged;
    }
    if !line.starts_with('{') {
        ctx.add_err(b, ERR_JSON, Some("expecting json object(6), but it is not"));
        return Unpacked::Unchanged;
    }
    let mut entry: Option<String> = None;
    let mut pairs: Vec<(String, String)> = Vec::new();
    let r = json_scan::object_each::<&'static str>(line.as_bytes(), &mut |key, value, ty| {
        if ty != ValueType::String {
            return Ok(());
        }
        if key == PACKED_ENTRY_KEY {
            entry = Some(json_scan::unescape(value)?);
            return Ok(());
        }
        let mut k = key.to_string();
        if b.collides(&k) {
            k.push_str(DUPLICATE_SUFFIX);
        }
        if !ctx.should_extract(&k) || b.extracted(&k) {
            return Ok(());
        }
        pairs.push((sanitize_key(&k), json_scan::unescape_value(value)));
        Ok(())
    });
    if let Err(e) = r {
        ctx.add_err(b, ERR_JSON, Some(e));
        return Unpacked::Unchanged;
    }
    let Some(entry) = entry else {
        return Unpacked::Unchanged;
    };
    for (k, v) in pairs {
        b.set(Category::Parsed, &k, &v);
        if !ctx.continue_parsing(&k, b) {
            return Unpacked::Drop;
        }
    }
    Unpacked::Line(entry)
}
