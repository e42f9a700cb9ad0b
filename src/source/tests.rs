//! The parser's line rules and the sources, on captured and crafted text.

use super::parse::*;
use super::procfs::*;
use super::*;
use crate::support::episode::Episode;
use std::fs;
use std::io::Seek;
use std::path::Path;

const CAPTURED: &[u8] = include_bytes!("../../tests/fixtures/proc_net_dev_host.txt");

#[test]
fn quotes_escape_what_would_break_them_and_stop_at_the_limit() {
    // Quotes, backslashes and control characters are escaped, the rest kept.
    assert_eq!(
        quoted(b"a\"b\\c\x1bd\xc3\xa9"),
        "\"a\\\"b\\\\c\\u{1b}d\u{e9}\""
    );
    // Exactly MAX_QUOTED characters fit; one more is cut with "...".
    let fits = "x".repeat(MAX_QUOTED);
    assert_eq!(quoted(fits.as_bytes()), format!("\"{fits}\""));
    let over = "x".repeat(MAX_QUOTED + 1);
    assert_eq!(quoted(over.as_bytes()), format!("\"{fits}...\""));
    // An escape that would cross the limit is left out whole.
    let crossing = format!("{}\x1b", "x".repeat(MAX_QUOTED - 1));
    assert_eq!(
        quoted(crossing.as_bytes()),
        format!("\"{}...\"", "x".repeat(MAX_QUOTED - 1))
    );
}

#[test]
fn a_counters_file_is_read_whole_up_to_the_limit_and_refused_beyond() {
    use std::io::Write;
    let mut file = tempfile::tempfile().unwrap();
    file.write_all(CAPTURED).unwrap();
    file.seek(std::io::SeekFrom::Start(0)).unwrap();
    let mut buffer = Vec::new();
    read_counters(&mut file, &mut buffer).unwrap();
    assert_eq!(buffer, CAPTURED);
    let limit = usize::try_from(MAX_COUNTERS_BYTES).unwrap();
    file.write_all(&vec![b'\n'; limit]).unwrap();
    file.seek(std::io::SeekFrom::Start(0)).unwrap();
    let err = read_counters(&mut file, &mut buffer).unwrap_err();
    assert_eq!(
        err.to_string(),
        "larger than 16 MiB, which no /proc/net/dev is"
    );
    // What was read is let go, not kept for the next read.
    assert_eq!(buffer.capacity(), 0);
    // Exactly the limit is still read.
    file.set_len(MAX_COUNTERS_BYTES).unwrap();
    file.seek(std::io::SeekFrom::Start(0)).unwrap();
    read_counters(&mut file, &mut buffer).unwrap();
    assert_eq!(buffer.len(), limit);
}

#[test]
fn parses_a_real_capture() {
    let parsed = parse_proc_net_dev(CAPTURED).into_result().unwrap();
    let names: Vec<_> = parsed.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(names, ["lo", "eth0", "wlan0", "docker0", "veth1234567890a"]);
    let eth0 = &parsed[1].counters;
    assert_eq!(eth0.bytes_recv, 9_019_331_120);
    assert_eq!(eth0.packets_recv, 6_322_110);
    assert_eq!(eth0.errin, 3);
    assert_eq!(eth0.dropin, 17);
    assert_eq!(eth0.bytes_sent, 1_999_541_002);
    assert_eq!(eth0.packets_sent, 2_510_101);
    assert_eq!(eth0.errout, 1);
    assert_eq!(eth0.dropout, 2);
    assert!(parsed.iter().all(|i| i.ifindex.is_none()));
}

