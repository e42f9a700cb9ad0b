#!/usr/bin/env bash
# Mutation testing of netmon's counting core with the unit tests alone:
# every rule that keeps the numbers exact (counter deltas, resets and wraps,
# the sampler's deltas, rates, _total, spike guard and folding, the schedule,
# the selection, the summary window and its periods (weeks, billing months,
# years), the calendar, interface names, boot matching) must be pinned by a test that fails when the rule is mutated.
# Exclusions, each with its reason, are in .cargo/mutants.toml.
#
#   scripts/mutants.sh            # all core files
#   scripts/mutants.sh --list     # just list the mutants
# Needs cargo-mutants: cargo install --locked cargo-mutants
set -euo pipefail
cd "$(dirname "$0")/.."
exec cargo mutants \
  -f src/counters.rs \
  -f 'src/sampler/*.rs' \
  -f src/schedule.rs \
  -f src/select.rs \
  -f src/report/window.rs \
  -f src/report/period.rs \
  -f src/calendar.rs \
  -f src/ifname.rs \
  -f src/resume.rs \
  -f src/episode.rs \
  "$@" -- --lib
