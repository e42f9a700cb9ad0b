//! The calendar a database's rollups are cut in: a time zone (recorded in the
//! database when it is created or upgraded) and the phase of its hours. Days
//! and months start at that zone's midnights; hours start at the zone's
//! offset modulo one hour (`:00` UTC for whole-hour zones, `:30` for India,
//! `:15` for Nepal), so a day is always a whole number of hour bins. Every
//! reader uses the recorded calendar, whatever its own `TZ`, so a report
//! over an absolute window gives the same totals in any time zone.

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, Offset, TimeZone as _, Utc};
use jiff::fmt::temporal::DateTimePrinter;
use jiff::tz::TimeZone;
use std::fmt::Write as _;

/// Prefix of a recorded zone that is a TZif file's bytes in hex (a system
/// zone with no name: `/etc/localtime` copied rather than linked).
const TZIF_PREFIX: &str = "tzif:";

/// Seconds in an hour bin.
const HOUR: i64 = 3600;

/// Why a time zone cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ZoneError {
    /// This process's zone cannot be determined.
    #[error("cannot determine the time zone (TZ or /etc/localtime): {0}")]
    System(#[source] jiff::Error),
    /// The file of a system zone without a name cannot be read.
    #[error("cannot read the time zone file {path}: {source}")]
    File {
        /// The zone file.
        path: String,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// A recorded hour phase outside one hour.
    #[error("hour phase {0} is not 0 to 3599 seconds")]
    HourPhase(i64),
    /// A recorded TZif zone that is not hex.
    #[error("a recorded TZif zone is not hex")]
    NotHex,
    /// A recorded TZif zone that is no zone file.
    #[error(transparent)]
    Tzif(jiff::Error),
    /// A recorded zone this machine does not know.
    #[error("time zone {spec:?} is unknown here ({source})")]
    Unknown {
        /// The recorded zone.
        spec: String,
        /// What jiff said.
        #[source]
        source: jiff::Error,
    },
}

/// A time zone plus the phase of its hour bins.
#[derive(Debug, Clone)]
pub struct Calendar {
    zone: TimeZone,
    spec: String,
    hour_phase: i64,
}

impl PartialEq for Calendar {
    /// Calendars are equal when recorded the same way.
    fn eq(&self, other: &Calendar) -> bool {
        (&self.spec, self.hour_phase) == (&other.spec, other.hour_phase)
    }
}

impl Default for Calendar {
    /// UTC.
    fn default() -> Self {
        Calendar::utc()
    }
}

impl Calendar {
    /// UTC, with hours on the hour.
    pub fn utc() -> Calendar {
        Calendar {
            zone: TimeZone::UTC,
            spec: "UTC".into(),
            hour_phase: 0,
        }
    }

    /// This process's time zone (`TZ`, else `/etc/localtime`), with hours
    /// phased like its current offset.
    pub fn system() -> Result<Calendar, ZoneError> {
        let zone = TimeZone::try_system().map_err(ZoneError::System)?;
        let tz = std::env::var("TZ").ok();
        let now = to_jiff(crate::support::wallclock::now()).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
        Calendar::of_zone(zone, tz.as_deref(), now)
    }

    /// The calendar of `zone` (found through `tz`, the `TZ` variable, if
    /// set), with hours phased like its offset at `now`.
    fn of_zone(
        zone: TimeZone,
        tz: Option<&str>,
        now: jiff::Timestamp,
    ) -> Result<Calendar, ZoneError> {
        let mut printed = String::new();
        let spec = match DateTimePrinter::new().print_time_zone(&zone, &mut printed) {
            Ok(()) => printed,
            Err(_) => unnamed_zone_spec(tz)?,
        };
        let offset = i64::from(zone.to_offset(now).seconds());
        Ok(Calendar {
            zone,
            spec,
            hour_phase: offset.rem_euclid(HOUR),
        })
    }

    /// The calendar recorded as `spec` (see [`Calendar::spec`]) with hours
    /// starting `hour_phase` seconds past each UTC hour.
    pub fn from_spec(spec: &str, hour_phase: i64) -> Result<Calendar, ZoneError> {
        if !(0..HOUR).contains(&hour_phase) {
            return Err(ZoneError::HourPhase(hour_phase));
        }
        let zone = match spec.strip_prefix(TZIF_PREFIX) {
            Some(hex) => {
                let bytes = decode_hex(hex).ok_or(ZoneError::NotHex)?;
                TimeZone::tzif("localtime", &bytes).map_err(ZoneError::Tzif)?
            }
            None => jiff::fmt::temporal::DateTimeParser::new()
                .parse_time_zone(spec)
                .map_err(|source| ZoneError::Unknown {
                    spec: spec.to_string(),
                    source,
                })?,
        };
        Ok(Calendar {
            zone,
            spec: spec.to_string(),
            hour_phase,
        })
    }

    /// The same zone with hour bins starting `hour_phase` seconds (taken
    /// modulo one hour) past each UTC hour.
    pub fn with_hour_phase(mut self, hour_phase: i64) -> Calendar {
        self.hour_phase = hour_phase.rem_euclid(HOUR);
        self
    }

    /// The zone as recorded in a database: an IANA name, a fixed offset, a
    /// POSIX TZ string, or `tzif:` and the zone file's bytes in hex.
    pub fn spec(&self) -> &str {
        &self.spec
    }

    /// Seconds past each UTC hour at which hour bins start.
    pub fn hour_phase(&self) -> i64 {
        self.hour_phase
    }

    /// The zone's name for people (`tzif:` zones read `localtime`).
    pub fn name(&self) -> &str {
        if self.spec.starts_with(TZIF_PREFIX) {
            "localtime"
        } else {
            &self.spec
        }
    }

    /// The zone's UTC offset at instant `t`.
    fn offset_at(&self, t: DateTime<Utc>) -> FixedOffset {
        let seconds = to_jiff(t).map_or(0, |ts| self.zone.to_offset(ts).seconds());
        FixedOffset::east_opt(seconds).unwrap_or_else(|| Utc.fix())
    }

    /// Instant `t` as a date and time in this zone.
    pub fn local(&self, t: DateTime<Utc>) -> DateTime<FixedOffset> {
        t.with_timezone(&self.offset_at(t))
    }

    /// The date in this zone at instant `t`.
    pub fn date(&self, t: DateTime<Utc>) -> NaiveDate {
        self.local(t).date_naive()
    }

    /// The first instant of `date` in this zone: its midnight, or where a
    /// daylight-saving change skips midnight, the first time after it.
    pub fn start_of_day(&self, date: NaiveDate) -> DateTime<Utc> {
        let start = to_civil(date).and_then(|day| {
            self.zone
                .to_ambiguous_timestamp(day.to_datetime(jiff::civil::Time::midnight()))
                .compatible()
                .ok()
        });
        match start.and_then(from_jiff) {
            Some(start) => start,
            None => Utc.from_utc_datetime(&date.and_hms_opt(0, 0, 0).unwrap_or_default()),
        }
    }

    /// Start of the hour bin holding `t`.
    pub fn hour_floor(&self, t: DateTime<Utc>) -> DateTime<Utc> {
        let second = t.timestamp();
        let start = second - (second - self.hour_phase).rem_euclid(HOUR);
        DateTime::from_timestamp(start, 0).unwrap_or(t)
    }

    /// A header line's description: `Asia/Kolkata (UTC+05:30 now)`.
    pub fn describe(&self, now: DateTime<Utc>) -> String {
        format!("{} (UTC{} now)", self.name(), self.offset_at(now))
    }
}

/// The spec of a system zone without a name: its TZif file (the path in
/// `tz`, the `TZ` variable, else `/etc/localtime`), in hex.
fn unnamed_zone_spec(tz: Option<&str>) -> Result<String, ZoneError> {
    let path = tz
        .map(|tz| tz.trim_start_matches(':'))
        .filter(|tz| tz.starts_with('/'))
        .unwrap_or("/etc/localtime");
    let bytes = std::fs::read(path).map_err(|source| ZoneError::File {
        path: path.to_string(),
        source,
    })?;
    let mut spec = String::with_capacity(TZIF_PREFIX.len() + 2 * bytes.len());
    spec.push_str(TZIF_PREFIX);
    for byte in bytes {
        // Writing to a String cannot fail.
        let _ = write!(spec, "{byte:02x}");
    }
    Ok(spec)
}

fn decode_hex(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect()
}

// The one edge between the two time libraries: chrono carries instants and
// dates everywhere else; jiff only knows the zones' rules (chrono has no
// time zone database). Zone rules change on whole seconds.

/// Instant `t` as jiff's, to the second.
fn to_jiff(t: DateTime<Utc>) -> Option<jiff::Timestamp> {
    jiff::Timestamp::new(t.timestamp(), 0).ok()
}

/// A jiff instant as chrono's, to the second.
fn from_jiff(t: jiff::Timestamp) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(t.as_second(), 0)
}