#[test]
fn all_sixteen_columns_are_kept_in_file_order() {
    let text = b"Inter-|\n face |\n  eth0: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n";
    let devices = parse_all_columns(text).into_result().unwrap();
    assert_eq!(devices.len(), 1);
    assert_eq!(devices[0].name, "eth0");
    let expected: Vec<Option<u64>> = (1..=16).map(Some).collect();
    assert_eq!(devices[0].values.to_vec(), expected);
    let stored = &parse_proc_net_dev(text).into_result().unwrap()[0];
    assert_eq!(
        DeviceColumns::from_counters(stored).values,
        [
            Some(1),
            Some(2),
            Some(3),
            Some(4),
            None,
            None,
            None,
            None,
            Some(9),
            Some(10),
            Some(11),
            Some(12),
            None,
            None,
            None,
            None
        ]
    );
}

#[test]
fn name_glued_to_first_number() {
    let parsed = parse_proc_net_dev(CAPTURED).into_result().unwrap();
    let veth = parsed.last().unwrap();
    assert_eq!(veth.name, "veth1234567890a");
    assert_eq!(veth.counters.bytes_recv, 4_294_967_295);
}

#[test]
fn minimal_capture_from_a_fresh_namespace() {
    let text = b"Inter-|   Receive                                                |  Transmit\n face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n    lo:       0       0    0    0    0     0          0         0        0       0    0    0    0     0       0          0\n";
    let parsed = parse_proc_net_dev(text).into_result().unwrap();
    assert_eq!(parsed.len(), 1);
    assert_eq!(parsed[0].counters, Counters::default());
}

#[test]
fn counters_up_to_u64_max() {
    let text = format!(
        "x: {} 0 0 0 0 0 0 0 {} 0 0 0 0 0 0 0\n",
        u64::MAX,
        u64::MAX - 1
    );
    let parsed = parse_proc_net_dev(text.as_bytes()).into_result().unwrap();
    assert_eq!(parsed[0].counters.bytes_recv, u64::MAX);
    assert_eq!(parsed[0].counters.bytes_sent, u64::MAX - 1);
}

#[test]
fn names_that_are_not_utf8_are_escaped_and_the_others_still_read() {
    let mut text = b"Inter-|\n face |\n".to_vec();
    text.extend_from_slice(b"x\xff: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n");
    text.extend_from_slice(b" _total: 5 0 0 0 0 0 0 0 6 0 0 0 0 0 0 0\n");
    text.extend_from_slice(b"  eth0: 7 0 0 0 0 0 0 0 8 0 0 0 0 0 0 0\n");
    let parsed = parse_proc_net_dev(&text).into_result().unwrap();
    let names: Vec<_> = parsed.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(names, ["x\\xff", "\\x5ftotal", "eth0"]);
    assert_eq!(parsed[0].counters.bytes_sent, 9);
    assert_eq!(parsed[2].counters.bytes_recv, 7);
}

#[test]
fn garbage_is_rejected_with_the_line_named() {
    let cases: [(&[u8], &str); 8] = [
        (
            b"eth0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16",
            "line 1: no ':'",
        ),
        (
            b": 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16",
            "line 1: empty interface name",
        ),
        (b"eth0: 1 2 3", "line 1: expected 16 counters, found 3"),
        (
            b"eth0: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17",
            "more than 16",
        ),
        (
            b"eth0: 1 2 3 -4 5 6 7 8 9 10 11 12 13 14 15 16",
            "\"-4\" is not an unsigned",
        ),
        (
            b"eth0: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 99999999999999999999",
            "not an unsigned",
        ),
        (
            b"eth0: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 1\xff",
            "is not an unsigned",
        ),
        ("\u{fffd}\u{fffd}\u{fffd}".as_bytes(), "line 1: no ':'"),
    ];
    // Found by the fuzz target: escapes used to multiply a long quote.
    let escapes = [b"eth0: 1 2".as_slice(), &[0x1b; 500], b" 3"].concat();
    let err = parse_proc_net_dev(&escapes)
        .into_result()
        .unwrap_err()
        .to_string();
    assert!(err.len() < 400, "{} bytes: {err}", err.len());
    assert!(err.contains("counter \"2\\u{1b}\\u{1b}"), "{err}");
    for (text, expected) in cases {
        let err = parse_proc_net_dev(text)
            .into_result()
            .unwrap_err()
            .to_string();
        assert!(err.contains(expected), "{text:?} gave {err:?}");
        assert!(!err.contains('\n'), "{err:?}");
    }
}

