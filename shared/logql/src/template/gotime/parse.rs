//! Go's `time.ParseInLocation` for reference-time layouts.

use chrono::{Datelike, NaiveDate};

use super::layout::{next_chunk, Std};
use super::{GoTime, Loc, LONG_DAYS, LONG_MONTHS};

fn skip<'a>(mut value: &'a str, mut prefix: &str) -> Option<&'a str> {
    while !prefix.is_empty() {
        if prefix.starts_with(' ') {
            if !value.is_empty() && !value.starts_with(' ') {
                return None;
            }
            prefix = prefix.trim_start_matches(' ');
            value = value.trim_start_matches(' ');
            continue;
        }
        let c = prefix.chars().next()?;
        value = value.strip_prefix(c)?;
        prefix = &prefix[c.len_utf8()..];
    }
    Some(value)
}

fn digit(s: &str, i: usize) -> Option<u32> {
    s.as_bytes()
        .get(i)
        .filter(|c| c.is_ascii_digit())
        .map(|c| u32::from(c - b'0'))
}

/// Go's `getnum`: one or two digits (exactly two when `fixed`).
fn getnum(s: &str, fixed: bool) -> Option<(u32, &str)> {
    let a = digit(s, 0)?;
    match digit(s, 1) {
        Some(b) => Some((a * 10 + b, &s[2..])),
        None if fixed => None,
        None => Some((a, &s[1..])),
    }
}

fn getnum3(s: &str, fixed: bool) -> Option<(u32, &str)> {
    let mut n = 0;
    let mut i = 0;
    while i < 3 {
        match digit(s, i) {
            Some(d) => n = n * 10 + d,
            None => break,
        }
        i += 1;
    }
    if i == 0 || (fixed && i != 3) {
        return None;
    }
    Some((n, &s[i..]))
}

fn lookup<'a>(names: &[&str], short: bool, value: &'a str) -> Option<(usize, &'a str)> {
    for (i, n) in names.iter().enumerate() {
        let n = if short { &n[..3] } else { n };
        if value.len() >= n.len() && value[..n.len()].eq_ignore_ascii_case(n) {
            return Some((i, &value[n.len()..]));
        }
    }
    None
}

fn parse_nanos(value: &str, nbytes: usize) -> Option<u32> {
    if !value.starts_with(['.', ',']) {
        return None;
    }
    let mut digits = value.get(1..nbytes.min(10))?;
    if !digits.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    if digits.len() > 9 {
        digits = &digits[..9];
    }
    format!("{digits:0<9}").parse().ok()
}

/// Length of a zone abbreviation at the start of `value` (Go's `parseTimeZone`, simplified:
/// `GMT±h`, or three to five upper-case letters).
fn zone_len(value: &str) -> Option<usize> {
    if let Some(rest) = value.strip_prefix("GMT") {
        let sign = rest.len() - rest.trim_start_matches(['+', '-']).len();
        if sign == 1 {
            let d = rest[1..].bytes().take_while(u8::is_ascii_digit).count();
            if d > 0 {
                return Some(4 + d);
            }
        }
        return Some(3);
    }
    let n = value.bytes().take_while(u8::is_ascii_uppercase).count();
    (3..=5).contains(&n).then_some(n)
}

pub(crate) fn parse_utc(layout: &str, value: &str) -> Option<GoTime> {
    parse_in(layout, value, Loc::Utc)
}

