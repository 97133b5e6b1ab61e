//! Go `time.Time` as the templates see it: Go reference-time layouts
//! (`"2006-01-02T15:04:05Z07:00"`) for formatting and parsing, and the `time.Time.String()`
//! text (`"2006-01-02 15:04:05.999999999 -0700 MST"`) that a printed time shows.
//!
//! The template engine's values are untyped, so a time travels between functions as that
//! `String()` text and is decoded again by the functions that take a time (`date`, `unixEpoch`…).
//! The server's local zone is taken to be UTC (Loki's containers run in UTC). Named zones
//! (`America/New_York`) come from the IANA database (`chrono-tz`); an unknown name falls back
//! to UTC, as Loki's `toDateInZone` does when `time.LoadLocation` fails.

use chrono::{DateTime, Datelike, NaiveDate, Offset, TimeZone, Timelike};
use chrono_tz::OffsetName;

mod layout;
mod parse;

use layout::{next_chunk, pad, Std};
pub(crate) use parse::{parse_in, parse_utc};

/// A point in time with the zone it is shown in (Go's `time.Time` minus the monotonic clock).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoTime {
    /// Seconds since the Unix epoch (UTC).
    pub secs: i64,
    /// Nanoseconds within the second, `0..1e9`.
    pub nsec: u32,
    /// Zone offset east of UTC in seconds.
    pub offset: i32,
    /// Zone abbreviation (`"UTC"`); empty for a fixed zone without a name.
    pub zone: String,
}

