//! `--summary --by P --format svg`: valid XML, self-contained, and what a
//! real browser (headless Chromium) renders from it is a chart, not a blank
//! page: both bar colours are on the screenshot.

mod common;

use chrono::{Duration, TimeZone, Utc};
use common::*;
use std::process::Command;

/// Ten days of hourly cycles: eth0 receives 4000 and sends 1000 bytes an hour.
fn sandbox_with_days() -> Sandbox {
    let sandbox = Sandbox::with_config("logging:\n  file: ''\n");
    std::fs::create_dir_all(sandbox.path("data")).unwrap();
    let start = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
    let cycles: Vec<ScriptedCycle> = (0..240u64)
        .map(|h| {
            (
                start + Duration::hours(h as i64),
                vec![("eth0", h * 4000, h * 1000)],
            )
        })
        .collect();
    write_history(&sandbox.db_path(), &cycles);
    sandbox
}

fn svg_of(sandbox: &Sandbox, args: &[&str]) -> String {
    let mut all = vec!["--summary", "--format", "svg", "--since", "all"];
    all.extend_from_slice(args);
    let output = sandbox.run(&all);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    stdout(&output)
}

#[test]
fn the_svg_is_valid_self_contained_xml_for_every_period() {
    let sandbox = sandbox_with_days();
    for period in ["hour", "day", "week", "month", "year"] {
        let svg = svg_of(&sandbox, &["--by", period]);
        let document = roxmltree::Document::parse(&svg)
            .unwrap_or_else(|e| panic!("--by {period}: not XML: {e}"));
        let root = document.root_element();
        assert_eq!(root.tag_name().name(), "svg");
        let texts: Vec<String> = document
            .descendants()
            .filter(|n| n.has_tag_name("text"))
            .filter_map(|n| n.text().map(|t| t.trim().to_string()))
            .collect();
        assert!(
            texts
                .iter()
                .any(|t| t.starts_with("eth0 on ") && t.contains(&format!("bytes per {period}"))),
            "--by {period}: no title in {texts:?}"
        );
        assert!(texts.iter().any(|t| t == "received") && texts.iter().any(|t| t == "sent"));
        for node in document.descendants() {
            for attribute in node.attributes() {
                assert!(
                    !attribute.value().contains("http") || attribute.name() == "xmlns",
                    "--by {period}: an external reference: {}={}",
                    attribute.name(),
                    attribute.value()
                );
            }
            assert!(!node.has_tag_name("script") && !node.has_tag_name("image"));
        }
    }
    let output = sandbox.run(&["--summary", "--format", "svg"]);
    assert_eq!(output.status.code(), Some(2), "svg needs --by");
    assert!(stderr(&output).contains("--by"));
}

#[test]
fn chromium_renders_the_chart_with_both_series() {
    if !require(
        has_program("chromium"),
        "chromium is not installed (.ci/run installs Debian's chromium)",
    ) {
        return;
    }
    let sandbox = sandbox_with_days();
    let svg = svg_of(&sandbox, &["--by", "day"]);
    let svg_path = sandbox.path("chart.svg");
    std::fs::write(&svg_path, &svg).unwrap();
    let png_path = sandbox.path("chart.png");
    let status = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--window-size=1000,720",
        ])
        .arg(format!(
            "--user-data-dir={}",
            sandbox.path("profile").display()
        ))
        .arg(format!("--screenshot={}", png_path.display()))
        .arg(format!("file://{}", svg_path.display()))
        .output()
        .unwrap();
    assert!(status.status.success(), "{}", stderr(&status));
    let decoder = png::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(&png_path).unwrap(),
    ));
    let mut reader = decoder.read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    let frame = reader.next_frame(&mut pixels).unwrap();
    let channels = frame.color_type.samples();
    let rgb: Vec<(u8, u8, u8)> = pixels[..frame.buffer_size()]
        .chunks(channels)
        .map(|p| (p[0], p[1], p[2]))
        .collect();
    let share = |wanted: (u8, u8, u8)| {
        rgb.iter().filter(|&&p| p == wanted).count() as f64 / rgb.len() as f64
    };
    let white = share((255, 255, 255));
    let (received, sent) = (share((31, 119, 180)), share((255, 127, 14)));
    assert!(white < 0.95, "not a blank page: {white:.3} white");
    assert!(
        received > 0.01,
        "received bars: {received:.4} of the pixels"
    );
    assert!(sent > 0.002, "sent bars: {sent:.4} of the pixels");
    assert!(
        received > sent * 2.0,
        "rx (4000 B/h) bars are four times taller than tx"
    );
}
