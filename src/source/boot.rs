//! Which boot the counters belong to, and the clock that orders readings
//! within it. The kernel starts every interface counter from zero at boot,
//! so a boot is told by the kernel's random `boot_id`, never by `btime`
//! (which moves with every step of the wall clock). Within a boot, readings
//! are placed on CLOCK_BOOTTIME, which counts time in suspend and never
//! jumps, so intervals and "how long ago" never depend on the wall clock.

use std::io::Read;
use std::path::Path;

/// Where Linux publishes the boot's identity.
pub(crate) const BOOT_ID_PATH: &str = "/proc/sys/kernel/random/boot_id";

/// Where Linux publishes the boot time (`btime`).
const PROC_STAT: &str = "/proc/stat";

/// Longest `boot_id` accepted (the kernel's is a 36-character UUID).
const MAX_BOOT_ID: u64 = 64;

/// The boot running now, as far as netmon can tell.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Boot {
    /// The boot's identity: the kernel's `boot_id`, or where there is none
    /// the boot time (`btime:N`).
    pub id: Option<String>,
    /// The boot time, Unix seconds: only to recognise resume points written
    /// before boot identities were recorded.
    pub btime: Option<i64>,
}

impl Boot {
    /// This Linux boot: `boot_id` and `btime` from procfs.
    pub fn procfs() -> Boot {
        Boot {
            id: read_boot_id(Path::new(BOOT_ID_PATH)),
            btime: read_small(Path::new(PROC_STAT), 1 << 20).and_then(|text| parse_btime(&text)),
        }
    }

    /// A boot known only by its boot time (systems without `boot_id`).
    pub fn from_btime(btime: Option<i64>) -> Boot {
        Boot {
            id: btime.map(|b| format!("btime:{b}")),
            btime,
        }
    }
}

/// Seconds on the clock readings are placed on: CLOCK_BOOTTIME (since boot,
/// suspend included) on Linux, CLOCK_MONOTONIC elsewhere.
pub(crate) fn boot_clock() -> f64 {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    let id = rustix::time::ClockId::Boottime;
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    let id = rustix::time::ClockId::Monotonic;
    let now = rustix::time::clock_gettime(id);
    now.tv_sec as f64 + now.tv_nsec as f64 / 1e9
}

/// The `boot_id` in the file at `path`: a UUID (hex digits and dashes);
/// `None` when it cannot be read or is something else.
pub(crate) fn read_boot_id(path: &Path) -> Option<String> {
    let text = read_small(path, MAX_BOOT_ID + 2)?;
    let id = text.trim();
    let plausible = !id.is_empty()
        && id.len() as u64 <= MAX_BOOT_ID
        && id.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-');
    plausible.then(|| id.to_ascii_lowercase())
}

/// The first `limit` bytes of a small text file.
fn read_small(path: &Path, limit: u64) -> Option<String> {
    let mut text = String::new();
    std::fs::File::open(path)
        .ok()?
        .take(limit)
        .read_to_string(&mut text)
        .ok()?;
    Some(text)
}

/// The kernel boot time (`btime`) in `/proc/stat` text.
fn parse_btime(proc_stat: &str) -> Option<i64> {
    proc_stat
        .lines()
        .find_map(|line| line.strip_prefix("btime "))
        .and_then(|value| value.trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boot_rule_the_boot_id_is_a_uuid_or_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("boot_id");
        let read = |text: &str| {
            std::fs::write(&file, text).unwrap();
            read_boot_id(&file)
        };
        assert_eq!(
            read("C1527B7E-baa5-4c41-9826-7775cdbce0fb\n").as_deref(),
            Some("c1527b7e-baa5-4c41-9826-7775cdbce0fb")
        );
        assert_eq!(read(""), None);
        assert_eq!(read("not a uuid\n"), None);
        assert_eq!(read(&"a".repeat(65)), None);
        // At most 66 bytes are read: what follows a whole id is not.
        let tail = format!("{}{}x", "a".repeat(64), " ".repeat(60));
        assert_eq!(read(&tail), Some("a".repeat(64)));
        assert_eq!(read_boot_id(&dir.path().join("missing")), None);
    }

    #[test]
    fn boot_rule_btime_identifies_a_boot_only_where_nothing_else_does() {
        let text = "cpu  1 2 3\nintr 5\nbtime 1764061471\nprocesses 9\n";
        assert_eq!(parse_btime(text), Some(1_764_061_471));
        assert_eq!(parse_btime("cpu 1\n"), None);
        let boot = Boot::from_btime(Some(1_764_061_471));
        assert_eq!(boot.id.as_deref(), Some("btime:1764061471"));
        assert_eq!(Boot::from_btime(None), Boot::default());
    }

    #[test]
    fn clock_rule_the_boot_clock_is_the_kernels_uptime() {
        // /proc/uptime counts from the boot, suspend included, as
        // CLOCK_BOOTTIME does (to the hundredth of a second).
        let uptime =
            |text: String| -> f64 { text.split_whitespace().next().unwrap().parse().unwrap() };
        let before = uptime(std::fs::read_to_string("/proc/uptime").unwrap());
        let clock = boot_clock();
        let after = uptime(std::fs::read_to_string("/proc/uptime").unwrap());
        assert!(
            before - 0.02 <= clock && clock <= after + 0.02,
            "{before} <= {clock} <= {after}"
        );
        assert!(boot_clock() >= clock);
    }

    #[test]
    fn boot_rule_procfs_gives_this_boots_id_and_btime() {
        let boot = Boot::procfs();
        assert!(boot.id.is_some_and(|id| id.len() == 36));
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        assert!(boot.btime.is_some_and(|b| b > 1_000_000_000 && b <= now));
    }
}