const LAYOUT_STRING: &str = "2006-01-02 15:04:05.999999999 -0700 MST";
const LONG_MONTHS: [&str; 12] = [
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
const LONG_DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

impl GoTime {
    /// `time.Unix(0, ns)` in UTC.
    pub fn from_unix_nanos(ns: i64) -> GoTime {
        GoTime::utc(
            ns.div_euclid(1_000_000_000),
            ns.rem_euclid(1_000_000_000) as u32,
        )
    }

    /// `time.Unix(secs, nsec)` in UTC.
    pub fn utc(secs: i64, nsec: u32) -> GoTime {
        GoTime {
            secs,
            nsec,
            offset: 0,
            zone: "UTC".to_string(),
        }
    }

    /// Go's zero time, `0001-01-01 00:00:00 +0000 UTC`.
    pub fn zero() -> GoTime {
        GoTime::utc(-62_135_596_800, 0)
    }

    /// `time.Now()` in UTC.
    pub fn now() -> GoTime {
        let now = chrono::Utc::now();
        GoTime::utc(now.timestamp(), now.timestamp_subsec_nanos())
    }

    /// The same instant shown in UTC (`t.In(time.UTC)`).
    pub fn in_utc(&self) -> GoTime {
        GoTime::utc(self.secs, self.nsec)
    }

    /// Nanoseconds since the epoch (`t.UnixNano()`, wrapping like Go outside ±292 years).
    pub fn unix_nanos(&self) -> i64 {
        self.secs
            .wrapping_mul(1_000_000_000)
            .wrapping_add(i64::from(self.nsec))
    }

    /// Milliseconds since the epoch (`t.UnixMilli()`).
    pub fn unix_millis(&self) -> i64 {
        self.secs * 1000 + i64::from(self.nsec / 1_000_000)
    }

    /// Go's `t.String()`.
    pub fn go_string(&self) -> String {
        self.format(LAYOUT_STRING)
    }

    /// Decodes the `t.String()` text produced by [`GoTime::go_string`].
    pub fn decode(s: &str) -> Option<GoTime> {
        let (date, rest) = s.split_once(' ')?;
        let (clock, rest) = rest.split_once(' ')?;
        let (off, zone) = rest.split_once(' ')?;
        let mut d = date.splitn(3, '-');
        let year: i32 = d.next()?.parse().ok()?;
        let month: u32 = d.next()?.parse().ok()?;
        let day: u32 = d.next()?.parse().ok()?;
        let (hms, frac) = match clock.split_once('.') {
            Some((a, b)) => (a, b),
            None => (clock, ""),
        };
        let mut c = hms.splitn(3, ':');
        let h: u32 = c.next()?.parse().ok()?;
        let mi: u32 = c.next()?.parse().ok()?;
        let se: u32 = c.next()?.parse().ok()?;
        if frac.len() > 9 || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let nsec: u32 = if frac.is_empty() {
            0
        } else {
            format!("{frac:0<9}").parse().ok()?
        };
        let b = off.as_bytes();
        if b.len() != 5 || !(b[0] == b'+' || b[0] == b'-') {
            return None;
        }
        let oh: i32 = off.get(1..3)?.parse().ok()?;
        let om: i32 = off.get(3..5)?.parse().ok()?;
        let offset = (oh * 60 + om) * 60 * if b[0] == b'-' { -1 } else { 1 };
        let naive = NaiveDate::from_ymd_opt(year, month, day)?.and_hms_nano_opt(h, mi, se, nsec)?;
        let zone = if zone == off { "" } else { zone };
        if zone.contains(' ') {
            return None;
        }
        Some(GoTime {
            secs: naive.and_utc().timestamp() - i64::from(offset),
            nsec,
            offset,
            zone: zone.to_string(),
        })
    }

    fn local(&self) -> chrono::NaiveDateTime {
        DateTime::from_timestamp(self.secs + i64::from(self.offset), self.nsec)
            .unwrap_or_default()
            .naive_utc()
    }

    /// Go's `t.Format(layout)`.
    pub fn format(&self, layout: &str) -> String {
        let t = self.local();
        let mut out = String::with_capacity(layout.len() + 10);
        let mut rest = layout;
        loop {
            let Some((prefix, std, suffix)) = next_chunk(rest) else {
                out.push_str(rest);
                return out;
            };
            out.push_str(prefix);
            rest = suffix;
            let year = t.year();
            let hour = t.hour() as i64;
            match std {
                Std::Year => pad(&mut out, i64::from(year).rem_euclid(100), 2),
                Std::LongYear => pad(&mut out, i64::from(year), 4),
                Std::Month => out.push_str(&LONG_MONTHS[t.month0() as usize][..3]),
                Std::LongMonth => out.push_str(LONG_MONTHS[t.month0() as usize]),
                Std::NumMonth => pad(&mut out, i64::from(t.month()), 0),
                Std::ZeroMonth => pad(&mut out, i64::from(t.month()), 2),
                Std::WeekDay => {
                    out.push_str(&LONG_DAYS[t.weekday().num_days_from_sunday() as usize][..3])
                }
                Std::LongWeekDay => {
                    out.push_str(LONG_DAYS[t.weekday().num_days_from_sunday() as usize])
                }
                Std::Day => pad(&mut out, i64::from(t.day()), 0),
                Std::UnderDay => {
                    if t.day() < 10 {
                        out.push(' ');
                    }
                    pad(&mut out, i64::from(t.day()), 0)
                }
                Std::ZeroDay => pad(&mut out, i64::from(t.day()), 2),
                Std::UnderYearDay => {
                    let yd = t.ordinal();
                    if yd < 100 {
                        out.push(' ');
                        if yd < 10 {
                            out.push(' ');
                        }
                    }
                    pad(&mut out, i64::from(yd), 0)
                }
                Std::ZeroYearDay => pad(&mut out, i64::from(t.ordinal()), 3),
                Std::Hour => pad(&mut out, hour, 2),
                Std::Hour12 | Std::ZeroHour12 => {
                    let h = if hour % 12 == 0 { 12 } else { hour % 12 };
                    pad(&mut out, h, if std == Std::ZeroHour12 { 2 } else { 0 })
                }
                Std::Minute => pad(&mut out, i64::from(t.minute()), 0),
                Std::ZeroMinute => pad(&mut out, i64::from(t.minute()), 2),
                Std::Second => pad(&mut out, i64::from(t.second()), 0),
                Std::ZeroSecond => pad(&mut out, i64::from(t.second()), 2),
                Std::PM => out.push_str(if hour >= 12 { "PM" } else { "AM" }),
                Std::Pm => out.push_str(if hour >= 12 { "pm" } else { "am" }),
                Std::Tz => {
                    if self.zone.is_empty() {
                        let z = self.offset / 60;
                        out.push(if z < 0 { '-' } else { '+' });
                        pad(&mut out, i64::from(z.abs() / 60), 2);
                        pad(&mut out, i64::from(z.abs() % 60), 2);
                    } else {
                        out.push_str(&self.zone);
                    }
                }
                Std::Zone {
                    iso,
                    colon,
                    secs,
                    short,
                } => {
                    if iso && self.offset == 0 {
                        out.push('Z');
                        continue;
                    }
                    let abs = self.offset.abs();
                    out.push(if self.offset < 0 { '-' } else { '+' });
                    pad(&mut out, i64::from(abs / 3600), 2);
                    if !short {
                        if colon {
                            out.push(':');
                        }
                        pad(&mut out, i64::from(abs / 60 % 60), 2);
                    }
                    if secs {
                        if colon {
                            out.push(':');
                        }
                        pad(&mut out, i64::from(abs % 60), 2);
                    }
                }
                Std::Frac { digits, trim, sep } => {
                    if trim && (digits == 0 || self.nsec == 0) {
                        continue;
                    }
                    let mut s = format!("{:09}", self.nsec);
                    s.truncate(digits);
                    if trim {
                        while s.ends_with('0') {
                            s.pop();
                        }
                        if s.is_empty() {
                            continue;
                        }
                    }
                    out.push(sep);
                    out.push_str(&s);
                }
            }
        }
    }
}

/// A Go `*time.Location`: UTC or an IANA zone.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Loc {
    /// UTC (also Go's `Local` here).
    Utc,
    /// A zone of the IANA database.
    Zone(chrono_tz::Tz),
}

