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
    fn selects(&self, name: &str) -> bool {
        if self.include.is_empty() {
            !self.exclude.iter().any(|pattern| pattern.is_match(name))
        } else {
            self.include.iter().any(|wanted| wanted == name)
        }
    }

    /// Keeps the selected interfaces of a snapshot, logging named ones that
    /// do not exist (with the list of those that do) and ones that appear.
    pub fn apply(&mut self, snapshot: Vec<InterfaceCounters>) -> Vec<InterfaceCounters> {
        let mut vanished = Vec::new();
        for wanted in &self.include {
            let present = snapshot.iter().any(|i| &i.name == wanted);
            if present && self.missing.remove(wanted) {
                tracing::info!(interface = %wanted, "named interface appeared; monitoring it");
            } else if !present && (self.first || !self.missing.contains(wanted)) {
                vanished.push(wanted.as_str());
            }
        }
        if !vanished.is_empty() {
            let existing: Vec<&str> = snapshot.iter().map(|i| i.name.as_str()).collect();
            tracing::warn!(
                "{} ({}) {} not exist (existing: {}); monitored as soon as it appears",
                if vanished.len() == 1 {
                    "interface"
                } else {
                    "interfaces"
                },
                bounded_list(&vanished),
                if vanished.len() == 1 { "does" } else { "do" },
                bounded_list(&existing)
            );
            let vanished: Vec<String> = vanished.into_iter().map(String::from).collect();
            self.missing.extend(vanished);
        }
        self.first = false;
        snapshot
            .into_iter()
            .filter(|i| self.selects(&i.name))
            .collect()
    }
}

/// Names shown in one log line.
const LISTED_NAMES: usize = 10;

/// `a, b, c` — at most [`LISTED_NAMES`] names, then `and N more`.
fn bounded_list(names: &[&str]) -> String {
    let mut text = names
        .iter()
        .take(LISTED_NAMES)
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > LISTED_NAMES {
        text.push_str(&format!(" and {} more", names.len() - LISTED_NAMES));
    }
    if text.is_empty() {
        text.push_str("none");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::counters::Counters;

    fn names(list: &[&str]) -> Vec<InterfaceCounters> {
        list.iter()
            .map(|n| InterfaceCounters {
                name: n.to_string(),
                ifindex: None,
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
