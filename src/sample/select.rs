//! Which interfaces are monitored: the include list and exclude patterns.

use crate::source::InterfaceCounters;
use regex_lite::Regex;
use std::collections::HashSet;

/// Applies `interfaces` / `exclude_interfaces` to each snapshot and reports
/// named interfaces that are missing (once) or that appear later.
#[derive(Debug)]
pub struct Selection {
    include: Vec<String>,
    exclude: Vec<Regex>,
    missing: HashSet<String>,
}

/// Named interfaces whose presence changed with a snapshot.
#[derive(Debug, Default, PartialEq, Eq)]
struct Presence {
    /// Missing now, and not reported missing before.
    missing: Vec<String>,
    /// Reported missing before, present now.
    appeared: Vec<String>,
}

impl Selection {
    /// `include` empty means every interface that no `exclude` pattern matches;
    /// otherwise exactly the named interfaces, even ones a pattern matches.
    pub fn new(include: Vec<String>, exclude: Vec<Regex>) -> Self {
        Selection {
            include,
            exclude,
            missing: HashSet::new(),
        }
    }

    /// A number that changes when the selection does (the names and the
    /// patterns), so a later run can tell whether an interface missing from
    /// an earlier run's last cycle was absent or not selected. FNV-1a: the
    /// same in every build.
    pub fn fingerprint(&self) -> u64 {
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        let parts = self
            .include
            .iter()
            .map(|name| (b'i', name.as_str()))
            .chain(self.exclude.iter().map(|pattern| (b'x', pattern.as_str())));
        for (kind, text) in parts {
            for &byte in [kind].iter().chain(text.as_bytes()).chain(&[0]) {
                hash ^= u64::from(byte);
                hash = hash.wrapping_mul(0x0100_0000_01b3);
            }
        }
        hash
    }

    /// Whether interface `name` is monitored.
    pub fn selects(&self, name: &str) -> bool {
        if self.include.is_empty() {
            !self.exclude.iter().any(|pattern| pattern.is_match(name))
        } else {
            self.include.iter().any(|wanted| wanted == name)
        }
    }

    /// Which named interfaces went missing or appeared with `snapshot`.
    fn presence(&mut self, snapshot: &[InterfaceCounters]) -> Presence {
        let mut change = Presence::default();
        for wanted in &self.include {
            let present = snapshot.iter().any(|i| &i.name == wanted);
            if present && self.missing.remove(wanted) {
                change.appeared.push(wanted.clone());
            } else if !present && self.missing.insert(wanted.clone()) {
                change.missing.push(wanted.clone());
            }
        }
        change
    }

    /// Keeps the selected interfaces of a snapshot, logging named ones that
    /// do not exist (with the list of those that do) and ones that appear.
    pub fn apply(&mut self, snapshot: Vec<InterfaceCounters>) -> Vec<InterfaceCounters> {
        let change = self.presence(&snapshot);
        for name in &change.appeared {
            tracing::info!(interface = %name, "named interface appeared; monitoring it");
        }
        if let Some(message) = missing_message(&change.missing, &snapshot) {
            tracing::warn!("{message}");
        }
        snapshot
            .into_iter()
            .filter(|i| self.selects(&i.name))
            .collect()
    }
}