/// A date as jiff's civil date (years jiff cannot hold have none).
fn to_civil(date: NaiveDate) -> Option<jiff::civil::Date> {
    let year = i16::try_from(date.year()).ok()?;
    jiff::civil::Date::new(year, date.month() as i8, date.day() as i8).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::utc;

    #[test]
    fn zone_rule_days_start_at_the_recorded_zones_midnight() {
        let india = Calendar::from_spec("+05:30", 1800).unwrap();
        let day = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
        assert_eq!(india.start_of_day(day), utc(2026, 11, 19, 18, 30));
        assert_eq!(
            india.date(utc(2026, 11, 19, 18, 29)),
            day.pred_opt().unwrap()
        );
        assert_eq!(india.date(utc(2026, 11, 19, 18, 30)), day);
        assert_eq!(Calendar::utc().start_of_day(day), utc(2026, 11, 20, 0, 0));
    }

    #[test]
    fn zone_rule_posix_zones_with_daylight_saving() {
        let new_york = Calendar::from_spec("EST5EDT,M3.2.0,M11.1.0", 0).unwrap();
        let summer = NaiveDate::from_ymd_opt(2026, 7, 1).unwrap();
        assert_eq!(new_york.start_of_day(summer), utc(2026, 7, 1, 4, 0));
        let winter = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        assert_eq!(new_york.start_of_day(winter), utc(2026, 12, 1, 5, 0));
        assert_eq!(
            new_york.offset_at(utc(2026, 7, 1, 12, 0)).local_minus_utc(),
            -4 * 3600
        );
        assert_eq!(
            new_york.local(utc(2026, 12, 1, 5, 0)).to_rfc3339(),
            "2026-12-01T00:00:00-05:00"
        );
    }

    #[test]
    fn zone_rule_a_skipped_midnight_starts_the_day_after_the_gap() {
        // Chile-like rule: clocks jump from 00:00 to 01:00 on the first Sunday
        // of September (the 6th in 2026).
        let zone = Calendar::from_spec("<-04>4<-03>,M9.1.0/0,M4.1.0/0", 0).unwrap();
        let day = NaiveDate::from_ymd_opt(2026, 9, 6).unwrap();
        // 00:00 -04 does not exist; the day starts at 01:00 -03 = 04:00 UTC.
        assert_eq!(zone.start_of_day(day), utc(2026, 9, 6, 4, 0));
    }

    #[test]
    fn hour_rule_bins_start_at_the_phase() {
        let nepal = Calendar::from_spec("+05:45", 2700).unwrap();
        assert_eq!(
            nepal.hour_floor(utc(2026, 11, 20, 10, 44)),
            utc(2026, 11, 20, 9, 45)
        );
        assert_eq!(
            nepal.hour_floor(utc(2026, 11, 20, 10, 45)),
            utc(2026, 11, 20, 10, 45)
        );
        assert_eq!(
            nepal.hour_floor(utc(2026, 11, 20, 10, 46)),
            utc(2026, 11, 20, 10, 45)
        );
        let plain = Calendar::utc();
        let t = utc(2026, 11, 20, 10, 44) + chrono::Duration::milliseconds(1500);
        assert_eq!(plain.hour_floor(t), utc(2026, 11, 20, 10, 0));
        // Before 1970 too.
        assert_eq!(
            plain.hour_floor(utc(1969, 12, 31, 23, 59)),
            utc(1969, 12, 31, 23, 0)
        );
    }

    #[test]
    fn recorded_specs_round_trip() {
        for (spec, phase) in [("UTC", 0), ("+05:30", 1800), ("EST5EDT,M3.2.0,M11.1.0", 0)] {
            let calendar = Calendar::from_spec(spec, phase).unwrap();
            assert_eq!((calendar.spec(), calendar.hour_phase()), (spec, phase));
            assert_eq!(calendar.name(), spec);
        }
        assert!(Calendar::from_spec("Not/AZone", 0)
            .unwrap_err()
            .to_string()
            .contains("Not/AZone"));
        assert!(Calendar::from_spec("UTC", 3600).is_err());
        assert!(Calendar::from_spec("UTC", -1).is_err());
        assert!(Calendar::from_spec("tzif:zz", 0).is_err());
        assert!(Calendar::from_spec("tzif:abc", 0).is_err());
    }

    #[test]
    fn zone_rule_a_zone_is_recorded_by_name_with_its_hour_phase() {
        let now = jiff::Timestamp::from_second(1_795_000_000).unwrap();
        let kolkata = TimeZone::get("Asia/Kolkata").unwrap();
        let calendar = Calendar::of_zone(kolkata, Some("Asia/Kolkata"), now).unwrap();
        assert_eq!(
            (calendar.spec(), calendar.hour_phase()),
            ("Asia/Kolkata", 1800)
        );
        let nepal = TimeZone::posix("NPT-5:45").unwrap();
        let calendar = Calendar::of_zone(nepal, None, now).unwrap();
        assert_eq!(calendar.hour_phase(), 2700);
        assert_eq!(
            calendar.offset_at(utc(2026, 1, 1, 0, 0)).local_minus_utc(),
            20_700
        );
        let west = TimeZone::posix("<-0930>9:30").unwrap();
        assert_eq!(
            Calendar::of_zone(west, None, now).unwrap().hour_phase(),
            1800
        );
        let new_york = TimeZone::get("America/New_York").unwrap();
        let calendar = Calendar::of_zone(new_york, None, now).unwrap();
        assert_eq!(
            (calendar.spec(), calendar.hour_phase()),
            ("America/New_York", 0)
        );
    }

    #[test]
    fn zone_rule_an_unnamed_zone_file_is_recorded_whole() {
        let spec = unnamed_zone_spec(Some(":/usr/share/zoneinfo/Asia/Kolkata")).unwrap();
        assert!(
            spec.starts_with("tzif:545a6966"),
            "TZif magic: {}",
            &spec[..20]
        );
        let calendar = Calendar::from_spec(&spec, 1800).unwrap();
        assert_eq!(
            calendar.offset_at(utc(2026, 1, 1, 0, 0)).local_minus_utc(),
            19_800
        );
        // Without a TZ path: /etc/localtime.
        assert!(unnamed_zone_spec(None)
            .unwrap()
            .starts_with("tzif:545a6966"));
        assert!(unnamed_zone_spec(Some("/nonexistent/zone"))
            .unwrap_err()
            .to_string()
            .contains("/nonexistent/zone"));
    }

    #[test]
    fn calendars_are_equal_when_recorded_the_same_way() {
        let india = Calendar::from_spec("+05:30", 1800).unwrap();
        assert_eq!(india, Calendar::from_spec("+05:30", 1800).unwrap());
        assert_ne!(india, Calendar::utc());
        assert_ne!(india, Calendar::from_spec("+05:30", 0).unwrap());
        assert_eq!(Calendar::default(), Calendar::utc());
        let utc_hours = india.clone().with_hour_phase(0);
        assert_eq!((utc_hours.spec(), utc_hours.hour_phase()), ("+05:30", 0));
        assert_eq!(india.clone().with_hour_phase(-1800).hour_phase(), 1800);
        assert_eq!(india.with_hour_phase(5400).hour_phase(), 1800);
    }

    #[test]
    fn hex_decoding() {
        assert_eq!(decode_hex("00ff10"), Some(vec![0, 255, 16]));
        assert_eq!(decode_hex("0"), None);
        assert_eq!(decode_hex("0g"), None);
        assert_eq!(decode_hex(""), Some(vec![]));
    }

    #[test]
    fn describe_names_the_zone_and_its_offset() {
        let india = Calendar::from_spec("+05:30", 1800).unwrap();
        assert_eq!(
            india.describe(utc(2026, 1, 1, 0, 0)),
            "+05:30 (UTC+05:30 now)"
        );
    }
}
