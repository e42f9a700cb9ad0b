//! Where counters come from: the [`CounterSource`] trait, the pure
//! `/proc/net/dev` parser, and the procfs and sysinfo sources.

use crate::boot::Boot;
use crate::counters::Counters;
use crate::episode::Episode;
use crate::ifname;
use std::collections::HashSet;
use std::fs;
use std::io::Seek;
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
#[error("line {line}: {reason}: {content}")]
pub struct ParseError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong with it.
    pub reason: String,
    /// The line, trimmed, quoted: lossily decoded where not UTF-8, its
    /// control characters escaped, shortened past [`MAX_QUOTED`] characters.
    pub content: String,
}

/// A source of interface counters; one `read` is one consistent snapshot.
pub trait CounterSource {
    /// Reads every interface's counters once.
    fn read(&mut self) -> Result<Vec<InterfaceCounters>, ReadError>;
    /// The boot the counters belong to (see [`crate::boot`]).
    fn boot(&self) -> Boot;
    /// Short name for logs (`procfs`, `sysinfo`).
    fn name(&self) -> &'static str;
    /// Interfaces the last read listed on lines whose counters could not be
    /// read (they were there, not absent).
    fn unreadable(&self) -> &[String] {
        &[]
    }
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

/// Longest part of a malformed line quoted in an error.
const MAX_QUOTED: usize = 120;

/// What a read of `/proc/net/dev` text gave: the interfaces of every
/// well-formed line, and the first malformed line with how many there were.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed<T> {
    /// One entry per well-formed interface line, in file order.
    pub interfaces: Vec<T>,
    /// The first line that could not be read, if any.
    pub first_skipped: Option<ParseError>,
    /// Lines that could not be read (skipped).
    pub skipped: usize,
    /// The names (as stored) of the skipped lines that had one: those
    /// interfaces were listed, though their counters could not be read.
    pub unreadable: Vec<String>,
}

impl<T> Parsed<T> {
    /// The interfaces, unless the text had lines and none could be read
    /// (then it is not in `/proc/net/dev` format at all: the first error).
    pub fn into_result(self) -> Result<Vec<T>, ParseError> {
        match self.first_skipped {
            Some(error) if self.interfaces.is_empty() => Err(error),
            _ => Ok(self.interfaces),
        }
    }
}

/// Parses the text of `/proc/net/dev` (or `/proc/<pid>/net/dev`).
///
/// The two header lines are skipped; each other non-blank line must be
/// `NAME: 16 unsigned integers`. The name ends at the line's last `:`, as
/// node_exporter reads it (old kernels listed aliases such as `ibr10:30`),
/// and may be glued to the first number (`veth1234567890a:123 ...`). Names
/// are bytes: one that is not printable UTF-8 is escaped
/// ([`ifname::escape`]), never an error. A malformed line (or a name listed
/// twice) costs that line only: it is counted and the first one kept, with
/// its line number and (shortened) content.
pub fn parse_proc_net_dev(text: &[u8]) -> Parsed<InterfaceCounters> {
    parse_lines(text, |name, fields| InterfaceCounters {
        name,
        ifindex: None,
        counters: Counters::from_array(STORED_COLUMNS.map(|column| fields[column])),
    })
}

/// Parses `/proc/net/dev` text like [`parse_proc_net_dev`], keeping all 16
/// columns of every interface.
pub fn parse_all_columns(text: &[u8]) -> Parsed<DeviceColumns> {
    parse_lines(text, |name, fields| DeviceColumns {
        name,
        values: fields.map(Some),
    })
}

/// The line rules of [`parse_proc_net_dev`]: builds an entry from each
/// interface's stored name and its 16 counters.
fn parse_lines<T>(text: &[u8], mut entry: impl FnMut(String, [u64; 16]) -> T) -> Parsed<T> {
    let mut parsed = Parsed {
        interfaces: Vec::new(),
        first_skipped: None,
        skipped: 0,
        unreadable: Vec::new(),
    };
    let mut seen = HashSet::new();
    for (index, line) in text.split(|&b| b == b'\n').enumerate() {
        let line = line.trim_ascii();
        if line.is_empty() || (index < 2 && line.contains(&b'|')) {
            continue;
        }
        match parse_line(line, &mut seen) {
            Ok((name, fields)) => parsed.interfaces.push(entry(name, fields)),
            Err((reason, name)) => {
                parsed.skipped += 1;
                parsed.unreadable.extend(name);
                parsed.first_skipped.get_or_insert_with(|| ParseError {
                    line: index + 1,
                    reason,
                    content: quoted(line),
                });
            }
        }
    }
    parsed
}

/// One interface line: its stored name and 16 counters, or why not (and
/// the name of an interface whose counters could not be read).
fn parse_line<'a>(
    line: &'a [u8],
    seen: &mut HashSet<&'a [u8]>,
) -> Result<(String, [u64; 16]), (String, Option<String>)> {
    let colon = line
        .iter()
        .rposition(|&b| b == b':')
        .ok_or(("no ':' after the interface name".to_string(), None))?;
    let (raw_name, numbers) = (line[..colon].trim_ascii(), &line[colon + 1..]);
    if raw_name.is_empty() {
        return Err(("empty interface name".into(), None));
    }
    // Escaping is one-to-one, so the raw names tell repeats.
    if !seen.insert(raw_name) {
        return Err(("interface listed twice".into(), None));
    }
    let fields =
        parse_counters(numbers).map_err(|reason| (reason, Some(ifname::escape(raw_name))))?;
    Ok((ifname::escape(raw_name), fields))
}

