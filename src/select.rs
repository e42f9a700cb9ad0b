//! Which interfaces are monitored: the include list and exclude patterns.

use crate::collector::InterfaceCounters;
use regex::Regex;
use std::collections::HashSet;

/// Applies `interfaces` / `exclude_interfaces` to each snapshot and reports
/// named interfaces that are missing (once) or that appear later.
#[derive(Debug)]
pub struct Selection {
    include: Vec<String>,
    exclude: Vec<Regex>,
    missing: HashSet<String>,
    first: bool,
}

impl Selection {
    /// `include` empty means every interface that no `exclude` pattern matches;
    /// otherwise exactly the named interfaces, even ones a pattern matches.
    pub fn new(include: Vec<String>, exclude: Vec<Regex>) -> Self {
        Selection {
            include,
            exclude,
            missing: HashSet::new(),
            first: true,
        }
    }

    /// Whether interface `name` is monitored.
    pub fn selects(&self, name: &str) -> bool {
        if self.include.is_empty() {
            !self.exclude.iter().any(|pattern| pattern.is_match(name))
        } else {
            self.include.iter().any(|wanted| wanted == name)
        }
    }

    /// Keeps the selected interfaces of a snapshot, logging named ones that
    /// do not exist (with the list of those that do) and ones that appear.
    pub fn apply(&mut self, snapshot: Vec<InterfaceCounters>) -> Vec<InterfaceCounters> {
        for wanted in &self.include {
            let present = snapshot.iter().any(|i| &i.name == wanted);
            if present && self.missing.remove(wanted) {
                tracing::info!(interface = %wanted, "named interface appeared; monitoring it");
            } else if !present && (self.first || !self.missing.contains(wanted)) {
                let existing: Vec<&str> = snapshot.iter().map(|i| i.name.as_str()).collect();
                tracing::warn!(
                    "interface {wanted} does not exist (existing: {}); it will be monitored if it appears",
                    existing.join(", ")
                );
                self.missing.insert(wanted.clone());
            }
        }
        self.first = false;
        snapshot
            .into_iter()
            .filter(|i| self.selects(&i.name))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::counters::Counters;

    fn names(list: &[&str]) -> Vec<InterfaceCounters> {
        list.iter()
            .map(|n| InterfaceCounters {
                name: n.to_string(),
                counters: Counters::default(),
            })
            .collect()
    }

    fn kept(selection: &mut Selection, list: &[&str]) -> Vec<String> {
        selection
            .apply(names(list))
            .into_iter()
            .map(|i| i.name)
            .collect()
    }

    #[test]
    fn exclude_patterns_match_anywhere() {
        let exclude = vec![Regex::new("^lo$").unwrap(), Regex::new("docker").unwrap()];
        let mut selection = Selection::new(vec![], exclude);
        assert_eq!(
            kept(
                &mut selection,
                &["lo", "eth0", "docker0", "br-docker", "lo2"]
            ),
            ["eth0", "lo2"]
        );
    }

    #[test]
    fn named_interfaces_win_over_excludes() {
        let exclude = vec![Regex::new("^lo$").unwrap()];
        let mut selection = Selection::new(vec!["lo".into(), "wg0".into()], exclude);
        assert_eq!(kept(&mut selection, &["lo", "eth0"]), ["lo"]);
        assert_eq!(kept(&mut selection, &["lo", "eth0", "wg0"]), ["lo", "wg0"]);
    }
}
