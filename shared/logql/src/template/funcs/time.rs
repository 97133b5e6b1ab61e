//! Time and unit functions: `__line__`, `__timestamp__`, Sprig's `date`, `toDate`, `now`,
//! `unixEpoch`, and Loki's `toDateInZone`, `unixEpochMillis`, `unixEpochNanos`, `unixToTime`,
//! `duration`/`duration_seconds` and `bytes`.
//!
//! Times are values of Go's `time.Time` (see `gotime`); the server zone ("Local") is UTC.

use std::cell::{Cell, RefCell};

use gotmpl::{FuncMap, Value};

use super::add;
use crate::template::gotime::{parse_in, parse_utc, GoTime, Loc};
// Go's `time.ParseDuration` and go-humanize's `ParseBytes`, shared with `unwrap`.
use crate::pipeline::convert::{
    parse_bytes as parse_go_bytes, parse_duration as parse_go_duration,
};
use crate::template::value::{arity, call_err, str_arg, time_arg, FnResult};

/// Name of the function giving the current line.
pub(crate) const CURRENT_LINE_FN: &str = "__line__";
/// Name of the function giving the current entry's time.
pub(crate) const CURRENT_TS_FN: &str = "__timestamp__";

thread_local! {
    static LINE: RefCell<String> = const { RefCell::new(String::new()) };
    static TS: Cell<i64> = const { Cell::new(0) };
}

/// Makes `line` and `ts_ns` what `__line__`/`__timestamp__` return on this thread until the
/// next call (the template renders synchronously on the calling thread).
pub(crate) fn set_current(line: Option<&str>, ts_ns: i64) {
    if let Some(line) = line {
        LINE.with(|l| {
            let mut l = l.borrow_mut();
            l.clear();
            l.push_str(line);
        });
    }
    TS.with(|t| t.set(ts_ns));
}

fn t(v: GoTime) -> FnResult {
    Ok(Value::String(v.go_string().into()))
}

fn s(v: String) -> FnResult {
    Ok(Value::String(v.into()))
}

/// Loki's `unixToTime`: days (5 digits), seconds (10), ms (13), µs (16) or ns (19).
fn unix_to_time(epoch: &str) -> Result<GoTime, String> {
    let i: i64 = epoch.parse().map_err(|_| {
        format!(
            "unable to parse time '{epoch}': strconv.ParseInt: parsing {epoch:?}: invalid syntax"
        )
    })?;
    Ok(match epoch.len() {
        5 => GoTime::utc(i * 86_400, 0),
        10 => GoTime::utc(i, 0),
        13 => GoTime::from_unix_nanos(i * 1_000_000),
        16 => GoTime::from_unix_nanos(i * 1_000),
        19 => GoTime::from_unix_nanos(i),
        _ => return Err(format!("unable to parse time '{epoch}': %!w(<nil>)")),
    })
}

/// Registers the time and unit functions.
pub(crate) fn register(m: &mut FuncMap) {
    add(m, CURRENT_LINE_FN, |a| {
        arity(CURRENT_LINE_FN, a, 0)?;
        Ok(Value::String(LINE.with(|l| l.borrow().as_str().into())))
    });
    add(m, CURRENT_TS_FN, |a| {
        arity(CURRENT_TS_FN, a, 0)?;
        t(GoTime::from_unix_nanos(TS.with(Cell::get)))
    });
    add(m, "now", |a| {
        arity("now", a, 0)?;
        t(GoTime::now())
    });
    add(m, "date", |a| {
        arity("date", a, 2)?;
        let layout = str_arg(&a[0])?;
        // Sprig: a time, or an integer count of seconds; anything else means now.
        let when = match &a[1] {
            Value::Int(secs) => GoTime::utc(*secs, 0),
            Value::String(text) => GoTime::decode(text).unwrap_or_else(GoTime::now),
            _ => GoTime::now(),
        };
        s(when.in_utc().format(layout))
    });
    add(m, "toDate", |a| {
        arity("toDate", a, 2)?;
        t(parse_utc(str_arg(&a[0])?, str_arg(&a[1])?).unwrap_or_else(GoTime::zero))
    });
    add(m, "toDateInZone", |a| {
        arity("toDateInZone", a, 3)?;
        let (layout, zone, text) = (str_arg(&a[0])?, str_arg(&a[1])?, str_arg(&a[2])?);
        t(parse_in(layout, text, Loc::load(zone)).unwrap_or_else(GoTime::zero))
    });
    add(m, "unixEpoch", |a| {
        arity("unixEpoch", a, 1)?;
        s(time_arg(&a[0])?.secs.to_string())
    });
    add(m, "unixEpochMillis", |a| {
        arity("unixEpochMillis", a, 1)?;
        s(time_arg(&a[0])?.unix_millis().to_string())
    });
    add(m, "unixEpochNanos", |a| {
        arity("unixEpochNanos", a, 1)?;
        s(time_arg(&a[0])?.unix_nanos().to_string())
    });
    add(m, "unixToTime", |a| {
        arity("unixToTime", a, 1)?;
        t(unix_to_time(str_arg(&a[0])?).map_err(|e| call_err("unixToTime", e))?)
    });
    for name in ["duration", "duration_seconds"] {
        add(m, name, move |a| {
            arity(name, a, 1)?;
            let ns = parse_go_duration(str_arg(&a[0])?).map_err(|e| call_err(name, e))?;
            // Go's Duration.Seconds(): whole seconds plus the fraction.
            let secs = (ns / 1_000_000_000) as f64 + (ns % 1_000_000_000) as f64 / 1e9;
            Ok(Value::Float(secs))
        });
    }
    add(m, "bytes", |a| {
        arity("bytes", a, 1)?;
        let b = parse_go_bytes(str_arg(&a[0])?).map_err(|e| call_err("bytes", e))?;
        Ok(Value::Float(b as f64))
    });
}
