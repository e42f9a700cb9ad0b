//! Which connections the endpoint keeps open. Holding sockets open costs a
//! client nothing, so a limit that refuses new connections when full lets
//! anyone who can connect lock the scrapers out. Instead a new connection
//! is always served, and when the limits are reached an older one is closed:
//! of the connections of the same address when that address has
//! [`MAX_PER_PEER`](super::MAX_PER_PEER) open, of all of them otherwise.
//! Closed first are those that never sent a request (a scraper sends its
//! request as soon as it connects), then those whose last request is the
//! oldest. A scraper's new connection is the most recently used one, so
//! it is the last to go.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::Instant;
use tokio::sync::oneshot;

/// The open connections, with what choosing one to close needs.
#[derive(Debug)]
pub(crate) struct Connections {
    most: usize,
    most_per_peer: usize,
    next: u64,
    open: HashMap<u64, Open>,
}

/// One open connection.
#[derive(Debug)]
struct Open {
    peer: IpAddr,
    /// Whether it has sent a request.
    used: bool,
    /// When it connected, or sent its last request.
    active: Instant,
    /// Closes it.
    close: oneshot::Sender<()>,
}

/// What admitting a connection did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Admitted {
    /// The new connection's id, for [`Connections::used`] and
    /// [`Connections::leave`].
    pub id: u64,
    /// The connection closed to make room for it, if one was.
    pub evicted: Option<u64>,
}

impl Connections {
    /// A table for at most `most` connections, `most_per_peer` from one address.
    pub(crate) fn new(most: usize, most_per_peer: usize) -> Self {
        Connections {
            most: most.max(1),
            most_per_peer: most_per_peer.max(1),
            next: 0,
            open: HashMap::new(),
        }
    }

    /// Takes in a connection from `peer` accepted at `now`, closing (through
    /// its `close` sender) the least useful one if a limit is reached.
    pub(crate) fn admit(
        &mut self,
        peer: IpAddr,
        now: Instant,
        close: oneshot::Sender<()>,
    ) -> Admitted {
        let from_peer = self.open.values().filter(|c| c.peer == peer).count();
        let evicted = if from_peer >= self.most_per_peer {
            self.least_useful(|c| c.peer == peer)
        } else if self.open.len() >= self.most {
            self.least_useful(|_| true)
        } else {
            None
        };
        if let Some(open) = evicted.and_then(|id| self.open.remove(&id)) {
            // The connection's task may have ended already.
            let _ = open.close.send(());
        }
        let id = self.next;
        self.next += 1;
        self.open.insert(
            id,
            Open {
                peer,
                used: false,
                active: now,
                close,
            },
        );
        Admitted { id, evicted }
    }

    /// Notes that connection `id` sent a request at `now`.
    pub(crate) fn used(&mut self, id: u64, now: Instant) {
        if let Some(open) = self.open.get_mut(&id) {
            open.used = true;
            open.active = now;
        }
    }

    /// Forgets connection `id`, which ended.
    pub(crate) fn leave(&mut self, id: u64) {
        self.open.remove(&id);
    }

    /// Among the connections `among` picks: one that never sent a request
    /// before one that did, then the one longest inactive (the oldest id
    /// among equals).
    fn least_useful(&self, among: impl Fn(&Open) -> bool) -> Option<u64> {
        self.open
            .iter()
            .filter(|(_, open)| among(open))
            .min_by_key(|(id, open)| (open.used, open.active, **id))
            .map(|(id, _)| *id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn address(last: u8) -> IpAddr {
        IpAddr::from([10, 0, 0, last])
    }

    /// Admits a connection; its close receiver.
    fn connect(
        table: &mut Connections,
        peer: IpAddr,
        at: Instant,
    ) -> (Admitted, oneshot::Receiver<()>) {
        let (close, closed) = oneshot::channel();
        (table.admit(peer, at, close), closed)
    }

    #[test]
    fn below_the_limits_nothing_is_closed() {
        let mut table = Connections::new(3, 2);
        let t = Instant::now();
        let (a, _) = connect(&mut table, address(1), t);
        let (b, _) = connect(&mut table, address(2), t);
        assert_eq!((a.evicted, b.evicted), (None, None));
        assert_ne!(a.id, b.id);
        // One left: the third fits.
        table.leave(a.id);
        assert_eq!(connect(&mut table, address(3), t).0.evicted, None);
        assert_eq!(connect(&mut table, address(4), t).0.evicted, None);
        assert_eq!(connect(&mut table, address(5), t).0.evicted, Some(b.id));
    }

    #[test]
    fn eviction_rule_a_full_table_closes_a_connection_that_never_asked_anything() {
        let mut table = Connections::new(3, 3);
        let t = Instant::now();
        let (scraper, _) = connect(&mut table, address(1), t);
        let (idle_old, mut idle_old_closed) = connect(&mut table, address(2), t);
        let (idle_new, _) = connect(&mut table, address(3), t + Duration::from_secs(1));
        // The scraper's request was long ago, yet it asked something.
        table.used(scraper.id, t);
        let (newcomer, _) = connect(&mut table, address(4), t + Duration::from_secs(2));
        assert_eq!(newcomer.evicted, Some(idle_old.id));
        assert_eq!(idle_old_closed.try_recv(), Ok(()));
        // Then the other connections that never asked, oldest first; the
        // scraper stays while there are any.
        let fifth = connect(&mut table, address(5), t + Duration::from_secs(3)).0;
        assert_eq!(fifth.evicted, Some(idle_new.id));
        let sixth = connect(&mut table, address(6), t + Duration::from_secs(4)).0;
        assert_eq!(sixth.evicted, Some(newcomer.id));
    }

    #[test]
    fn eviction_rule_among_used_connections_the_longest_inactive_goes() {
        let mut table = Connections::new(2, 2);
        let t = Instant::now();
        let (first, _) = connect(&mut table, address(1), t);
        let (second, _) = connect(&mut table, address(2), t);
        table.used(second.id, t + Duration::from_secs(1));
        table.used(first.id, t + Duration::from_secs(2));
        let third = connect(&mut table, address(3), t + Duration::from_secs(3)).0;
        assert_eq!(third.evicted, Some(second.id));
    }

    #[test]
    fn eviction_rule_one_address_over_its_share_closes_its_own_connections() {
        let mut table = Connections::new(10, 2);
        let t = Instant::now();
        let (other, _) = connect(&mut table, address(9), t);
        let (own_first, _) = connect(&mut table, address(1), t + Duration::from_secs(1));
        connect(&mut table, address(1), t + Duration::from_secs(2));
        let third = connect(&mut table, address(1), t + Duration::from_secs(3)).0;
        assert_eq!(third.evicted, Some(own_first.id));
        // The other address's older connection was not touched.
        assert_ne!(third.evicted, Some(other.id));
    }

    #[test]
    fn a_connection_that_ended_already_is_not_chosen_again() {
        let mut table = Connections::new(1, 1);
        let t = Instant::now();
        let (gone, closed) = connect(&mut table, address(1), t);
        drop(closed);
        let next = connect(&mut table, address(1), t).0;
        assert_eq!(next.evicted, Some(gone.id));
        // Its task ending later forgets nothing else.
        table.leave(gone.id);
        assert_eq!(connect(&mut table, address(1), t).0.evicted, Some(next.id));
    }
}