/// Go's `time.ParseInLocation(layout, value, loc)`; `None` for any parse error.
pub(crate) fn parse_in(layout: &str, value: &str, loc: Loc) -> Option<GoTime> {
    let (mut year, mut month, mut day, mut yday) = (0i32, 0u32, 0u32, 0u32);
    let (mut hour, mut min, mut sec, mut nsec) = (0u32, 0u32, 0u32, 0u32);
    let (mut pm, mut am) = (false, false);
    let mut offset: Option<i32> = None;
    let mut zone: Option<String> = None;
    let mut layout = layout;
    let mut value = value;
    loop {
        let chunk = next_chunk(layout);
        let prefix = chunk.map_or(layout, |c| c.0);
        value = skip(value, prefix)?;
        let Some((_, std, suffix)) = chunk else {
            if !value.is_empty() {
                return None;
            }
            break;
        };
        layout = suffix;
        match std {
            Std::Year => {
                let (y, r) = getnum(value, true)?;
                year = y as i32 + if y >= 69 { 1900 } else { 2000 };
                value = r;
            }
            Std::LongYear => {
                if value.len() < 4 || !value.as_bytes()[..4].iter().all(u8::is_ascii_digit) {
                    return None;
                }
                year = value[..4].parse().ok()?;
                value = &value[4..];
            }
            Std::Month | Std::LongMonth => {
                let (m, r) = lookup(&LONG_MONTHS, std == Std::Month, value)?;
                month = m as u32 + 1;
                value = r;
            }
            Std::NumMonth | Std::ZeroMonth => {
                let (m, r) = getnum(value, std == Std::ZeroMonth)?;
                if !(1..=12).contains(&m) {
                    return None;
                }
                month = m;
                value = r;
            }
            Std::WeekDay | Std::LongWeekDay => {
                value = lookup(&LONG_DAYS, std == Std::WeekDay, value)?.1;
            }
            Std::Day | Std::UnderDay | Std::ZeroDay => {
                if std == Std::UnderDay {
                    value = value.strip_prefix(' ').unwrap_or(value);
                }
                let (d, r) = getnum(value, std == Std::ZeroDay)?;
                day = d;
                value = r;
            }
            Std::UnderYearDay | Std::ZeroYearDay => {
                for _ in 0..2 {
                    if std == Std::UnderYearDay {
                        value = value.strip_prefix(' ').unwrap_or(value);
                    }
                }
                let (d, r) = getnum3(value, std == Std::ZeroYearDay)?;
                yday = d;
                value = r;
            }
            Std::Hour => {
                let (h, r) = getnum(value, false)?;
                if h >= 24 {
                    return None;
                }
                hour = h;
                value = r;
            }
            Std::Hour12 | Std::ZeroHour12 => {
                let (h, r) = getnum(value, std == Std::ZeroHour12)?;
                if h > 12 {
                    return None;
                }
                hour = h;
                value = r;
            }
            Std::Minute | Std::ZeroMinute => {
                let (m, r) = getnum(value, std == Std::ZeroMinute)?;
                if m >= 60 {
                    return None;
                }
                min = m;
                value = r;
            }
            Std::Second | Std::ZeroSecond => {
                let (s, r) = getnum(value, std == Std::ZeroSecond)?;
                if s >= 60 {
                    return None;
                }
                sec = s;
                value = r;
                let frac_next = matches!(next_chunk(layout), Some((_, Std::Frac { .. }, _)));
                if value.len() >= 2
                    && value.starts_with(['.', ','])
                    && digit(value, 1).is_some()
                    && !frac_next
                {
                    let n = 1 + value[1..].bytes().take_while(u8::is_ascii_digit).count();
                    nsec = parse_nanos(value, n)?;
                    value = &value[n..];
                }
            }
            Std::PM | Std::Pm => {
                let p = value.get(..2)?;
                let (pm_s, am_s) = if std == Std::PM {
                    ("PM", "AM")
                } else {
                    ("pm", "am")
                };
                if p == pm_s {
                    pm = true;
                } else if p == am_s {
                    am = true;
                } else {
                    return None;
                }
                value = &value[2..];
            }
            Std::Zone {
                iso,
                colon,
                secs,
                short,
            } => {
                if iso && value.starts_with('Z') {
                    value = &value[1..];
                    zone = Some("UTC".to_string());
                    continue;
                }
                let num = |s: &str| -> Option<i32> {
                    if s.len() == 2 && s.bytes().all(|c| c.is_ascii_digit()) {
                        s.parse().ok()
                    } else {
                        None
                    }
                };
                let (h, m, s, n) = if colon && !secs {
                    if value.get(3..4)? != ":" {
                        return None;
                    }
                    (num(value.get(1..3)?)?, num(value.get(4..6)?)?, 0, 6)
                } else if short {
                    (num(value.get(1..3)?)?, 0, 0, 3)
                } else if colon && secs {
                    if value.get(3..4)? != ":" || value.get(6..7)? != ":" {
                        return None;
                    }
                    let s = num(value.get(7..9)?)?;
                    (num(value.get(1..3)?)?, num(value.get(4..6)?)?, s, 9)
                } else if secs {
                    let s = num(value.get(5..7)?)?;
                    (num(value.get(1..3)?)?, num(value.get(3..5)?)?, s, 7)
                } else {
                    (num(value.get(1..3)?)?, num(value.get(3..5)?)?, 0, 5)
                };
                let off = (h * 60 + m) * 60 + s;
                offset = Some(match value.as_bytes()[0] {
                    b'+' => off,
                    b'-' => -off,
                    _ => return None,
                });
                value = &value[n..];
            }
            Std::Tz => {
                if let Some(r) = value.strip_prefix("UTC") {
                    zone = Some("UTC".to_string());
                    value = r;
                    continue;
                }
                let n = zone_len(value)?;
                zone = Some(value[..n].to_string());
                value = &value[n..];
            }
            Std::Frac { digits, trim, .. } => {
                if !trim {
                    let n = 1 + digits;
                    if value.len() < n {
                        return None;
                    }
                    nsec = parse_nanos(value, n)?;
                    value = &value[n..];
                } else if value.len() >= 2
                    && value.starts_with(['.', ','])
                    && digit(value, 1).is_some()
                {
                    let n = 1 + value[1..].bytes().take_while(u8::is_ascii_digit).count();
                    nsec = parse_nanos(value, n)?;
                    value = &value[n..];
                }
            }
        }
    }
    if pm && hour < 12 {
        hour += 12;
    } else if am && hour == 12 {
        hour = 0;
    }
    let date = if yday > 0 {
        let d = NaiveDate::from_yo_opt(year, yday)?;
        if (month != 0 && d.month() != month) || (day != 0 && d.day() != day) {
            return None;
        }
        d
    } else {
        NaiveDate::from_ymd_opt(year, month.max(1), if day == 0 { 1 } else { day })?
    };
    let naive = date.and_hms_nano_opt(hour, min, sec, nsec)?;
    let local_secs = naive.and_utc().timestamp();
    match (offset, zone) {
        (_, Some(z)) if z == "UTC" => Some(GoTime::utc(local_secs, nsec)),
        (Some(o), z) => {
            let secs = local_secs - i64::from(o);
            let in_loc = loc.time(secs, nsec);
            let name = z.unwrap_or_default();
            if in_loc.offset == o && (name.is_empty() || name == in_loc.zone) {
                return Some(in_loc);
            }
            Some(GoTime {
                secs,
                nsec,
                offset: o,
                zone: name,
            })
        }
        (None, Some(z)) => {
            // An abbreviation: the zone of `loc` with that name, else GMT±h, else offset 0.
            let guess = loc.time(loc.resolve(local_secs), nsec);
            if guess.zone == z {
                return Some(guess);
            }
            let o = z
                .strip_prefix("GMT")
                .and_then(|h| h.parse::<i32>().ok())
                .map_or(0, |h| h * 3600);
            Some(GoTime {
                secs: local_secs - i64::from(o),
                nsec,
                offset: o,
                zone: z,
            })
        }
        (None, None) => Some(loc.time(loc.resolve(local_secs), nsec)),
    }
}
