//! `--summary --by P --format svg`: one self-contained SVG chart (no
//! fonts, scripts or links to fetch), one panel per interface with received
//! and sent bars per period, a labelled time axis, a value axis in IEC
//! units, a legend and a title naming the host, the interface and the
//! window. Drawn with plotters' SVG backend, which lays out text without
//! font files.

use super::{InterfaceReport, Report};
use crate::cli::Period;
use crate::model::ifname::printable;
use crate::model::units::IEC_BYTES;
use chrono::{DateTime, FixedOffset, Utc};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// Width of the chart in pixels.
const WIDTH: u32 = 1000;
/// Height of one interface's panel in pixels.
const PANEL_HEIGHT: u32 = 360;
/// Most period labels on the time axis (more would overlap).
const MAX_LABELS: usize = 12;
/// Colour of received bytes.
const RECEIVED: RGBColor = RGBColor(31, 119, 180);
/// Colour of sent bytes.
const SENT: RGBColor = RGBColor(255, 127, 14);

/// How a period start is labelled on the time axis.
fn label(period: Period, start: &DateTime<FixedOffset>) -> String {
    let pattern = match period {
        Period::Hour => "%m-%d %H:%M",
        Period::Day | Period::Week => "%Y-%m-%d",
        Period::Month => "%Y-%m",
        Period::Year => "%Y",
    };
    start.format(pattern).to_string()
}

/// Why the chart could not be drawn: what plotters said.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub(crate) struct ChartError(#[from] DrawingAreaErrorKind<std::io::Error>);

/// The SVG text of the report's periods, one panel per interface that has
/// periods; `host` names the machine in the titles.
pub(crate) fn svg(report: &Report, period: Period, host: &str) -> Result<String, ChartError> {
    let panels: Vec<&InterfaceReport> = report
        .interfaces
        .iter()
        .filter(|entry| !entry.periods.is_empty())
        .collect();
    let height = PANEL_HEIGHT * u32::try_from(panels.len().max(1)).unwrap_or(1);
    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE)?;
        let window = window_text(report);
        if panels.is_empty() {
            let middle = (WIDTH as i32 / 2, height as i32 / 2);
            let style =
                TextStyle::from(("sans-serif", 18)).pos(Pos::new(HPos::Center, VPos::Center));
            root.draw(&Text::new(format!("no samples in {window}"), middle, style))?;
        }
        for (area, entry) in root
            .split_evenly((panels.len().max(1), 1))
            .iter()
            .zip(&panels)
        {
            let title = format!(
                "{} on {host}: bytes per {}, {window}",
                printable(&entry.interface),
                period.name()
            );
            panel(area, entry, period, &title)?;
        }
        root.present()?;
    }
    Ok(text)
}

/// The window in the titles, in the database's zone.
fn window_text(report: &Report) -> String {
    let show = |t: Option<DateTime<Utc>>, open: &str| {
        t.map_or(open.to_string(), |t| {
            report
                .calendar
                .local(t)
                .format("%Y-%m-%d %H:%M")
                .to_string()
        })
    };
    format!(
        "{} .. {} ({})",
        show(report.since, "beginning"),
        show(report.until, "now"),
        report.calendar.name()
    )
}

type Area<'a> = DrawingArea<SVGBackend<'a>, plotters::coord::Shift>;

/// The IEC unit that makes `highest` bytes a number from 1 to 1024: its
/// size in bytes and its name.
fn unit_for(highest: f64) -> (f64, &'static str) {
    let (_, index) = IEC_BYTES.scale(highest);
    (IEC_BYTES.size(index), IEC_BYTES.name(index))
}