#[test]
fn line_rule_skipped_lines_are_noted_when_they_start_and_end() {
    let mut episode = Episode::default();
    let good = parse_proc_net_dev(b"eth0: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n");
    let mixed = parse_proc_net_dev(b"eth0: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\nbad\n");
    let garbage = parse_proc_net_dev(b"bad\n");
    assert_eq!(skip_note(&mut episode, &good), None);
    assert_eq!(skip_note(&mut episode, &mixed), Some(SkipNote::Started));
    assert_eq!(skip_note(&mut episode, &mixed), None, "once");
    assert_eq!(skip_note(&mut episode, &mixed), None);
    assert_eq!(skip_note(&mut episode, &good), Some(SkipNote::Ended(3)));
    assert_eq!(skip_note(&mut episode, &good), None);
    // A file with nothing readable is an error, not an episode.
    assert_eq!(skip_note(&mut episode, &garbage), None);
    assert!(garbage.into_result().is_err());
}

#[test]
fn a_name_listed_twice_keeps_its_first_line() {
    let line = "a: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n";
    let parsed = parse_proc_net_dev(format!("{line}{line}").as_bytes());
    assert_eq!(parsed.interfaces.len(), 1);
    assert_eq!(parsed.skipped, 1);
    let err = parsed.first_skipped.unwrap().to_string();
    assert!(err.starts_with("line 2: interface listed twice"), "{err}");
}

#[test]
fn line_rule_a_malformed_line_costs_that_line_only() {
    let text = format!(
        "Inter-|\n face |\n  eth0: {}\ngarbage {}\n  wlan0: {}\n",
        "1 ".repeat(16),
        "x".repeat(1000),
        "2 ".repeat(16)
    );
    let parsed = parse_proc_net_dev(text.as_bytes());
    let names: Vec<_> = parsed.interfaces.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(names, ["eth0", "wlan0"]);
    assert_eq!(parsed.skipped, 1);
    let err = parsed.first_skipped.clone().unwrap();
    assert_eq!(err.line, 4);
    assert!(
        err.content.len() < 200 && err.content.ends_with("...\""),
        "a long line is quoted short: {}",
        err.content.len()
    );
    assert_eq!(parsed.into_result().unwrap().len(), 2);
}

#[test]
fn line_rule_only_the_first_two_lines_may_be_headers() {
    let text = format!("Inter-|\n face |\neth|0: {}\n", "1 ".repeat(16));
    let parsed = parse_proc_net_dev(text.as_bytes()).into_result().unwrap();
    assert_eq!(parsed[0].name, "eth|0", "a name may hold a '|'");
    let bad = parse_proc_net_dev(b"Inter-|\n face |\n bad | line\n");
    assert_eq!(bad.skipped, 1, "a third line with '|' is no header");
}

#[test]
fn a_source_without_extra_columns_publishes_its_eight() {
    struct Scripted;
    impl CounterSource for Scripted {
        fn read(&mut self) -> Result<Vec<InterfaceCounters>, ReadError> {
            Ok(parse_proc_net_dev(CAPTURED).into_result().unwrap())
        }
        fn boot(&self) -> Boot {
            Boot::default()
        }
        fn name(&self) -> &'static str {
            "scripted"
        }
    }
    assert!(Scripted.unreadable().is_empty(), "no line to be unreadable");
    let columns = Scripted.read_columns().unwrap();
    assert_eq!(columns.len(), 5);
    assert_eq!(columns[1].name, "eth0");
    assert_eq!(columns[1].values[0], Some(9_019_331_120));
    assert_eq!(
        columns[1].values[4], None,
        "no fifo column from eight counters"
    );
}

