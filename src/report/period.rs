//! The periods reports are cut into: hours, days, ISO weeks (Monday
//! start), months (starting on a billing day) and years of the database's
//! calendar, and the rollup level whose bins make them up: a week is seven
//! daily bins, a billing month from the 15th is the daily bins from one 15th
//! to the next, a year twelve monthly bins.

use crate::cli::Period;
use crate::model::calendar::Calendar;
use crate::store::history::Level;
use chrono::{DateTime, Datelike, Days, Months, NaiveDate, Utc};
use std::collections::BTreeMap;

/// Earliest billing day: months start on it.
pub(crate) const MIN_BILLING_DAY: u32 = 1;
/// Latest billing day (every month has it).
pub(crate) const MAX_BILLING_DAY: u32 = 28;

/// The day each interface's months start on (`billing_day`, with
/// per-interface overrides); `_total` uses the global one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BillingDays {
    /// The global billing day.
    pub default: u32,
    /// Overrides, by stored interface name.
    pub per_interface: BTreeMap<String, u32>,
}

impl Default for BillingDays {
    fn default() -> Self {
        BillingDays {
            default: MIN_BILLING_DAY,
            per_interface: BTreeMap::new(),
        }
    }
}

impl BillingDays {
    /// The billing day of `interface`.
    pub fn of(&self, interface: &str) -> u32 {
        self.per_interface
            .get(interface)
            .copied()
            .unwrap_or(self.default)
    }

    /// Every billing day in use (the global one and the overrides), once
    /// each, in order.
    pub fn distinct(&self) -> std::collections::BTreeSet<u32> {
        let mut days: std::collections::BTreeSet<u32> =
            self.per_interface.values().copied().collect();
        days.insert(self.default);
        days
    }

    /// Whether any month starts on another day than the 1st.
    pub fn any_besides_the_first(&self) -> bool {
        self.default != MIN_BILLING_DAY
            || self.per_interface.values().any(|&d| d != MIN_BILLING_DAY)
    }
}

/// A kind of period, with the day months start on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Periods {
    /// Hours, days, weeks, months or years.
    pub period: Period,
    /// Day of the month months start on (1 to 28); only months use it.
    pub billing_day: u32,
}

impl Periods {
    /// Calendar periods (months from the 1st).
    pub fn calendar(period: Period) -> Periods {
        Periods {
            period,
            billing_day: MIN_BILLING_DAY,
        }
    }

    /// The rollup level whose bins make up these periods.
    pub fn level(self) -> Level {
        match self.period {
            Period::Hour => Level::Hour,
            Period::Day | Period::Week => Level::Day,
            Period::Month if self.billing_day != MIN_BILLING_DAY => Level::Day,
            Period::Month | Period::Year => Level::Month,
        }
    }

    /// The first day of the period holding `date`.
    fn first_day(self, date: NaiveDate) -> NaiveDate {
        match self.period {
            Period::Hour | Period::Day => date,
            Period::Week => date - Days::new(u64::from(date.weekday().num_days_from_monday())),
            Period::Month => {
                let this_month = date.with_day(self.billing_day).unwrap_or(date);
                if date.day() >= self.billing_day {
                    this_month
                } else {
                    this_month
                        .checked_sub_months(Months::new(1))
                        .unwrap_or(this_month)
                }
            }
            Period::Year => date.with_ordinal(1).unwrap_or(date),
        }
    }

    /// Start of the period holding `t`. Hours are whole clock hours (at
    /// the calendar's phase), even where a rollup bin is cut at midnight.
    pub fn floor(self, calendar: &Calendar, t: DateTime<Utc>) -> DateTime<Utc> {
        match self.period {
            Period::Hour => calendar.hour_floor(t),
            _ => calendar.start_of_day(self.first_day(calendar.date(t))),
        }
    }

    /// Start of the period `n` periods after (`n` > 0) or before (`n` < 0)
    /// the one starting at `start`.
    pub fn step(self, calendar: &Calendar, start: DateTime<Utc>, n: i32) -> DateTime<Utc> {
        if self.period == Period::Hour {
            return start + chrono::Duration::hours(i64::from(n));
        }
        let date = calendar.date(start);
        let (days, months) = match self.period {
            Period::Day => (1, 0),
            Period::Week => (7, 0),
            Period::Month => (0, 1),
            _ => (0, 12),
        };
        let count = n.unsigned_abs();
        let moved = if n >= 0 {
            date.checked_add_days(Days::new(u64::from(days * count)))
                .and_then(|d| d.checked_add_months(Months::new(months * count)))
        } else {
            date.checked_sub_days(Days::new(u64::from(days * count)))
                .and_then(|d| d.checked_sub_months(Months::new(months * count)))
        };
        moved.map_or(start, |d| calendar.start_of_day(self.first_day(d)))
    }

