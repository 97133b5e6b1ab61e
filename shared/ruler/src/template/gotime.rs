//! Go `time.Time` methods on the value `toTime` returns (always UTC, as Prometheus's
//! `floatToTime`): `Format` with Go reference layouts (`"2006-01-02T15:04:05Z07:00"`),
//! `Unix`, `UnixMilli`, `UnixNano`, `Year`, `Month`, `Day`, `YearDay`, `Weekday`, `Hour`,
//! `Minute`, `Second`, `Nanosecond`, `String`, `UTC`.

use chrono::{DateTime, Datelike, Timelike, Utc};
use gotmpl::Value;

use super::format::go_time_string;
use super::values::time_value;

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

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
            Value::String(layout) => Value::String(format_layout(&t, layout).into()),
            _ => return Err("wrong type for value; expected string".to_string()),
        },
        "Unix" => Value::Int(ns.div_euclid(1_000_000_000)),
        "UnixMilli" => Value::Int(ns.div_euclid(1_000_000)),
        "UnixMicro" => Value::Int(ns.div_euclid(1_000)),
        "UnixNano" => Value::Int(ns),
        "Year" => Value::Int(i64::from(t.year())),
        "Month" => Value::String(MONTHS[t.month0() as usize].into()),
        "Day" => Value::Int(i64::from(t.day())),
        "YearDay" => Value::Int(i64::from(t.ordinal())),
        "Weekday" => Value::String(DAYS[t.weekday().num_days_from_sunday() as usize].into()),
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

/// Go's `Time.Format(layout)` for a UTC time.
pub(crate) fn format_layout(t: &DateTime<Utc>, layout: &str) -> String {
    let mut out = String::new();
    let mut rest = layout;
    while !rest.is_empty() {
        let (lit, chunk, after) = next_chunk(rest);
        out.push_str(lit);
        let Some(chunk) = chunk else { break };
        write_chunk(&mut out, t, chunk);
        rest = after;
    }
    out
}

/// Go's `nextStdChunk`: the literal prefix, the layout element, and what follows.
fn next_chunk(layout: &str) -> (&str, Option<&str>, &str) {
    const STD: [&str; 40] = [
        "January",
        "Jan",
        "Monday",
        "Mon",
        "MST",
        "2006",
        "01",
        "02",
        "_2",
        "002",
        "15",
        "03",
        "04",
        "05",
        "06",
        "PM",
        "pm",
        "Z07:00:00",
        "Z07:00",
        "Z0700",
        "Z07",
        "-07:00:00",
        "-07:00",
        "-0700",
        "-07",
        ".000000000",
        ".00000000",
        ".0000000",
        ".000000",
        ".00000",
        ".0000",
        ".000",
        ".00",
        ".0",
        ".999999999",
        ".999999",
        ".999",
        "1",
        "2",
        "3",
    ];
    let bytes = layout.as_bytes();
    for i in 0..bytes.len() {
        let rest = &layout[i..];
        for s in STD {
            if !rest.starts_with(s) {
                continue;
            }
            // Go's special cases: "Jan"/"Mon" need the letters to not continue a word;
            // fractional seconds only after a digit element; "1","2","3" are month/day/hour.
            if (s == "Mon" || s == "Jan")
                && rest[s.len()..].starts_with(|c: char| c.is_ascii_lowercase())
            {
                continue;
            }
            if s.starts_with('.') && rest[s.len()..].starts_with(|c: char| c.is_ascii_digit()) {
                continue;
            }
            if s == "2" && rest.starts_with("2006") {
                continue;
            }
            return (&layout[..i], Some(s), &layout[i + s.len()..]);
        }
    }
    (layout, None, "")
}

fn write_chunk(out: &mut String, t: &DateTime<Utc>, chunk: &str) {
    let hour12 = match t.hour() % 12 {
        0 => 12,
        h => h,
    };
    match chunk {
        "January" => out.push_str(MONTHS[t.month0() as usize]),
        "Jan" => out.push_str(&MONTHS[t.month0() as usize][..3]),
        "Monday" => out.push_str(DAYS[t.weekday().num_days_from_sunday() as usize]),
        "Mon" => out.push_str(&DAYS[t.weekday().num_days_from_sunday() as usize][..3]),
        "MST" => out.push_str("UTC"),
        "2006" => out.push_str(&format!("{:04}", t.year())),
        "06" => out.push_str(&format!("{:02}", t.year().rem_euclid(100))),
        "01" => out.push_str(&format!("{:02}", t.month())),
        "1" => out.push_str(&t.month().to_string()),
        "02" => out.push_str(&format!("{:02}", t.day())),
        "_2" => out.push_str(&format!("{:>2}", t.day())),
        "2" => out.push_str(&t.day().to_string()),
        "002" => out.push_str(&format!("{:03}", t.ordinal())),
        "15" => out.push_str(&format!("{:02}", t.hour())),
        "03" => out.push_str(&format!("{hour12:02}")),
        "3" => out.push_str(&hour12.to_string()),
        "04" => out.push_str(&format!("{:02}", t.minute())),
        "05" => out.push_str(&format!("{:02}", t.second())),
        "PM" => out.push_str(if t.hour() >= 12 { "PM" } else { "AM" }),
        "pm" => out.push_str(if t.hour() >= 12 { "pm" } else { "am" }),
        "Z07:00:00" | "Z07:00" | "Z0700" | "Z07" => out.push('Z'),
        "-07:00:00" => out.push_str("+00:00:00"),
        "-07:00" => out.push_str("+00:00"),
        "-0700" => out.push_str("+0000"),
        "-07" => out.push_str("+00"),
        frac if frac.starts_with(".0") => {
            let digits = frac.len() - 1;
            let s = format!("{:09}", t.nanosecond());
            out.push('.');
            out.push_str(&s[..digits]);
        }
        frac if frac.starts_with(".9") => {
            let digits = frac.len() - 1;
            let s = format!("{:09}", t.nanosecond());
            let s = s[..digits].trim_end_matches('0');
            if !s.is_empty() {
                out.push('.');
                out.push_str(s);
            }
        }
        other => out.push_str(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_reference_layouts() {
        let t = datetime(1_435_065_584_128_000_000).unwrap_or_default();
        assert_eq!(format_layout(&t, "2006"), "2015");
        assert_eq!(
            format_layout(&t, "2006-01-02T15:04:05.000Z07:00"),
            "2015-06-23T13:19:44.128Z"
        );
        assert_eq!(format_layout(&t, "Mon Jan _2 3:04PM"), "Tue Jun 23 1:19PM");
    }
}
