//! What one scrape of `/metrics` says: node_exporter's netdev families from
//! a fresh read of the counters, netmon's own families from the monitor's
//! [`MonitorStats`] and the database's rollups, encoded by the `prometheus`
//! crate's text encoder (format 0.0.4).

use super::stats::MonitorStats;
use crate::source::{DeviceColumns, COLUMN_NAMES};
use prometheus::proto::{Counter, Gauge, LabelPair, Metric, MetricFamily, MetricType};
use prometheus::{Encoder, TextEncoder};

/// The content type of the text format the endpoint serves.
pub(crate) const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Bytes of the current day or month of one interface, from the rollups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PeriodUsage {
    /// `day` or `month` (of the time zone the database records).
    pub period: &'static str,
    /// Interface name as stored (`_total` for the sum).
    pub interface: String,
    /// Bytes received so far in the period.
    pub bytes_recv: u64,
    /// Bytes sent so far in the period.
    pub bytes_sent: u64,
}

/// Everything one scrape publishes.
#[derive(Debug)]
pub(crate) struct Scrape<'a> {
    /// The selected interfaces' counters, read for this scrape; `None` when
    /// the read failed.
    pub devices: Option<&'a [DeviceColumns]>,
    /// The monitor's bookkeeping.
    pub stats: &'a MonitorStats,
    /// The current day's and month's bytes per interface, from the rollups.
    pub usage: &'a [PeriodUsage],
}

/// Renders a scrape in the Prometheus text format, families sorted by name.
pub(crate) fn render(scrape: &Scrape) -> String {
    let mut families = netdev_families(scrape.devices.unwrap_or_default());
    families.extend(netmon_families(scrape));
    families.retain(|family| !family.get_metric().is_empty());
    families.sort_by(|a, b| a.name().cmp(b.name()));
    let mut text = Vec::with_capacity(4096);
    // Encoding only fails on an empty family or a failed write to a Vec;
    // neither can happen here.
    if TextEncoder::new().encode(&families, &mut text).is_err() {
        text.clear();
    }
    String::from_utf8(text).unwrap_or_default()
}

/// `node_network_<column>_total{device}` for each of the 16 columns, with
/// node_exporter's help text.
fn netdev_families(devices: &[DeviceColumns]) -> Vec<MetricFamily> {
    COLUMN_NAMES
        .iter()
        .enumerate()
        .map(|(column, key)| {
            let metrics = devices
                .iter()
                .filter_map(|device| {
                    let value = device.values[column]?;
                    Some(counter(&[("device", &device.name)], value as f64))
                })
                .collect();
            family(
                &format!("node_network_{key}_total"),
                &format!("Network device statistic {key}."),
                MetricType::COUNTER,
                metrics,
            )
        })
        .collect()
}

