//! Conditions that last several cycles (an unreadable counters file, no
//! interface to store) are logged when they start and when they end, never
//! every cycle.

/// A condition logged once when it starts and once when it ends (with the
/// number of cycles it lasted), never every cycle.
#[derive(Debug, Default)]
pub(crate) struct Episode {
    cycles: Option<u64>,
}

impl Episode {
    /// Records one more cycle in the condition; true on its first.
    pub(crate) fn occurs(&mut self) -> bool {
        let first = self.cycles.is_none();
        *self.cycles.get_or_insert(0) += 1;
        first
    }

    /// Ends the condition; the number of cycles it lasted, if it was on.
    pub(crate) fn ends(&mut self) -> Option<u64> {
        self.cycles.take()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn episodes_are_logged_once_and_count_their_cycles() {
        let mut episode = Episode::default();
        assert_eq!(episode.ends(), None);
        assert!(episode.occurs());
        assert!(!episode.occurs());
        assert!(!episode.occurs());
        assert_eq!(episode.ends(), Some(3));
        assert_eq!(episode.ends(), None);
        assert!(episode.occurs());
        assert_eq!(episode.ends(), Some(1));
    }
}