fn panel(
    area: &Area,
    entry: &InterfaceReport,
    period: Period,
    title: &str,
) -> Result<(), DrawingAreaErrorKind<std::io::Error>> {
    let periods = &entry.periods;
    let count = periods.len();
    let highest = periods
        .iter()
        .map(|(_, t)| t.bytes_recv.max(t.bytes_sent))
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let (unit, unit_name) = unit_for(highest);
    // Period i is centred on x = i; the headroom keeps the legend clear.
    let mut chart = ChartBuilder::on(area)
        .caption(title, ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(80)
        .build_cartesian_2d(-0.5..count as f64 - 0.5, 0.0..highest / unit * 1.3)?;
    let labels: Vec<String> = periods
        .iter()
        .map(|(start, _)| label(period, start))
        .collect();
    chart
        .configure_mesh()
        .disable_x_mesh()
        .light_line_style(WHITE)
        .x_labels(MAX_LABELS.min(count))
        .x_label_formatter(&|x| {
            let index = x.round();
            match labels.get(index as usize) {
                Some(text) if (x - index).abs() < 1e-6 && index >= 0.0 => text.clone(),
                _ => String::new(),
            }
        })
        .y_label_formatter(&|y| format!("{y} {unit_name}"))
        .y_desc(format!("bytes ({unit_name})"))
        .x_desc(format!("{} starting", period.name()))
        .label_style(("sans-serif", 12))
        .draw()?;
    let bars = |offset: f64, pick: fn(&super::Totals) -> u64, colour: RGBColor| {
        periods.iter().enumerate().map(move |(i, (_, totals))| {
            let left = i as f64 + offset;
            Rectangle::new(
                [(left, 0.0), (left + 0.4, pick(totals) as f64 / unit)],
                colour.filled(),
            )
        })
    };
    chart
        .draw_series(bars(-0.4, |t| t.bytes_recv, RECEIVED))?
        .label("received")
        .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], RECEIVED.filled()));
    chart
        .draw_series(bars(0.0, |t| t.bytes_sent, SENT))?
        .label("sent")
        .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], SENT.filled()));
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font(("sans-serif", 13))
        .draw()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::calendar::Calendar;
    use crate::report::Totals;
    use chrono::TimeZone;

    /// The trimmed contents of every `<text>` element.
    fn texts(svg: &str) -> Vec<String> {
        svg.split("</text>")
            .filter_map(|chunk| {
                chunk
                    .rsplit_once('>')
                    .map(|(_, text)| text.trim().to_string())
            })
            .filter(|text| !text.is_empty())
            .collect()
    }

    fn report_with(periods: usize) -> Report {
        let start = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
        let calendar = Calendar::utc();
        let periods = (0..periods)
            .map(|d| {
                (
                    calendar.local(start + chrono::Duration::days(d as i64)),
                    Totals {
                        bytes_recv: 1000 * (d as u64 + 1),
                        bytes_sent: 300,
                        samples: 1,
                        ..Totals::default()
                    },
                )
            })
            .collect();
        Report {
            database: "n.db".into(),
            total_records: 1,
            since: Some(start),
            until: None,
            rounded: (None, None),
            calendar,
            interfaces: vec![InterfaceReport {
                interface: "eth0".into(),
                totals: Totals::default(),
                periods,
                top: Vec::new(),
                billing_day: None,
                estimates: Vec::new(),
                percentile: None,
            }],
            held: None,
        }
    }

    #[test]
    fn one_self_contained_svg_with_title_legend_bars_and_labels() {
        let text = svg(&report_with(30), Period::Day, "box1").unwrap();
        assert!(text.starts_with("<svg") && text.trim_end().ends_with("</svg>"));
        let texts = texts(&text);
        let has = |wanted: &str| texts.iter().any(|t| t == wanted);
        assert!(
            has("eth0 on box1: bytes per day, 2026-11-01 00:00 .. now (UTC)"),
            "{texts:?}"
        );
        assert!(has("received") && has("sent"), "a legend");
        assert!(has("2026-11-01"), "the first period is labelled: {texts:?}");
        assert!(
            texts.iter().any(|t| t.ends_with(" KiB")),
            "IEC value axis: {texts:?}"
        );
        assert!(has("bytes (KiB)"), "{texts:?}");
        for external in ["<script", "href", "url(", "@font-face", "<image"] {
            assert!(!text.contains(external), "{external}");
        }
        // 30 periods x 2 bars, filled in the two series colours.
        assert!(
            text.matches("fill=\"#1F77B4\"").count() >= 30,
            "received bars"
        );
        assert!(text.matches("fill=\"#FF7F0E\"").count() >= 30, "sent bars");
    }

    #[test]
    fn an_empty_window_is_a_chart_that_says_so() {
        let text = svg(&report_with(0), Period::Day, "box1").unwrap();
        assert!(texts(&text)
            .iter()
            .any(|t| t.starts_with("no samples in 2026-11-01 00:00")));
    }

    #[test]
    fn the_value_axis_unit_keeps_numbers_under_1024() {
        assert_eq!(unit_for(1000.0), (1.0, "B"));
        assert_eq!(unit_for(1024.0), (1024.0, "KiB"));
        assert_eq!(unit_for(20e9), (1024.0 * 1024.0 * 1024.0, "GiB"));
    }

    #[test]
    fn labels_are_thinned_to_a_readable_number() {
        let text = svg(&report_with(90), Period::Day, "box1").unwrap();
        let labelled = (0..90)
            .filter(|d| {
                let day = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap()
                    + chrono::Duration::days(*d);
                texts(&text).contains(&day.format("%Y-%m-%d").to_string())
            })
            .count();
        assert!(
            (2..=MAX_LABELS + 1).contains(&labelled),
            "{labelled} labels"
        );
    }
}