/// netmon's own families (documented in the README).
fn netmon_families(scrape: &Scrape) -> Vec<MetricFamily> {
    let stats = scrape.stats;
    let single = |name: &str, help: &str, kind: MetricType, value: f64| {
        let metric = match kind {
            MetricType::COUNTER => counter(&[], value),
            _ => gauge(&[], value),
        };
        family(name, help, kind, vec![metric])
    };
    let mut families = vec![
        family(
            "netmon_build_info",
            "netmon's version; the value is always 1.",
            MetricType::GAUGE,
            vec![gauge(&[("version", env!("CARGO_PKG_VERSION"))], 1.0)],
        ),
        single(
            "netmon_samples_stored_total",
            "Rows (interface samples, _total included) written to the database.",
            MetricType::COUNTER,
            stats.rows_stored as f64,
        ),
        single(
            "netmon_cycles_stored_total",
            "Sampling cycles written to the database.",
            MetricType::COUNTER,
            stats.cycles_stored as f64,
        ),
        single(
            "netmon_cycles_pending",
            "Cycles kept in memory because the database could not be written yet.",
            MetricType::GAUGE,
            stats.cycles_pending as f64,
        ),
        single(
            "netmon_cycles_merged_total",
            "Cycles folded into the next one (full write queue or refused cycle); totals stay exact.",
            MetricType::COUNTER,
            stats.cycles_merged as f64,
        ),
        single(
            "netmon_write_failures_total",
            "Database writes that failed (the cycle was kept and retried, or folded).",
            MetricType::COUNTER,
            stats.write_failures as f64,
        ),
        single(
            "netmon_read_failures_total",
            "Reads of the counters that failed in the sampling loop.",
            MetricType::COUNTER,
            stats.read_failures as f64,
        ),
        single(
            "netmon_scrape_read_success",
            "Whether this scrape's read of the counters succeeded (1) or failed (0).",
            MetricType::GAUGE,
            if scrape.devices.is_some() { 1.0 } else { 0.0 },
        ),
    ];
    if let Some(at) = stats.last_write_unix {
        families.push(single(
            "netmon_last_write_timestamp_seconds",
            "Unix time of the last successful database write.",
            MetricType::GAUGE,
            at,
        ));
    }
    let per_device = |pick: fn(&super::stats::DeviceEvents) -> u64| -> Vec<Metric> {
        stats
            .devices
            .iter()
            .map(|(device, events)| counter(&[("device", device)], pick(events) as f64))
            .collect()
    };
    families.push(family(
        "netmon_counter_resets_total",
        "Samples in which the device's counters started again from zero (a reset, a re-created \
         interface, the first reading after a reboot).",
        MetricType::COUNTER,
        per_device(|e| e.resets),
    ));
    families.push(family(
        "netmon_counter_wraps_total",
        "Samples in which a 32-bit counter of the device wrapped.",
        MetricType::COUNTER,
        per_device(|e| e.wraps),
    ));
    families.push(family(
        "netmon_counter_glitches_total",
        "Samples in which a counter of the device dipped a little below its previous value \
         (a glitch: nothing counted).",
        MetricType::COUNTER,
        per_device(|e| e.glitches),
    ));
    families.push(family(
        "netmon_spike_guard_set_aside_total",
        "Samples whose delta was set aside: beyond any link, or above max_bandwidth_mbit.",
        MetricType::COUNTER,
        per_device(|e| e.set_aside),
    ));
    for period in ["day", "month"] {
        let metrics = scrape
            .usage
            .iter()
            .filter(|usage| usage.period == period)
            .flat_map(|usage| {
                [("rx", usage.bytes_recv), ("tx", usage.bytes_sent)].map(|(direction, bytes)| {
                    gauge(
                        &[("device", &usage.interface), ("direction", direction)],
                        bytes as f64,
                    )
                })
            })
            .collect();
        families.push(family(
            &format!("netmon_current_{period}_bytes"),
            &format!(
                "Bytes moved so far in the current {} of the database's time zone, from its rollups.",
                if period == "month" { "(billing) month" } else { period }
            ),
            MetricType::GAUGE,
            metrics,
        ));
    }
    families
}

fn family(name: &str, help: &str, kind: MetricType, metrics: Vec<Metric>) -> MetricFamily {
    let mut family = MetricFamily::default();
    family.set_name(name.to_string());
    family.set_help(help.to_string());
    family.set_field_type(kind);
    family.set_metric(metrics);
    family
}

fn labelled(labels: &[(&str, &str)]) -> Metric {
    let pairs = labels
        .iter()
        .map(|(name, value)| {
            let mut pair = LabelPair::default();
            pair.set_name((*name).to_string());
            pair.set_value((*value).to_string());
            pair
        })
        .collect();
    Metric::from_label(pairs)
}

fn counter(labels: &[(&str, &str)], value: f64) -> Metric {
    let mut metric = labelled(labels);
    let mut counter = Counter::default();
    counter.set_value(value);
    metric.set_counter(counter);
    metric
}

