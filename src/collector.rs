//! Where counters come from: the [`CounterSource`] trait, the pure
//! `/proc/net/dev` parser, and the procfs and sysinfo sources.

use crate::counters::Counters;
use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};

/// One interface's counters as read at one instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterfaceCounters {
    /// Kernel interface name, e.g. `eth0`.
    pub name: String,
    /// Cumulative counters since the interface came up (or boot).
    pub counters: Counters,
}

/// A source of interface counters; one `read` is one consistent snapshot.
pub trait CounterSource {
    /// Reads every interface's counters once.
    fn read(&mut self) -> Result<Vec<InterfaceCounters>, String>;
    /// The kernel boot time (Unix seconds), used to tell whether stored
    /// counters come from this boot; `None` when unknown.
    fn boot_time(&self) -> Option<i64>;
    /// Short name for logs (`procfs`, `sysinfo`).
    fn name(&self) -> &'static str;
}

/// Parses the text of `/proc/net/dev` (or `/proc/<pid>/net/dev`).
///
/// The two header lines are skipped; each other non-blank line must be
/// `NAME: 16 unsigned integers`, where the name may be glued to the first
/// number (`veth1234567890a:123 ...`). A malformed line is an error naming
/// its line number and content.
pub fn parse_proc_net_dev(text: &str) -> Result<Vec<InterfaceCounters>, String> {
    let mut interfaces = Vec::new();
    let mut seen = HashSet::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() || (index < 2 && line.contains('|')) {
            continue;
        }
        let malformed = |why: &str| format!("line {}: {why}: {:?}", index + 1, line.trim());
        let (name, numbers) = line
            .split_once(':')
            .ok_or_else(|| malformed("no ':' after the interface name"))?;
        let name = name.trim();
        if name.is_empty() {
            return Err(malformed("empty interface name"));
        }
        let mut fields = [0u64; 16];
        let mut count = 0;
        for token in numbers.split_ascii_whitespace() {
            if count == fields.len() {
                return Err(malformed("more than 16 counters"));
            }
            fields[count] = token
                .parse()
                .map_err(|_| malformed(&format!("counter {token:?} is not an unsigned integer")))?;
            count += 1;
        }
        if count != fields.len() {
            return Err(malformed(&format!("expected 16 counters, found {count}")));
        }
        if !seen.insert(name.to_string()) {
            return Err(malformed("interface listed twice"));
        }
        interfaces.push(InterfaceCounters {
            name: name.to_string(),
            counters: Counters {
                bytes_recv: fields[0],
                packets_recv: fields[1],
                errin: fields[2],
                dropin: fields[3],
                bytes_sent: fields[8],
                packets_sent: fields[9],
                errout: fields[10],
                dropout: fields[11],
            },
        });
    }
    Ok(interfaces)
}

/// Reads the kernel boot time (`btime`) from `/proc/stat` text.
pub fn parse_btime(proc_stat: &str) -> Option<i64> {
    proc_stat
        .lines()
        .find_map(|line| line.strip_prefix("btime "))
        .and_then(|value| value.trim().parse().ok())
}

/// Counters from a `/proc/net/dev`-format file: one read per cycle gives all
/// eight counters of every interface at one instant.
pub struct ProcfsSource {
    path: PathBuf,
    buffer: String,
}

impl ProcfsSource {
    /// A source reading the file at `path`.
    pub fn new(path: &Path) -> Self {
        ProcfsSource {
            path: path.to_path_buf(),
            buffer: String::with_capacity(4096),
        }
    }
}

impl CounterSource for ProcfsSource {
    fn read(&mut self) -> Result<Vec<InterfaceCounters>, String> {
        use std::io::Read;
        self.buffer.clear();
        fs::File::open(&self.path)
            .and_then(|mut file| file.read_to_string(&mut self.buffer))
            .map_err(|e| format!("cannot read {}: {e}", self.path.display()))?;
        parse_proc_net_dev(&self.buffer).map_err(|e| format!("{}: {e}", self.path.display()))
    }

    fn boot_time(&self) -> Option<i64> {
        fs::read_to_string("/proc/stat")
            .ok()
            .and_then(|text| parse_btime(&text))
    }

    fn name(&self) -> &'static str {
        "procfs"
    }
}

