//! The procfs source: one read of `/proc/net/dev` per cycle, and the
//! kernel's interface indexes where they can be asked for.

use super::parse::{parse_all_columns, parse_proc_net_dev, Parsed};
use super::{CounterSource, DeviceColumns, InterfaceCounters, ReadError};
use crate::model::ifname;
use crate::source::boot::Boot;
use crate::support::episode::Episode;
use std::fs;
use std::io::Seek;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// Whether `path` is a `/proc/<pid>/net/dev` of this process's own network
/// namespace, so that this namespace's kernel may be asked about its
/// interfaces. Another process's namespace, or any other file, is not.
pub(super) fn is_own_namespace(path: &Path) -> bool {
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
pub(super) struct IfIndexes {
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
            None => crate::support::fsutil::open_regular(&self.path)
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
pub(crate) const MAX_COUNTERS_BYTES: u64 = 16 << 20;

/// Reads a counters file into `buffer`, refusing one larger than
/// [`MAX_COUNTERS_BYTES`].
pub(super) fn read_counters(file: &mut fs::File, buffer: &mut Vec<u8>) -> std::io::Result<()> {
    if crate::support::fsutil::read_at_most(file, MAX_COUNTERS_BYTES, buffer)? {
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
pub(super) enum SkipNote {
    /// Lines are skipped, and were not in the read before.
    Started,
    /// Every line reads again, after this many reads that skipped some.
    Ended(u64),
}

/// Tracks reads that skip lines beside readable ones (a file with no
/// readable line is an error, not an episode): a note when such reads
/// start and when they end, none while they last.
pub(super) fn skip_note<T>(episode: &mut Episode, parsed: &Parsed<T>) -> Option<SkipNote> {
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