fn gauge(labels: &[(&str, &str)], value: f64) -> Metric {
    let mut metric = labelled(labels);
    let mut gauge = Gauge::default();
    gauge.set_value(value);
    metric.set_gauge(gauge);
    metric
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::stats::DeviceEvents;

    fn device(name: &str, base: u64) -> DeviceColumns {
        DeviceColumns {
            name: name.into(),
            values: std::array::from_fn(|i| Some(base + i as u64)),
        }
    }

    fn lines_of<'a>(text: &'a str, family: &str) -> Vec<&'a str> {
        text.lines()
            .filter(|line| line.starts_with(family) && !line.starts_with('#'))
            .collect()
    }

    #[test]
    fn every_column_is_a_node_exporter_counter_per_device() {
        let devices = [device("eth0", 100), device("wlan0", 9_019_331_120)];
        let stats = MonitorStats::default();
        let text = render(&Scrape {
            devices: Some(&devices),
            stats: &stats,
            usage: &[],
        });
        for (column, key) in COLUMN_NAMES.iter().enumerate() {
            let name = format!("node_network_{key}_total");
            assert!(
                text.contains(&format!("# HELP {name} Network device statistic {key}.\n")),
                "{name}"
            );
            assert!(text.contains(&format!("# TYPE {name} counter\n")), "{name}");
            assert_eq!(
                lines_of(&text, &format!("{name}{{")),
                [
                    format!("{name}{{device=\"eth0\"}} {}", 100 + column),
                    format!(
                        "{name}{{device=\"wlan0\"}} {}",
                        9_019_331_120 + column as u64
                    ),
                ]
            );
        }
    }

    #[test]
    fn label_values_are_escaped_per_the_format() {
        let devices = [device("a\\b\"c\nd", 1)];
        let stats = MonitorStats::default();
        let text = render(&Scrape {
            devices: Some(&devices),
            stats: &stats,
            usage: &[],
        });
        assert!(
            text.contains("node_network_receive_bytes_total{device=\"a\\\\b\\\"c\\nd\"} 1\n"),
            "{text}"
        );
    }

    #[test]
    fn a_source_without_a_column_publishes_no_family_for_it() {
        let mut partial = device("eth0", 1);
        partial.values[4] = None;
        let stats = MonitorStats::default();
        let text = render(&Scrape {
            devices: Some(&[partial]),
            stats: &stats,
            usage: &[],
        });
        assert!(!text.contains("node_network_receive_fifo_total"));
        assert!(text.contains("node_network_receive_frame_total{device=\"eth0\"} 6\n"));
    }

    #[test]
    fn netmon_families_carry_the_monitors_bookkeeping() {
        let mut stats = MonitorStats {
            rows_stored: 27,
            cycles_stored: 9,
            cycles_pending: 2,
            cycles_merged: 1,
            write_failures: 3,
            read_failures: 4,
            last_write_unix: Some(1_764_000_000.5),
            ..MonitorStats::default()
        };
        stats.devices.insert(
            "eth0".into(),
            DeviceEvents {
                resets: 5,
                wraps: 6,
                glitches: 8,
                set_aside: 7,
            },
        );
        let usage = [
            PeriodUsage {
                period: "day",
                interface: "_total".into(),
                bytes_recv: 10,
                bytes_sent: 20,
            },
            PeriodUsage {
                period: "month",
                interface: "eth0".into(),
                bytes_recv: 30,
                bytes_sent: 40,
            },
        ];
        let text = render(&Scrape {
            devices: None,
            stats: &stats,
            usage: &usage,
        });
        for line in [
            format!(
                "netmon_build_info{{version=\"{}\"}} 1",
                env!("CARGO_PKG_VERSION")
            ),
            "netmon_samples_stored_total 27".into(),
            "netmon_cycles_stored_total 9".into(),
            "netmon_cycles_pending 2".into(),
            "netmon_cycles_merged_total 1".into(),
            "netmon_write_failures_total 3".into(),
            "netmon_read_failures_total 4".into(),
            "netmon_scrape_read_success 0".into(),
            "netmon_last_write_timestamp_seconds 1764000000.5".into(),
            "netmon_counter_resets_total{device=\"eth0\"} 5".into(),
            "netmon_counter_wraps_total{device=\"eth0\"} 6".into(),
            "netmon_counter_glitches_total{device=\"eth0\"} 8".into(),
            "netmon_spike_guard_set_aside_total{device=\"eth0\"} 7".into(),
            "netmon_current_day_bytes{device=\"_total\",direction=\"rx\"} 10".into(),
            "netmon_current_day_bytes{device=\"_total\",direction=\"tx\"} 20".into(),
            "netmon_current_month_bytes{device=\"eth0\",direction=\"rx\"} 30".into(),
            "netmon_current_month_bytes{device=\"eth0\",direction=\"tx\"} 40".into(),
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "{line} missing from\n{text}"
            );
        }
        assert!(
            !text.contains("node_network_"),
            "no read, no netdev families"
        );
        assert!(text.contains("# TYPE netmon_cycles_pending gauge\n"));
        assert!(text.contains("# TYPE netmon_write_failures_total counter\n"));
    }

    #[test]
    fn families_are_sorted_and_empty_ones_left_out() {
        let stats = MonitorStats::default();
        let text = render(&Scrape {
            devices: Some(&[]),
            stats: &stats,
            usage: &[],
        });
        let names: Vec<&str> = text
            .lines()
            .filter_map(|l| l.strip_prefix("# TYPE "))
            .map(|l| l.split(' ').next().unwrap_or_default())
            .collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        assert_eq!(names, sorted);
        assert!(
            !text.contains("netmon_counter_resets_total"),
            "no devices, no family"
        );
        assert!(
            !text.contains("netmon_last_write_timestamp_seconds"),
            "nothing written yet"
        );
        assert!(text.contains("netmon_scrape_read_success 1\n"));
    }
}
