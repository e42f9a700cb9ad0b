//! Where counters come from: the [`CounterSource`] trait, the pure
//! `/proc/net/dev` parser, and the procfs and sysinfo sources.

use crate::counters::Counters;
use crate::ifname;
use std::collections::HashSet;
use std::fs;
use std::io::{Read, Seek};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// One interface's counters as read at one instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterfaceCounters {
    /// Interface name as stored: the kernel name, escaped where it is not
    /// printable UTF-8 (see [`crate::ifname`]).
    pub name: String,
    /// The kernel's interface index, where netmon can ask this namespace's
    /// kernel (`None` for another namespace's counters and for sysinfo).
    /// A changed index means the interface was re-created.
    pub ifindex: Option<u32>,
    /// Cumulative counters since the interface came up (or boot).
    pub counters: Counters,
}

/// Why a read of the counters failed.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The file could not be opened or read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// The file was read but is not in `/proc/net/dev` format.
    #[error("{path}: {source}")]
    Format {
        /// The file.
        path: PathBuf,
        /// The offending line.
        #[source]
        source: ParseError,
    },
}

/// A line of `/proc/net/dev` text that is not `NAME: 16 counters`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {reason}: {content:?}")]
pub struct ParseError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong with it.
    pub reason: String,
    /// The line, trimmed (lossily decoded where not UTF-8).
    pub content: String,
}

/// A source of interface counters; one `read` is one consistent snapshot.
pub trait CounterSource {
    /// Reads every interface's counters once.
    fn read(&mut self) -> Result<Vec<InterfaceCounters>, ReadError>;
    /// The kernel boot time (Unix seconds), used to tell whether stored
    /// counters come from this boot; `None` when unknown.
    fn boot_time(&self) -> Option<i64>;
    /// Short name for logs (`procfs`, `sysinfo`).
    fn name(&self) -> &'static str;
    /// Reads every interface's counters once with every column the source
    /// has (the metrics endpoint publishes them all). By default, the eight
    /// of [`CounterSource::read`].
    fn read_columns(&mut self) -> Result<Vec<DeviceColumns>, ReadError> {
        Ok(self
            .read()?
            .iter()
            .map(DeviceColumns::from_counters)
            .collect())
    }
}

/// The 16 columns of a `/proc/net/dev` line, in file order, named as
/// node_exporter names them (`node_network_<name>_total`).
pub const COLUMN_NAMES: [&str; 16] = [
    "receive_bytes",
    "receive_packets",
    "receive_errs",
    "receive_drop",
    "receive_fifo",
    "receive_frame",
    "receive_compressed",
    "receive_multicast",
    "transmit_bytes",
    "transmit_packets",
    "transmit_errs",
    "transmit_drop",
    "transmit_fifo",
    "transmit_colls",
    "transmit_carrier",
    "transmit_compressed",
];

/// Positions in [`COLUMN_NAMES`] of the eight counters netmon stores, in
/// [`Counters::to_array`] order.
const STORED_COLUMNS: [usize; 8] = [0, 8, 1, 9, 2, 10, 3, 11];

/// Every column of one interface's line, for the metrics endpoint (which
/// publishes all 16, like node_exporter).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceColumns {
    /// Interface name as stored (see [`InterfaceCounters::name`]).
    pub name: String,
    /// The values in [`COLUMN_NAMES`] order; `None` where the source does
    /// not have that counter (sysinfo has only the eight netmon stores).
    pub values: [Option<u64>; 16],
}

impl DeviceColumns {
    /// The columns known from the eight stored counters alone.
    pub fn from_counters(interface: &InterfaceCounters) -> Self {
        let mut values = [None; 16];
        for (&column, value) in STORED_COLUMNS.iter().zip(interface.counters.to_array()) {
            values[column] = Some(value);
        }
        DeviceColumns {
            name: interface.name.clone(),
            values,
        }
    }
}

