//! The portable source, for systems without procfs.

use super::{CounterSource, InterfaceCounters, ReadError};
use crate::model::counters::Counters;
use crate::model::ifname;
use crate::source::boot::Boot;

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