/// The warning about named interfaces that do not exist (`None` when all
/// do), listing a bounded number of them and of those that exist.
fn missing_message(missing: &[String], snapshot: &[InterfaceCounters]) -> Option<String> {
    if missing.is_empty() {
        return None;
    }
    let names: Vec<&str> = missing.iter().map(String::as_str).collect();
    let existing: Vec<&str> = snapshot.iter().map(|i| i.name.as_str()).collect();
    let (noun, verb) = if names.len() == 1 {
        ("interface", "does")
    } else {
        ("interfaces", "do")
    };
    Some(format!(
        "{noun} ({}) {verb} not exist (existing: {}); monitored as soon as it appears",
        bounded_list(&names),
        bounded_list(&existing)
    ))
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
    use crate::model::counters::Counters;

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
    fn fingerprint_rule_changes_with_the_selection_only() {
        let of = |include: &[&str], exclude: &[&str]| {
            Selection::new(
                include.iter().map(|s| s.to_string()).collect(),
                exclude.iter().map(|p| Regex::new(p).unwrap()).collect(),
            )
            .fingerprint()
        };
        let base = of(&["eth0"], &["^lo$"]);
        assert_eq!(base, of(&["eth0"], &["^lo$"]), "the same in every run");
        assert_eq!(of(&[], &[]), 0xcbf2_9ce4_8422_2325);
        for other in [
            of(&["eth1"], &["^lo$"]),
            of(&["eth0"], &["^lo"]),
            of(&[], &["eth0", "^lo$"]),
            of(&["eth0", "^lo$"], &[]),
            of(&["eth", "0"], &["^lo$"]),
        ] {
            assert_ne!(base, other);
        }
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
    fn presence_rule_missing_names_are_reported_once_until_they_appear() {
        let mut selection =
            Selection::new(vec!["eth0".into(), "wg0".into(), "ppp0".into()], vec![]);
        let change = selection.presence(&names(&["eth0"]));
        assert_eq!(change.missing, ["wg0", "ppp0"]);
        assert!(change.appeared.is_empty());
        assert_eq!(
            selection.presence(&names(&["eth0"])),
            Presence::default(),
            "said once"
        );
        let change = selection.presence(&names(&["eth0", "wg0"]));
        assert_eq!(
            (change.missing.len(), change.appeared),
            (0, vec!["wg0".to_string()])
        );
        let change = selection.presence(&names(&["wg0"]));
        assert_eq!(change.missing, ["eth0"]);
        let change = selection.presence(&names(&["eth0", "wg0", "ppp0"]));
        assert_eq!(change.appeared, ["eth0", "ppp0"]);
        assert_eq!(
            selection.presence(&names(&[])).missing,
            ["eth0", "wg0", "ppp0"]
        );
        // Without names nothing is ever missing.
        assert_eq!(
            Selection::new(vec![], vec![]).presence(&names(&[])),
            Presence::default()
        );
    }

    #[test]
    fn the_missing_warning_names_what_is_missing_and_what_exists() {
        assert_eq!(missing_message(&[], &names(&["eth0"])), None);
        assert_eq!(
            missing_message(&["wg0".into()], &names(&["eth0", "lo"])).as_deref(),
            Some("interface (wg0) does not exist (existing: eth0, lo); monitored as soon as it appears")
        );
        assert_eq!(
            missing_message(&["wg0".into(), "ppp0".into()], &names(&[])).as_deref(),
            Some("interfaces (wg0, ppp0) do not exist (existing: none); monitored as soon as it appears")
        );
    }

    #[test]
    fn warnings_list_at_most_ten_names() {
        let names: Vec<String> = (0..12).map(|i| format!("if{i}")).collect();
        let all: Vec<&str> = names.iter().map(String::as_str).collect();
        assert_eq!(bounded_list(&all[..1]), "if0");
        assert_eq!(bounded_list(&all[..10]), all[..10].join(", "));
        assert_eq!(
            bounded_list(&all[..11]),
            format!("{} and 1 more", all[..10].join(", "))
        );
        assert_eq!(
            bounded_list(&all),
            format!("{} and 2 more", all[..10].join(", "))
        );
        assert_eq!(bounded_list(&[]), "none");
    }

    #[test]
    fn named_interfaces_win_over_excludes() {
        let exclude = vec![Regex::new("^lo$").unwrap()];
        let mut selection = Selection::new(vec!["lo".into(), "wg0".into()], exclude);
        assert_eq!(kept(&mut selection, &["lo", "eth0"]), ["lo"]);
        assert_eq!(kept(&mut selection, &["lo", "eth0", "wg0"]), ["lo", "wg0"]);
    }
}