/// Parses the text of `/proc/net/dev` (or `/proc/<pid>/net/dev`).
///
/// The two header lines are skipped; each other non-blank line must be
/// `NAME: 16 unsigned integers`, where the name may be glued to the first
/// number (`veth1234567890a:123 ...`). Names are bytes: one that is not
/// printable UTF-8 is escaped ([`ifname::escape`]), never an error. A
/// malformed line is an error naming its line number and content.
pub fn parse_proc_net_dev(text: &[u8]) -> Result<Vec<InterfaceCounters>, ParseError> {
    let mut interfaces = Vec::new();
    parse_lines(text, |name, fields| {
        let stored = STORED_COLUMNS.map(|column| fields[column]);
        interfaces.push(InterfaceCounters {
            name,
            ifindex: None,
            counters: Counters::from_array(stored),
        });
    })?;
    Ok(interfaces)
}

/// Parses `/proc/net/dev` text like [`parse_proc_net_dev`], keeping all 16
/// columns of every interface.
pub fn parse_all_columns(text: &[u8]) -> Result<Vec<DeviceColumns>, ParseError> {
    let mut devices = Vec::new();
    parse_lines(text, |name, fields| {
        devices.push(DeviceColumns {
            name,
            values: fields.map(Some),
        });
    })?;
    Ok(devices)
}

/// The line rules of [`parse_proc_net_dev`]: calls `found` with each
/// interface's stored name and its 16 counters.
fn parse_lines(text: &[u8], mut found: impl FnMut(String, [u64; 16])) -> Result<(), ParseError> {
    let mut seen = HashSet::new();
    for (index, line) in text.split(|&b| b == b'\n').enumerate() {
        let line = line.trim_ascii();
        if line.is_empty() || (index < 2 && line.contains(&b'|')) {
            continue;
        }
        let malformed = |reason: String| ParseError {
            line: index + 1,
            reason,
            content: String::from_utf8_lossy(line).into_owned(),
        };
        // Names cannot contain ':' (the kernel refuses them), so the first
        // one ends the name.
        let colon = line
            .iter()
            .position(|&b| b == b':')
            .ok_or_else(|| malformed("no ':' after the interface name".into()))?;
        let (raw_name, numbers) = (line[..colon].trim_ascii(), &line[colon + 1..]);
        if raw_name.is_empty() {
            return Err(malformed("empty interface name".into()));
        }
        let fields = parse_counters(numbers).map_err(malformed)?;
        // Escaping is one-to-one, so the raw names tell repeats.
        if !seen.insert(raw_name) {
            return Err(malformed("interface listed twice".into()));
        }
        found(ifname::escape(raw_name), fields);
    }
    Ok(())
}

/// The 16 whitespace-separated unsigned counters after an interface name.
fn parse_counters(numbers: &[u8]) -> Result<[u64; 16], String> {
    let mut fields = [0u64; 16];
    let mut count = 0;
    let mut rest = numbers.trim_ascii_start();
    while !rest.is_empty() {
        let end = rest
            .iter()
            .position(u8::is_ascii_whitespace)
            .unwrap_or(rest.len());
        let (token, tail) = rest.split_at(end);
        if count == fields.len() {
            return Err("more than 16 counters".into());
        }
        fields[count] = decimal(token).ok_or_else(|| {
            format!(
                "counter {:?} is not an unsigned integer",
                String::from_utf8_lossy(token)
            )
        })?;
        count += 1;
        rest = tail.trim_ascii_start();
    }
    if count != fields.len() {
        return Err(format!("expected 16 counters, found {count}"));
    }
    Ok(fields)
}

/// The value of a run of ASCII digits (as the kernel prints counters);
/// `None` for anything else or a value beyond 64 bits.
fn decimal(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() {
        return None;
    }
    digits.iter().try_fold(0u64, |value, &b| {
        let digit = b.checked_sub(b'0').filter(|d| *d < 10)?;
        value.checked_mul(10)?.checked_add(u64::from(digit))
    })
}

/// Reads the kernel boot time (`btime`) from `/proc/stat` text.
fn parse_btime(proc_stat: &str) -> Option<i64> {
    proc_stat
        .lines()
        .find_map(|line| line.strip_prefix("btime "))
        .and_then(|value| value.trim().parse().ok())
}

