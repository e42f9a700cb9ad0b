//! The current period of each interface (today, this billing month, ...):
//! its traffic so far and the estimated total at its end, for the summary's
//! estimates and for `--alert`.

use super::period::{BillingDays, Periods};
use super::Totals;
use crate::cli::Period;
use crate::model::calendar::Calendar;
use crate::model::units::RxTx;
use crate::store::history::{History, ReadResult};
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, BTreeSet};

/// Least data an estimate is made from: less than this is no basis.
pub(crate) const MIN_ESTIMATE_SECONDS: f64 = 3600.0;

/// One interface's current period.
#[derive(Debug, Clone, PartialEq)]
pub struct CurrentPeriod {
    /// Interface name or `_total`.
    pub interface: String,
    /// Hours, days, weeks, months or years.
    pub period: Period,
    /// Start of the period holding now.
    pub start: DateTime<Utc>,
    /// End of that period (exclusive).
    pub end: DateTime<Utc>,
    /// When this interface's data starts, if after the period's start.
    pub data_since: DateTime<Utc>,
    /// Traffic from the start to now.
    pub so_far: Totals,
    /// Estimated bytes at the period's end; `None` with less than
    /// [`MIN_ESTIMATE_SECONDS`] of data in the period.
    pub estimate: Option<RxTx<u64>>,
}

/// The estimated end-of-period bytes: the traffic so far over the time the
/// data covers (from the period's start, or from when the data starts if
/// later), scaled to the period's whole length. `None` when that time is
/// under [`MIN_ESTIMATE_SECONDS`].
pub(crate) fn estimate(
    so_far: (u64, u64),
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    data_since: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Option<(u64, u64)> {
    let seconds = |from: DateTime<Utc>, to: DateTime<Utc>| (to - from).as_seconds_f64();
    let covered = seconds(start.max(data_since), now);
    if covered < MIN_ESTIMATE_SECONDS {
        return None;
    }
    let scale = seconds(start, end) / covered;
    let scaled = |bytes: u64| (bytes as f64 * scale).round() as u64;
    Some((scaled(so_far.0), scaled(so_far.1)))
}

/// One current period of the interfaces whose periods start on the same
/// day: its bounds and their traffic in it so far.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PeriodTotals {
    /// Start of the period holding now.
    pub start: DateTime<Utc>,
    /// End of that period (exclusive).
    pub end: DateTime<Utc>,
    /// The traffic of each interface with samples whose period it is,
    /// from the start to the end of what was read.
    pub totals: BTreeMap<String, Totals>,
}

/// The current `period` holding `now` (months from each interface's
/// billing day: one per billing day in use), with the traffic of its
/// interfaces in [start, `until`). The one billing-period rule of the
/// summary's estimates, `--alert` and the metrics' usage families.
pub(crate) fn current_totals(
    history: &History,
    calendar: &Calendar,
    period: Period,
    billing: &BillingDays,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> ReadResult<Vec<PeriodTotals>> {
    let billing_day_of = |interface: &str| match period {
        Period::Month => billing.of(interface),
        _ => 1,
    };
    let days = match period {
        Period::Month => billing.distinct(),
        _ => BTreeSet::from([1]),
    };
    let mut current = Vec::new();
    for billing_day in days {
        let periods = Periods {
            period,
            billing_day,
        };
        let start = periods.floor(calendar, now);
        let end = periods.next(calendar, start);
        let mut totals: BTreeMap<String, Totals> = BTreeMap::new();
        for (interface, _, piece) in history.window_totals(calendar, start, until)? {
            if billing_day_of(&interface) == billing_day && piece.samples > 0 {
                totals.entry(interface).or_default().merge(&piece);
            }
        }
        current.push(PeriodTotals { start, end, totals });
    }
    Ok(current)
}

/// The current `period` of every interface with samples in it, up to `now`
/// (months from each interface's billing day).
pub(crate) fn current_periods(
    history: &History,
    calendar: &Calendar,
    period: Period,
    billing: &BillingDays,
    now: DateTime<Utc>,
) -> ReadResult<Vec<CurrentPeriod>> {
    // A sample's delta covers the interval before it, so its interface's
    // data starts at its first sample at the latest.
    let first_samples = history.first_samples()?;
    let mut current = Vec::new();
    for PeriodTotals { start, end, totals } in
        current_totals(history, calendar, period, billing, now, now)?
    {
        for (interface, so_far) in totals {
            let data_since = first_samples
                .get(&interface)
                .copied()
                .unwrap_or(start)
                .max(start);
            current.push(CurrentPeriod {
                estimate: estimate(
                    (so_far.bytes_recv, so_far.bytes_sent),
                    start,
                    end,
                    data_since,
                    now,
                )
                .map(RxTx::from),
                interface,
                period,
                start,
                end,
                data_since,
                so_far,
            });
        }
    }
    Ok(current)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(day: u32, hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, day, hour, 0, 0).unwrap()
    }

    #[test]
    fn estimate_rule_scales_the_traffic_so_far_to_the_whole_period() {
        // 10 days into a 30-day month: three times the traffic so far.
        let month = (
            at(1, 0),
            Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap(),
        );
        assert_eq!(
            estimate((1000, 10), month.0, month.1, month.0, at(11, 0)),
            Some((3000, 30))
        );
        // Data from the 21st only: 5 days of data on the 26th stand for
        // the 30-day month.
        assert_eq!(
            estimate((1000, 10), month.0, month.1, at(21, 0), at(26, 0)),
            Some((6000, 60))
        );
    }

    #[test]
    fn estimate_rule_no_estimate_from_less_than_an_hour() {
        let day = (at(5, 0), at(6, 0));
        assert_eq!(
            estimate(
                (500, 0),
                day.0,
                day.1,
                day.0,
                at(5, 0) + chrono::Duration::minutes(59)
            ),
            None
        );
        assert_eq!(
            estimate((500, 0), day.0, day.1, day.0, at(5, 1)),
            Some((12_000, 0)),
            "one hour of a 24-hour day"
        );
        // Data that started 30 minutes ago, in the sixth hour: no basis yet.
        let started = at(5, 5) + chrono::Duration::minutes(30);
        assert_eq!(estimate((500, 0), day.0, day.1, started, at(5, 6)), None);
    }
}