impl Loc {
    /// `time.LoadLocation(name)`, falling back to UTC for an unknown name (Loki's behaviour).
    pub fn load(name: &str) -> Loc {
        match name {
            "" | "UTC" | "Local" => Loc::Utc,
            _ => name.parse().map_or(Loc::Utc, Loc::Zone),
        }
    }

    /// Offset (seconds east of UTC) and abbreviation in effect at `secs` since the epoch.
    fn at(self, secs: i64) -> (i32, String) {
        match self {
            Loc::Utc => (0, "UTC".to_string()),
            Loc::Zone(tz) => {
                let utc = DateTime::from_timestamp(secs, 0)
                    .unwrap_or_default()
                    .naive_utc();
                let off = tz.offset_from_utc_datetime(&utc);
                let name = off.abbreviation().unwrap_or_default().to_string();
                (off.fix().local_minus_utc(), name)
            }
        }
    }

    /// The instant of wall-clock `local` (given as seconds as if it were UTC) in this zone,
    /// choosing as Go's `time.Date` does around transitions.
    fn resolve(self, local: i64) -> i64 {
        let first = self.at(local).0;
        let second = self.at(local - i64::from(first)).0;
        local - i64::from(second)
    }

    /// `t.In(loc)`.
    pub fn time(self, secs: i64, nsec: u32) -> GoTime {
        let (offset, zone) = self.at(secs);
        GoTime {
            secs,
            nsec,
            offset,
            zone,
        }
    }
}

/// Go's `time.ParseInLocation(layout, value, time.UTC)`.
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_reference_layouts() {
        // 2009-11-10T23:04:05.123Z, a Tuesday, day 314.
        let t = GoTime::from_unix_nanos(1_257_894_245_123_000_000);
        assert_eq!(
            t.format("2006-01-02T15:04:05Z07:00"),
            "2009-11-10T23:04:05Z"
        );
        assert_eq!(
            t.format("Mon Jan _2 15:04:05 MST 2006"),
            "Tue Nov 10 23:04:05 UTC 2009"
        );
        assert_eq!(t.format("3:04PM .000 .999 002"), "11:04PM .123 .123 314");
        assert_eq!(t.go_string(), "2009-11-10 23:04:05.123 +0000 UTC");
        assert_eq!(GoTime::decode(&t.go_string()), Some(t));
        assert_eq!(GoTime::zero().go_string(), "0001-01-01 00:00:00 +0000 UTC");
    }

    #[test]
    fn parse_layouts() {
        let t = parse_utc("2006-01-02 15:04:05 -0700", "2024-03-01 10:00:00 -0500").unwrap();
        assert_eq!(t.go_string(), "2024-03-01 10:00:00 -0500 -0500");
        assert_eq!(t.in_utc().format(time_layout()), "2024-03-01T15:00:00Z");
        let t = parse_utc("Jan 2, 2006 at 3:04pm (MST)", "Feb 3, 2013 at 7:54pm (UTC)").unwrap();
        assert_eq!(t.format(time_layout()), "2013-02-03T19:54:00Z");
        assert!(parse_utc("2006-01-02", "2024-02-30").is_none());
        assert!(parse_utc("05.000", "01é234").is_none());
        assert!(GoTime::decode("2024-01-01 00:00:00 +0é0 X").is_none());
        let ny = Loc::load("America/New_York");
        let t = parse_in("2006-01-02 15:04", "2021-11-02 10:00", ny).unwrap();
        assert_eq!(t.go_string(), "2021-11-02 10:00:00 -0400 EDT");
        assert_eq!(t.secs, 1_635_861_600);
        // Inside the spring-forward gap Go moves to the later offset's reading.
        let t = parse_in("2006-01-02 15:04", "2021-03-14 02:30", ny).unwrap();
        assert_eq!(t.go_string(), "2021-03-14 01:30:00 -0500 EST");
        let t = parse_in("2006-01-02 15:04 MST", "2021-01-02 10:00 EST", ny).unwrap();
        assert_eq!(t.go_string(), "2021-01-02 10:00:00 -0500 EST");
        assert!(matches!(Loc::load("Mars/Olympus"), Loc::Utc));
        let t = parse_utc("15:04:05", "10:30:01.5").unwrap();
        assert_eq!(t.go_string(), "0000-01-01 10:30:01.5 +0000 UTC");
    }

    fn time_layout() -> &'static str {
        "2006-01-02T15:04:05Z07:00"
    }
}