    /// Start of the period after the one starting at `start`.
    pub fn next(self, calendar: &Calendar, start: DateTime<Utc>) -> DateTime<Utc> {
        self.step(calendar, start, 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn utc(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap()
    }

    #[test]
    fn week_rule_iso_weeks_start_on_monday() {
        let cal = Calendar::utc();
        let weeks = Periods::calendar(Period::Week);
        // 2026-12-03 is a Thursday; its week began on Monday 2026-11-30.
        assert_eq!(
            weeks.floor(&cal, utc(2026, 12, 3, 15)),
            utc(2026, 11, 30, 0)
        );
        assert_eq!(
            weeks.floor(&cal, utc(2026, 11, 30, 0)),
            utc(2026, 11, 30, 0)
        );
        assert_eq!(
            weeks.floor(&cal, utc(2026, 11, 29, 23)),
            utc(2026, 11, 23, 0)
        );
        assert_eq!(weeks.next(&cal, utc(2026, 11, 30, 0)), utc(2026, 12, 7, 0));
        assert_eq!(
            weeks.step(&cal, utc(2026, 11, 30, 0), -11),
            utc(2026, 9, 14, 0)
        );
        assert_eq!(weeks.level(), Level::Day);
        assert_eq!(
            weeks.step(&cal, utc(2026, 11, 30, 0), 3),
            utc(2026, 12, 21, 0)
        );
        let days = Periods::calendar(Period::Day);
        assert_eq!(
            days.step(&cal, utc(2026, 11, 30, 0), 2),
            utc(2026, 12, 2, 0)
        );
        assert_eq!(
            days.step(&cal, utc(2026, 11, 30, 0), -3),
            utc(2026, 11, 27, 0)
        );
    }

    #[test]
    fn year_rule_years_start_on_january_first() {
        let cal = Calendar::utc();
        let years = Periods::calendar(Period::Year);
        assert_eq!(years.floor(&cal, utc(2026, 12, 3, 15)), utc(2026, 1, 1, 0));
        assert_eq!(years.next(&cal, utc(2026, 1, 1, 0)), utc(2027, 1, 1, 0));
        assert_eq!(years.step(&cal, utc(2026, 1, 1, 0), -4), utc(2022, 1, 1, 0));
        assert_eq!(years.step(&cal, utc(2026, 1, 1, 0), 2), utc(2028, 1, 1, 0));
        let months = Periods::calendar(Period::Month);
        assert_eq!(months.step(&cal, utc(2026, 1, 1, 0), 3), utc(2026, 4, 1, 0));
        assert_eq!(years.level(), Level::Month);
    }

    #[test]
    fn billing_rule_an_interface_override_wins_and_total_keeps_the_global_day() {
        let mut days = BillingDays::default();
        assert_eq!(days.of("eth0"), 1);
        assert!(!days.any_besides_the_first());
        days.per_interface.insert("wan0".into(), 15);
        assert!(days.any_besides_the_first(), "one interface from the 15th");
        assert_eq!((days.of("wan0"), days.of("_total")), (15, 1));
        days.per_interface.insert("wan0".into(), 1);
        assert!(
            !days.any_besides_the_first(),
            "an override of 1 is the default"
        );
        days.default = 5;
        assert!(days.any_besides_the_first());
        assert_eq!(days.distinct().into_iter().collect::<Vec<_>>(), [1, 5]);
        assert_eq!((days.of("wan0"), days.of("eth0")), (1, 5));
    }

    #[test]
    fn billing_rule_months_run_from_the_billing_day() {
        let cal = Calendar::utc();
        let from_15th = Periods {
            period: Period::Month,
            billing_day: 15,
        };
        assert_eq!(
            from_15th.floor(&cal, utc(2026, 12, 3, 0)),
            utc(2026, 11, 15, 0)
        );
        assert_eq!(
            from_15th.floor(&cal, utc(2026, 12, 15, 0)),
            utc(2026, 12, 15, 0)
        );
        assert_eq!(
            from_15th.floor(&cal, utc(2026, 1, 14, 23)),
            utc(2025, 12, 15, 0)
        );
        assert_eq!(
            from_15th.next(&cal, utc(2026, 1, 15, 0)),
            utc(2026, 2, 15, 0)
        );
        assert_eq!(
            from_15th.step(&cal, utc(2026, 1, 15, 0), -2),
            utc(2025, 11, 15, 0)
        );
        assert_eq!(
            from_15th.level(),
            Level::Day,
            "billing months are made of days"
        );
        let calendar_months = Periods::calendar(Period::Month);
        assert_eq!(
            calendar_months.floor(&cal, utc(2026, 12, 3, 0)),
            utc(2026, 12, 1, 0)
        );
        assert_eq!(calendar_months.level(), Level::Month);
    }

    #[test]
    fn periods_follow_the_recorded_zone_across_dst() {
        let berlin = Calendar::from_spec("Europe/Berlin", 0).unwrap();
        let weeks = Periods::calendar(Period::Week);
        // Monday 2026-10-26 00:00 CET (UTC+1) is after the switch from CEST.
        let start = weeks.floor(&berlin, utc(2026, 10, 28, 12));
        assert_eq!(start, utc(2026, 10, 25, 23));
        // The week before began on Monday 2026-10-19 00:00 CEST (UTC+2).
        assert_eq!(weeks.step(&berlin, start, -1), utc(2026, 10, 18, 22));
        let hours = Periods::calendar(Period::Hour);
        assert_eq!(
            hours.step(&berlin, utc(2026, 10, 25, 0), 3),
            utc(2026, 10, 25, 3)
        );
    }
}
