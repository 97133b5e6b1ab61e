//! Go layout elements (`nextStdChunk`): `2006`, `Jan`, `15`, `Z07:00`, `.000`…

pub(super) fn pad(out: &mut String, v: i64, width: usize) {
    if v < 0 {
        out.push('-');
    }
    let s = v.unsigned_abs().to_string();
    for _ in s.len()..width {
        out.push('0');
    }
    out.push_str(&s);
}

/// One element of a Go layout (`stdLongMonth`, `stdZeroDay`, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Std {
    LongMonth,
    Month,
    NumMonth,
    ZeroMonth,
    LongWeekDay,
    WeekDay,
    Day,
    UnderDay,
    ZeroDay,
    UnderYearDay,
    ZeroYearDay,
    Hour,
    Hour12,
    ZeroHour12,
    Minute,
    ZeroMinute,
    Second,
    ZeroSecond,
    LongYear,
    Year,
    PM,
    Pm,
    Tz,
    /// Numeric zone: `Z07:00`-style when `iso` (prints `Z` for UTC), `-07:00`-style otherwise.
    Zone {
        iso: bool,
        colon: bool,
        secs: bool,
        short: bool,
    },
    /// Fractional seconds `.000` (`trim == false`) or `.999` (`trim == true`).
    Frac {
        digits: usize,
        trim: bool,
        sep: char,
    },
}

fn starts_lower(s: &str) -> bool {
    s.as_bytes().first().is_some_and(|c| c.is_ascii_lowercase())
}

/// Go's `nextStdChunk`: the text before the first layout element, the element, and the rest.
pub(super) fn next_chunk(layout: &str) -> Option<(&str, Std, &str)> {
    let b = layout.as_bytes();
    let at = |i: usize, s: &str| layout.get(i..).is_some_and(|r| r.starts_with(s));
    for i in 0..b.len() {
        let hit = |n: usize, std: Std| Some((&layout[..i], std, &layout[i + n..]));
        match b[i] {
            b'J' if at(i, "Jan") => {
                if at(i, "January") {
                    return hit(7, Std::LongMonth);
                }
                if !starts_lower(&layout[i + 3..]) {
                    return hit(3, Std::Month);
                }
            }
            b'M' => {
                if at(i, "Mon") {
                    if at(i, "Monday") {
                        return hit(6, Std::LongWeekDay);
                    }
                    if !starts_lower(&layout[i + 3..]) {
                        return hit(3, Std::WeekDay);
                    }
                }
                if at(i, "MST") {
                    return hit(3, Std::Tz);
                }
            }
            b'0' => {
                if i + 1 < b.len() && (b'1'..=b'6').contains(&b[i + 1]) {
                    let std = [
                        Std::ZeroMonth,
                        Std::ZeroDay,
                        Std::ZeroHour12,
                        Std::ZeroMinute,
                        Std::ZeroSecond,
                        Std::Year,
                    ][(b[i + 1] - b'1') as usize];
                    return hit(2, std);
                }
                if at(i, "002") {
                    return hit(3, Std::ZeroYearDay);
                }
            }
            b'1' => {
                if at(i, "15") {
                    return hit(2, Std::Hour);
                }
                return hit(1, Std::NumMonth);
            }
            b'2' => {
                if at(i, "2006") {
                    return hit(4, Std::LongYear);
                }
                return hit(1, Std::Day);
            }
            b'_' => {
                if at(i, "_2") {
                    if at(i, "_2006") {
                        return Some((&layout[..i + 1], Std::LongYear, &layout[i + 5..]));
                    }
                    return hit(2, Std::UnderDay);
                }
                if at(i, "__2") {
                    return hit(3, Std::UnderYearDay);
                }
            }
            b'3' => return hit(1, Std::Hour12),
            b'4' => return hit(1, Std::Minute),
            b'5' => return hit(1, Std::Second),
            b'P' if at(i, "PM") => return hit(2, Std::PM),
            b'p' if at(i, "pm") => return hit(2, Std::Pm),
            b'-' | b'Z' => {
                let iso = b[i] == b'Z';
                let z = |colon, secs, short| Std::Zone {
                    iso,
                    colon,
                    secs,
                    short,
                };
                let rest = &layout[i + 1..];
                if rest.starts_with("070000") {
                    return hit(7, z(false, true, false));
                }
                if rest.starts_with("07:00:00") {
                    return hit(9, z(true, true, false));
                }
                if rest.starts_with("0700") {
                    return hit(5, z(false, false, false));
                }
                if rest.starts_with("07:00") {
                    return hit(6, z(true, false, false));
                }
                if rest.starts_with("07") {
                    return hit(3, z(false, false, true));
                }
            }
            b'.' | b',' if i + 1 < b.len() && (b[i + 1] == b'0' || b[i + 1] == b'9') => {
                let ch = b[i + 1];
                let mut j = i + 1;
                while j < b.len() && b[j] == ch {
                    j += 1;
                }
                if !(j < b.len() && b[j].is_ascii_digit()) {
                    let std = Std::Frac {
                        digits: j - (i + 1),
                        trim: ch == b'9',
                        sep: b[i] as char,
                    };
                    return Some((&layout[..i], std, &layout[j..]));
                }
            }
            _ => {}
        }
    }
    None
}