#[test]
fn line_rule_names_end_at_the_last_colon_as_node_exporter_reads_them() {
    let text = b"Inter-|\n face |\n ibr10:30:       0       0    0    0    0     0          0         0        0       0    0    0    0     0       0          0\nflannel.1: 18144009813 228499337    0    0    0     0          0         0 20758990068 258369223    0   64    0     0       0          0\n";
    let parsed = parse_proc_net_dev(text).into_result().unwrap();
    let names: Vec<_> = parsed.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(names, ["ibr10:30", "flannel.1"]);
    assert_eq!(parsed[1].counters.bytes_sent, 20_758_990_068);
    assert_eq!(parsed[1].counters.dropout, 64);
}

#[test]
fn empty_text_has_no_interfaces() {
    assert!(parse_proc_net_dev(b"").into_result().unwrap().is_empty());
    assert!(parse_proc_net_dev(b"Inter-|\n face |\n")
        .into_result()
        .unwrap()
        .is_empty());
}

#[test]
fn only_this_namespaces_proc_file_is_judged_by_this_kernel() {
    assert!(is_own_namespace(Path::new("/proc/net/dev")));
    assert!(is_own_namespace(Path::new("/proc/self/net/dev")));
    let own = format!("/proc/{}/net/dev", std::process::id());
    assert!(is_own_namespace(Path::new(&own)));
    assert!(!is_own_namespace(Path::new("/proc/self/net/snmp")));
    assert!(!is_own_namespace(Path::new(
        "tests/fixtures/proc_net_dev_host.txt"
    )));
    assert!(!is_own_namespace(Path::new("/nonexistent/net/dev")));
}

#[test]
fn sources_name_themselves_and_their_boot() {
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("dev");
    fs::write(&copy, CAPTURED).unwrap();
    let mut procfs = ProcfsSource::new(&copy);
    assert_eq!(procfs.name(), "procfs");
    fs::write(&copy, [CAPTURED, b"  eth9: x 1 2\n"].concat()).unwrap();
    assert_eq!(procfs.read().unwrap().len(), 5);
    assert_eq!(procfs.unreadable(), ["eth9"], "listed, not readable");
    fs::write(&copy, CAPTURED).unwrap();
    procfs.read().unwrap();
    assert!(procfs.unreadable().is_empty(), "every line read again");
    assert_eq!(procfs.boot(), Boot::procfs());
    assert!(procfs.boot().id.is_some());
    let columns = procfs.read_columns().unwrap();
    assert_eq!(columns.len(), 5);
    assert_eq!(columns[1].values[8], Some(1_999_541_002), "transmit bytes");
    assert!(
        columns[1].values.iter().all(Option::is_some),
        "all 16 columns"
    );
    let mut sysinfo = SysinfoSource::new();
    assert_eq!(sysinfo.name(), "sysinfo");
    assert_eq!(sysinfo.boot().id, Boot::procfs().id, "the kernel's boot id");
    assert!(sysinfo.read().unwrap().iter().any(|i| i.name == "lo"));
}

#[test]
fn procfs_source_reads_indexes_only_for_its_own_namespace() {
    let mut own = ProcfsSource::new(Path::new("/proc/net/dev"));
    let interfaces = own.read().unwrap();
    let lo = interfaces.iter().find(|i| i.name == "lo").unwrap();
    assert_eq!(lo.ifindex, Some(1), "lo is interface 1 in every namespace");
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("dev");
    fs::write(&copy, CAPTURED).unwrap();
    let mut fixture = ProcfsSource::new(&copy);
    assert!(fixture.read().unwrap().iter().all(|i| i.ifindex.is_none()));
    fs::remove_file(&copy).unwrap();
    let err = fixture.read().unwrap_err();
    assert!(matches!(err, ReadError::Io { .. }), "{err}");
}