/// Whether `path` is a `/proc/<pid>/net/dev` of this process's own network
/// namespace, so that this namespace's kernel may be asked about its
/// interfaces. Another process's namespace, or any other file, is not.
fn is_own_namespace(path: &Path) -> bool {
    let Ok(real) = fs::canonicalize(path) else {
        return false;
    };
    let mut parts = real.components().map(|c| c.as_os_str().to_string_lossy());
    let pid = match (parts.next(), parts.next(), parts.next()) {
        (Some(root), Some(proc), Some(pid)) if root == "/" && proc == "proc" => pid.into_owned(),
        _ => return false,
    };
    let rest: Vec<_> = parts.collect();
    let net_dev = match rest.as_slice() {
        [net, dev] => net == "net" && dev == "dev",
        [task, _, net, dev] => task == "task" && net == "net" && dev == "dev",
        _ => false,
    };
    let namespace =
        |dir: &str| fs::metadata(format!("/proc/{dir}/ns/net")).map(|m| (m.dev(), m.ino()));
    net_dev
        && matches!((namespace(&pid), namespace("self")), (Ok(theirs), Ok(ours)) if theirs == ours)
}

/// Asks the kernel for interface indexes by name: one `SIOCGIFINDEX` ioctl
/// per interface on a datagram socket kept open (no socket, netlink dump or
/// address family beyond `AF_UNIX` per cycle).
#[derive(Default)]
struct IfIndexes {
    socket: Option<rustix::fd::OwnedFd>,
}

impl IfIndexes {
    /// Fills in every interface's kernel index in this process's network
    /// namespace; `None` where unknown.
    fn fill(&mut self, interfaces: &mut [InterfaceCounters]) {
        if self.socket.is_none() {
            self.socket = rustix::net::socket_with(
                rustix::net::AddressFamily::UNIX,
                rustix::net::SocketType::DGRAM,
                rustix::net::SocketFlags::CLOEXEC,
                None,
            )
            .ok();
        }
        let Some(socket) = &self.socket else {
            return;
        };
        for interface in interfaces {
            interface.ifindex = ifname::unescape(&interface.name)
                .and_then(|raw| String::from_utf8(raw).ok())
                .and_then(|name| rustix::net::netdevice::name_to_index(socket, &name).ok());
        }
    }
}

/// Counters from a `/proc/net/dev`-format file: one read per cycle gives all
/// eight counters of every interface at one instant.
pub struct ProcfsSource {
    path: PathBuf,
    buffer: Vec<u8>,
    own_namespace: bool,
    /// This namespace's file, kept open and read again from the start
    /// each cycle (another file is opened anew, as it may be replaced).
    open: Option<fs::File>,
    ifindexes: IfIndexes,
}

impl ProcfsSource {
    /// A source reading the file at `path`. Interface indexes are looked up
    /// only when the file describes this process's own namespace.
    pub fn new(path: &Path) -> Self {
        ProcfsSource {
            path: path.to_path_buf(),
            buffer: Vec::with_capacity(4096),
            own_namespace: is_own_namespace(path),
            open: None,
            ifindexes: IfIndexes::default(),
        }
    }
}

impl ProcfsSource {
    /// Reads the whole file into the source's buffer.
    fn load(&mut self) -> Result<(), ReadError> {
        self.buffer.clear();
        let kept = self.open.take();
        let read = match kept {
            Some(mut file) => file
                .seek(std::io::SeekFrom::Start(0))
                .and_then(|_| file.read_to_end(&mut self.buffer))
                .map(|_| file),
            None => fs::File::open(&self.path)
                .and_then(|mut file| file.read_to_end(&mut self.buffer).map(|_| file)),
        };
        match read {
            Ok(file) => {
                if self.own_namespace {
                    self.open = Some(file);
                }
                Ok(())
            }
            Err(source) => Err(ReadError::Io {
                path: self.path.clone(),
                source,
            }),
        }
    }

    fn format_error(&self, source: ParseError) -> ReadError {
        ReadError::Format {
            path: self.path.clone(),
            source,
        }
    }
}

