//! Go `time.Time` methods on the value `toTime` returns (always UTC, as Prometheus's
//! `floatToTime`): `Format` with Go reference layouts (`"2006-01-02T15:04:05Z07:00"`),
//! `Unix`, `UnixMilli`, `UnixNano`, `Year`, `Month`, `Day`, `YearDay`, `Weekday`, `Hour`,
//! `Minute`, `Second`, `Nanosecond`, `String`, `UTC`.

use chrono::{DateTime, Datelike, Timelike, Utc};
use gotmpl::Value;
use lakewatch_logql::template::GoTime;

use super::format::go_time_string;
use super::values::time_value;

/// Names of the methods [`call_method`] knows.
pub(crate) const METHODS: [&str; 16] = [
    "Format",
    "UTC",
    "Unix",
    "UnixMilli",
    "UnixMicro",
    "UnixNano",
    "Year",
    "Month",
    "Day",
    "YearDay",
    "Weekday",
    "Hour",
    "Minute",
    "Second",
    "Nanosecond",
    "String",
];

fn datetime(ns: i64) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(
        ns.div_euclid(1_000_000_000),
        ns.rem_euclid(1_000_000_000) as u32,
    )
}

/// Calls method `name` of the time `ns` (Unix nanoseconds) with `args`. Errors are Go's texts
/// for a wrong argument count.
pub(crate) fn call_method(ns: i64, name: &str, args: &[Value]) -> Result<Value, String> {
    let want = if name == "Format" { 1 } else { 0 };
    if args.len() != want {
        return Err(format!(
            "wrong number of args for {name}: want {want} got {}",
            args.len()
        ));
    }
    let t = datetime(ns).ok_or_else(|| "time out of range".to_string())?;
    let v = match name {
        "Format" => match &args[0] {
            Value::String(layout) => Value::String(format_layout(ns, layout).into()),
            _ => return Err("wrong type for value; expected string".to_string()),
        },
        "Unix" => Value::Int(ns.div_euclid(1_000_000_000)),
        "UnixMilli" => Value::Int(ns.div_euclid(1_000_000)),
        "UnixMicro" => Value::Int(ns.div_euclid(1_000)),
        "UnixNano" => Value::Int(ns),
        "Year" => Value::Int(i64::from(t.year())),
        "Month" => Value::String(format_layout(ns, "January").into()),
        "Day" => Value::Int(i64::from(t.day())),
        "YearDay" => Value::Int(i64::from(t.ordinal())),
        "Weekday" => Value::String(format_layout(ns, "Monday").into()),
        "Hour" => Value::Int(i64::from(t.hour())),
        "Minute" => Value::Int(i64::from(t.minute())),
        "Second" => Value::Int(i64::from(t.second())),
        "Nanosecond" => Value::Int(i64::from(t.nanosecond())),
        "String" => Value::String(go_time_string(ns).into()),
        "UTC" => time_value(ns),
        other => return Err(format!("can't evaluate field {other} in type *time.Time")),
    };
    Ok(v)
}

/// Go's `Time.Format(layout)` for the UTC time `ns` (Unix nanoseconds): the LogQL templates'
/// Go layout formatter.
pub(crate) fn format_layout(ns: i64, layout: &str) -> String {
    GoTime::from_unix_nanos(ns).format(layout)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_reference_layouts() {
        let t = 1_435_065_584_128_000_000;
        assert_eq!(format_layout(t, "2006"), "2015");
        assert_eq!(
            format_layout(t, "2006-01-02T15:04:05.000Z07:00"),
            "2015-06-23T13:19:44.128Z"
        );
        assert_eq!(format_layout(t, "Mon Jan _2 3:04PM"), "Tue Jun 23 1:19PM");
        assert_eq!(
            call_method(t, "Weekday", &[]).ok(),
            Some(Value::String("Tuesday".into()))
        );
        assert_eq!(
            call_method(t, "Month", &[]).ok(),
            Some(Value::String("June".into()))
        );
    }
}
