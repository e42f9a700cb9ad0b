//! The window rules: what --since and --until accept, where they place
//! the window, and the text of every refusal.

use super::*;
use crate::store::history::Level;
use chrono::TimeZone;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap()
}

fn at(text: &str) -> DateTime<Utc> {
    instant(parse_when(text).unwrap(), now(), &Calendar::utc()).unwrap()
}

#[test]
fn durations_count_back_from_now() {
    assert_eq!(at("90m"), now() - Duration::minutes(90));
    assert_eq!(at("24h"), now() - Duration::hours(24));
    assert_eq!(at("7d"), now() - Duration::days(7));
    assert_eq!(at("2w"), now() - Duration::days(14));
    assert_eq!(at("30s"), now() - Duration::seconds(30));
    assert_eq!(at("1h30m"), now() - Duration::minutes(90));
    assert_eq!(at(" 1h 30m "), now() - Duration::minutes(90));
}

#[test]
fn rfc3339_instants() {
    assert_eq!(
        at("2026-11-01T08:00:00+01:00"),
        Utc.with_ymd_and_hms(2026, 11, 1, 7, 0, 0).unwrap()
    );
    assert_eq!(
        at("2026-11-01T08:00:00Z"),
        Utc.with_ymd_and_hms(2026, 11, 1, 8, 0, 0).unwrap()
    );
}

#[test]
fn dates_are_midnight_in_the_databases_zone() {
    let india = Calendar::from_spec("+05:30", 1800).unwrap();
    let when = parse_when("2026-11-01").unwrap();
    assert_eq!(
        when,
        When::Date(NaiveDate::from_ymd_opt(2026, 11, 1).unwrap())
    );
    assert_eq!(
        instant(when, now(), &india),
        Some(Utc.with_ymd_and_hms(2026, 10, 31, 18, 30, 0).unwrap())
    );
    assert_eq!(
        at("2026-11-01"),
        Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap()
    );
}

#[test]
fn since_all_is_the_whole_history() {
    assert_eq!(parse_since(" all "), Ok(When::All));
    assert_eq!(parse_since("7d"), Ok(When::Ago(Duration::days(7))));
    let err = parse_since("ever").unwrap_err().to_string();
    assert!(err.ends_with("or all for the whole history"), "{err}");
    assert_eq!(instant(When::All, now(), &Calendar::utc()), None);
}

#[test]
fn resolve_applies_the_by_default_only_without_since() {
    let utc = Calendar::utc();
    let day = Some(Periods::calendar(Period::Day));
    let default = recent_periods_start(Periods::calendar(Period::Day), now(), &utc);
    assert_eq!(
        resolve(None, None, day, now(), &utc),
        Ok((Some(default), None))
    );
    assert_eq!(
        resolve(Some("all"), None, day, now(), &utc),
        Ok((None, None))
    );
    assert_eq!(resolve(None, None, None, now(), &utc), Ok((None, None)));
    let until = now() - Duration::days(40);
    assert_eq!(
        resolve(None, Some("40d"), day, now(), &utc),
        Ok((
            Some(recent_periods_start(
                Periods::calendar(Period::Day),
                until,
                &utc
            )),
            Some(until)
        ))
    );
    assert_eq!(
        resolve(Some("2d"), Some("1d"), None, now(), &utc),
        Ok((
            Some(now() - Duration::days(2)),
            Some(now() - Duration::days(1))
        ))
    );
    let err = resolve(None, Some("all"), day, now(), &utc)
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("--until: \"all\" is not a time"), "{err}");
    let err = resolve(Some("ever"), None, None, now(), &utc)
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("--since: \"ever\" is not a time"), "{err}");
}

#[test]
fn validate_checks_values_and_an_order_no_zone_can_change() {
    assert_eq!(validate(Some("2d"), Some("1d"), now()), Ok(()));
    assert_eq!(validate(None, None, now()), Ok(()));
    assert_eq!(validate(Some("all"), Some("1d"), now()), Ok(()));
    let err = validate(Some("1d"), Some("2d"), now())
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("--since \"1d\" ("), "{err}");
    let err = validate(Some("2026-11-05"), Some("2026-11-04"), now())
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("--since \"2026-11-05\""), "{err}");
    // A date against an instant depends on the database's zone: checked later.
    assert_eq!(
        validate(Some("2026-11-05"), Some("2026-11-04T23:00:00Z"), now()),
        Ok(())
    );
    assert!(validate(Some("soon"), None, now())
        .unwrap_err()
        .to_string()
        .starts_with("--since:"));
    let err = validate(None, Some("300000y"), now())
        .unwrap_err()
        .to_string();
    assert_eq!(err, "--until: \"300000y\" is out of range");
    assert!(validate(None, Some("soon"), now())
        .unwrap_err()
        .to_string()
        .starts_with("--until:"));
}