/// Portable counters through the sysinfo crate, for systems without procfs.
/// sysinfo exposes no drop counters: they are recorded as 0.
pub struct SysinfoSource {
    networks: sysinfo::Networks,
}

impl SysinfoSource {
    /// A source with sysinfo's interface list loaded.
    pub fn new() -> Self {
        tracing::warn!(
            "collector sysinfo records drop counters as 0 (sysinfo does not expose them)"
        );
        SysinfoSource {
            networks: sysinfo::Networks::new_with_refreshed_list(),
        }
    }
}

impl Default for SysinfoSource {
    fn default() -> Self {
        Self::new()
    }
}

impl CounterSource for SysinfoSource {
    fn read(&mut self) -> Result<Vec<InterfaceCounters>, String> {
        self.networks.refresh(true);
        let mut interfaces: Vec<InterfaceCounters> = self
            .networks
            .iter()
            .map(|(name, data)| InterfaceCounters {
                name: name.clone(),
                counters: Counters {
                    bytes_recv: data.total_received(),
                    bytes_sent: data.total_transmitted(),
                    packets_recv: data.total_packets_received(),
                    packets_sent: data.total_packets_transmitted(),
                    errin: data.total_errors_on_received(),
                    errout: data.total_errors_on_transmitted(),
                    dropin: 0,
                    dropout: 0,
                },
            })
            .collect();
        interfaces.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(interfaces)
    }

    fn boot_time(&self) -> Option<i64> {
        i64::try_from(sysinfo::System::boot_time()).ok()
    }

    fn name(&self) -> &'static str {
        "sysinfo"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CAPTURED: &str = include_str!("../tests/fixtures/proc_net_dev_host.txt");

    #[test]
    fn parses_a_real_capture() {
        let parsed = parse_proc_net_dev(CAPTURED).unwrap();
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
    }

    #[test]
    fn name_glued_to_first_number() {
        let parsed = parse_proc_net_dev(CAPTURED).unwrap();
        let veth = parsed.last().unwrap();
        assert_eq!(veth.name, "veth1234567890a");
        assert_eq!(veth.counters.bytes_recv, 4_294_967_295);
    }

    #[test]
    fn minimal_capture_from_a_fresh_namespace() {
        let text = "Inter-|   Receive                                                |  Transmit\n face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n    lo:       0       0    0    0    0     0          0         0        0       0    0    0    0     0       0          0\n";
        let parsed = parse_proc_net_dev(text).unwrap();
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
        let parsed = parse_proc_net_dev(&text).unwrap();
        assert_eq!(parsed[0].counters.bytes_recv, u64::MAX);
        assert_eq!(parsed[0].counters.bytes_sent, u64::MAX - 1);
    }

    #[test]
    fn garbage_is_rejected_with_the_line_named() {
        let cases = [
            (
                "eth0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16",
                "line 1: no ':'",
            ),
            (
                ": 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16",
                "line 1: empty interface name",
            ),
            ("eth0: 1 2 3", "line 1: expected 16 counters, found 3"),
            (
                "eth0: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17",
                "more than 16",
            ),
            (
                "eth0: 1 2 3 -4 5 6 7 8 9 10 11 12 13 14 15 16",
                "\"-4\" is not an unsigned",
            ),
            (
                "eth0: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 99999999999999999999",
                "not an unsigned",
            ),
            ("\u{fffd}\u{fffd}\u{fffd}", "line 1: no ':'"),
        ];
        for (text, expected) in cases {
            let err = parse_proc_net_dev(text).unwrap_err();
            assert!(err.contains(expected), "{text:?} gave {err:?}");
        }
    }

    #[test]
    fn duplicate_interface_is_rejected() {
        let line = "a: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n";
        let err = parse_proc_net_dev(&format!("{line}{line}")).unwrap_err();
        assert!(err.starts_with("line 2: interface listed twice"), "{err}");
    }

    #[test]
    fn empty_text_has_no_interfaces() {
        assert!(parse_proc_net_dev("").unwrap().is_empty());
    }

    #[test]
    fn btime_from_proc_stat() {
        let text = "cpu  1 2 3\nintr 5\nbtime 1764061471\nprocesses 9\n";
        assert_eq!(parse_btime(text), Some(1_764_061_471));
        assert_eq!(parse_btime("cpu 1\n"), None);
    }
}