/// A line (or part of one) as quoted in an error, between double quotes:
/// lossily decoded, control characters, quotes and backslashes escaped as
/// Rust writes them (`\u{1b}`), at most [`MAX_QUOTED`] characters of that.
fn quoted(line: &[u8]) -> String {
    let mut out = String::from("\"");
    for c in String::from_utf8_lossy(line).chars() {
        let escaped: String = if c.is_control() || c == '"' || c == '\\' {
            c.escape_debug().collect()
        } else {
            c.into()
        };
        if out.len() + escaped.len() > MAX_QUOTED + 1 {
            out.push_str("...");
            break;
        }
        out.push_str(&escaped);
    }
    out.push('"');
    out
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
        fields[count] = decimal(token)
            .ok_or_else(|| format!("counter {} is not an unsigned integer", quoted(token)))?;
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
        let digit = b.is_ascii_digit().then(|| b - b'0')?;
        value.checked_mul(10)?.checked_add(u64::from(digit))
    })
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
    /// Reads that skipped malformed lines, logged once per episode.
    skipping: Episode,
    /// Whether skipped lines are logged (the sampling loop's source does;
    /// a second reader of the same file, the metrics endpoint's, does not).
    reports_skipped: bool,
    /// The names of the last read's lines that could not be read.
    unreadable: Vec<String>,
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
            skipping: Episode::default(),
            reports_skipped: true,
            unreadable: Vec::new(),
        }
    }

    /// The same source, not logging skipped lines (another reader of the
    /// file logs them).
    pub fn quiet(mut self) -> Self {
        self.reports_skipped = false;
        self
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
                .and_then(|_| read_counters(&mut file, &mut self.buffer))
                .map(|_| file),
            None => crate::fsutil::open_regular(&self.path)
                .and_then(|mut file| read_counters(&mut file, &mut self.buffer).map(|_| file)),
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

    /// The interfaces of a parse, logging skipped lines when they start
    /// and when they stop; text with no readable line at all is an error.
    fn accept<T>(&mut self, mut parsed: Parsed<T>) -> Result<Vec<T>, ReadError> {
        let note = skip_note(&mut self.skipping, &parsed);
        self.unreadable = std::mem::take(&mut parsed.unreadable);
        if self.reports_skipped {
            match (note, &parsed.first_skipped) {
                (Some(SkipNote::Started), Some(first)) => tracing::warn!(
                    "{}: skipped {} line(s) that are not NAME: 16 counters, first {first}; \
                     the other interfaces are read (logged again when it changes)",
                    self.path.display(),
                    parsed.skipped
                ),
                (Some(SkipNote::Ended(reads)), _) => {
                    tracing::info!(reads, "{}: every line readable again", self.path.display())
                }
                _ => {}
            }
        }
        parsed.into_result().map_err(|source| ReadError::Format {
            path: self.path.clone(),
            source,
        })
    }
}

/// Largest counters file read: `/proc/net/dev` lines are about 150 bytes,
/// so this is some 100,000 interfaces. A bigger file is not a counters
/// file, and reading it whole every cycle would cost its size in memory.
pub const MAX_COUNTERS_BYTES: u64 = 16 << 20;

/// Reads a counters file into `buffer`, refusing one larger than
/// [`MAX_COUNTERS_BYTES`].
fn read_counters(file: &mut fs::File, buffer: &mut Vec<u8>) -> std::io::Result<()> {
    if crate::fsutil::read_at_most(file, MAX_COUNTERS_BYTES, buffer)? {
        buffer.clear();
        buffer.shrink_to_fit();
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!(
                "larger than {} MiB, which no /proc/net/dev is",
                MAX_COUNTERS_BYTES >> 20
            ),
        ));
    }
    Ok(())
}

/// What a read's skipped lines are worth in the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SkipNote {
    /// Lines are skipped, and were not in the read before.
    Started,
    /// Every line reads again, after this many reads that skipped some.
    Ended(u64),
}

/// Tracks reads that skip lines beside readable ones (a file with no
/// readable line is an error, not an episode): a note when such reads
/// start and when they end, none while they last.
fn skip_note<T>(episode: &mut Episode, parsed: &Parsed<T>) -> Option<SkipNote> {
    if parsed.first_skipped.is_some() && !parsed.interfaces.is_empty() {
        episode.occurs().then_some(SkipNote::Started)
    } else {
        episode.ends().map(SkipNote::Ended)
    }
}

impl CounterSource for ProcfsSource {
    fn read(&mut self) -> Result<Vec<InterfaceCounters>, ReadError> {
        self.load()?;
        let parsed = parse_proc_net_dev(&self.buffer);
        let mut interfaces = self.accept(parsed)?;
        if self.own_namespace {
            self.ifindexes.fill(&mut interfaces);
        }
        Ok(interfaces)
    }

    fn read_columns(&mut self) -> Result<Vec<DeviceColumns>, ReadError> {
        self.load()?;
        let parsed = parse_all_columns(&self.buffer);
        self.accept(parsed)
    }

    fn boot(&self) -> Boot {
        Boot::procfs()
    }

    fn name(&self) -> &'static str {
        "procfs"
    }

    fn unreadable(&self) -> &[String] {
        &self.unreadable
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

    fn boot(&self) -> Boot {
        match Boot::procfs() {
            boot @ Boot { id: Some(_), .. } => boot,
            _ => Boot::from_btime(i64::try_from(sysinfo::System::boot_time()).ok()),
        }
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
}