#[test]
fn a_since_in_the_future_without_until_is_refused() {
    let utc = Calendar::utc();
    let err = resolve(Some("2026-12-25"), None, None, now(), &utc)
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("--since \"2026-12-25\" (2026-12-25T00:00:00+00:00) must be earlier than --until \"now\""),
        "{err}"
    );
    // Now itself is an empty window too; a moment before is not.
    assert!(resolve(Some("0s"), None, None, now(), &utc).is_err());
    assert!(resolve(Some("1s"), None, None, now(), &utc).is_ok());
}

#[test]
fn since_after_until_names_both_values() {
    let utc = Calendar::utc();
    let err = resolve(Some("1d"), Some("2d"), None, now(), &utc)
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "--since \"1d\" (2026-11-24T12:00:00+00:00) must be earlier than --until \"2d\" (2026-11-23T12:00:00+00:00)"
    );
    // Equal is refused too: the window would be empty.
    let err = resolve(Some("1d"), Some("24h"), None, now(), &utc)
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("--since \"1d\""), "{err}");
    // Values are quoted: one line even for a value with a line break.
    let err = resolve(Some("2\nm"), Some("1d"), None, now(), &utc)
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("--since \"2\\nm\" ("), "{err}");
}

#[test]
fn out_of_range_values_are_refused() {
    let utc = Calendar::utc();
    let err = resolve(Some("100000000y"), None, None, now(), &utc)
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("--since:"), "{err}");
    let err = resolve(None, Some("300000y"), None, now(), &utc)
        .unwrap_err()
        .to_string();
    assert!(err.contains("out of range"), "{err}");
}

#[test]
fn default_by_windows_hold_the_most_recent_periods() {
    let utc = Calendar::utc();
    let hours = recent_periods_start(
        Periods::calendar(Period::Hour),
        now() + Duration::minutes(30),
        &utc,
    );
    assert_eq!(hours, Utc.with_ymd_and_hms(2026, 11, 24, 13, 0, 0).unwrap());
    // Ending exactly at 12:00, the last hour is 11:00.
    let hours = recent_periods_start(Periods::calendar(Period::Hour), now(), &utc);
    assert_eq!(hours, Utc.with_ymd_and_hms(2026, 11, 24, 12, 0, 0).unwrap());
    assert_eq!(
        recent_periods_start(Periods::calendar(Period::Day), now(), &utc),
        Utc.with_ymd_and_hms(2026, 10, 27, 0, 0, 0).unwrap()
    );
    // An exclusive end at midnight: that day is not in the window.
    let midnight = Level::Day.floor(&utc, now());
    assert_eq!(
        recent_periods_start(Periods::calendar(Period::Day), midnight, &utc),
        midnight - Duration::days(30)
    );
    let months = recent_periods_start(Periods::calendar(Period::Month), now(), &utc);
    assert_eq!(months, Utc.with_ymd_and_hms(2025, 12, 1, 0, 0, 0).unwrap());
    // now() is Tuesday 2026-11-24: 12 weeks back from Monday the 23rd.
    let weeks = recent_periods_start(Periods::calendar(Period::Week), now(), &utc);
    assert_eq!(weeks, Utc.with_ymd_and_hms(2026, 9, 7, 0, 0, 0).unwrap());
    let years = recent_periods_start(Periods::calendar(Period::Year), now(), &utc);
    assert_eq!(years, Utc.with_ymd_and_hms(2022, 1, 1, 0, 0, 0).unwrap());
    let billing = Periods {
        period: Period::Month,
        billing_day: 15,
    };
    assert_eq!(
        recent_periods_start(billing, now(), &utc),
        Utc.with_ymd_and_hms(2025, 12, 15, 0, 0, 0).unwrap()
    );
    let india = Calendar::from_spec("+05:30", 1800).unwrap();
    assert_eq!(
        recent_periods_start(Periods::calendar(Period::Day), now(), &india),
        Utc.with_ymd_and_hms(2026, 10, 26, 18, 30, 0).unwrap()
    );
}

#[test]
fn values_longer_than_64_characters_are_refused() {
    // 32 x "1s" is 64 characters: a (silly) duration of 32 s.
    assert_eq!(
        parse_when(&"1s".repeat(32)),
        Ok(When::Ago(Duration::seconds(32)))
    );
    let err = parse_when(&"1s".repeat(33)).unwrap_err().to_string();
    assert!(
        err.starts_with(&format!("{:?} is not a time", "1s".repeat(32))),
        "{err}"
    );
}

#[test]
fn nonsense_is_refused_with_the_accepted_forms() {
    let long = "9".repeat(200) + "d";
    for bad in [
        "",
        "yesterday",
        "5x",
        "-3d",
        "2026-13-01",
        "h",
        "99999999999999999999d",
        "5µ",
        "5é",
        "é",
        "µs",
        "5",
        "d5",
        "1d garbage",
        long.as_str(),
    ] {
        let err = parse_when(bad).unwrap_err().to_string();
        assert!(err.contains("use a duration"), "{bad}: {err}");
        assert!(err.len() < 300, "{bad}: the message stays short");
    }
}