impl CounterSource for ProcfsSource {
    fn read(&mut self) -> Result<Vec<InterfaceCounters>, ReadError> {
        self.load()?;
        let mut interfaces = parse_proc_net_dev(&self.buffer).map_err(|e| self.format_error(e))?;
        if self.own_namespace {
            self.ifindexes.fill(&mut interfaces);
        }
        Ok(interfaces)
    }

    fn read_columns(&mut self) -> Result<Vec<DeviceColumns>, ReadError> {
        self.load()?;
        parse_all_columns(&self.buffer).map_err(|e| self.format_error(e))
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
    fn read(&mut self) -> Result<Vec<InterfaceCounters>, ReadError> {
        self.networks.refresh(true);
        let mut interfaces: Vec<InterfaceCounters> = self
            .networks
            .iter()
            .map(|(name, data)| InterfaceCounters {
                name: ifname::escape(name.as_bytes()),
                ifindex: None,
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

    const CAPTURED: &[u8] = include_bytes!("../tests/fixtures/proc_net_dev_host.txt");

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
        assert!(parsed.iter().all(|i| i.ifindex.is_none()));
    }

    #[test]
    fn all_sixteen_columns_are_kept_in_file_order() {
        let text = b"Inter-|\n face |\n  eth0: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n";
        let devices = parse_all_columns(text).unwrap();
        assert_eq!(devices.len(), 1);
        assert_eq!(devices[0].name, "eth0");
        let expected: Vec<Option<u64>> = (1..=16).map(Some).collect();
        assert_eq!(devices[0].values.to_vec(), expected);
        let stored = &parse_proc_net_dev(text).unwrap()[0];
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
        let parsed = parse_proc_net_dev(CAPTURED).unwrap();
        let veth = parsed.last().unwrap();
        assert_eq!(veth.name, "veth1234567890a");
        assert_eq!(veth.counters.bytes_recv, 4_294_967_295);
    }

    #[test]
    fn minimal_capture_from_a_fresh_namespace() {
        let text = b"Inter-|   Receive                                                |  Transmit\n face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n    lo:       0       0    0    0    0     0          0         0        0       0    0    0    0     0       0          0\n";
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
        let parsed = parse_proc_net_dev(text.as_bytes()).unwrap();
        assert_eq!(parsed[0].counters.bytes_recv, u64::MAX);
        assert_eq!(parsed[0].counters.bytes_sent, u64::MAX - 1);
    }

    #[test]
    fn names_that_are_not_utf8_are_escaped_and_the_others_still_read() {
        let mut text = b"Inter-|\n face |\n".to_vec();
        text.extend_from_slice(b"x\xff: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n");
        text.extend_from_slice(b" _total: 5 0 0 0 0 0 0 0 6 0 0 0 0 0 0 0\n");
        text.extend_from_slice(b"  eth0: 7 0 0 0 0 0 0 0 8 0 0 0 0 0 0 0\n");
        let parsed = parse_proc_net_dev(&text).unwrap();
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
        for (text, expected) in cases {
            let err = parse_proc_net_dev(text).unwrap_err().to_string();
            assert!(err.contains(expected), "{text:?} gave {err:?}");
            assert!(!err.contains('\n'), "{err:?}");
        }
    }

    #[test]
    fn duplicate_interface_is_rejected() {
        let line = "a: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n";
        let err = parse_proc_net_dev(format!("{line}{line}").as_bytes()).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("line 2: interface listed twice"),
            "{err}"
        );
    }

    #[test]
    fn empty_text_has_no_interfaces() {
        assert!(parse_proc_net_dev(b"").unwrap().is_empty());
        assert!(parse_proc_net_dev(b"Inter-|\n face |\n")
            .unwrap()
            .is_empty());
    }

    #[test]
    fn btime_from_proc_stat() {
        let text = "cpu  1 2 3\nintr 5\nbtime 1764061471\nprocesses 9\n";
        assert_eq!(parse_btime(text), Some(1_764_061_471));
        assert_eq!(parse_btime("cpu 1\n"), None);
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
}
