#!/usr/bin/env bash
# Mutation testing of netmon's counting core with the unit tests alone:
# every rule that keeps the numbers exact (counter deltas, resets, wraps,
# glitches and deltas beyond any link, the sampler's deltas, rates, _total,
# spike guard and folding, the facts recorded with each delta, boots and the
# boot clock, resuming a run, the resume point and its conversion, the
# repair of absurd stored deltas, the line rules of /proc/net/dev, hour bins
# cut at midnight, the audit, the sampling loop and its schedule, the
# selection, the summary
# window and its periods (weeks, billing months, years), the calendar,
# interface names) must be pinned by a test that fails when the rule is
# mutated.
# Exclusions, each with its reason, are in .cargo/mutants.toml.
#
#   scripts/mutants.sh            # all core files
#   scripts/mutants.sh --list     # just list the mutants
# Needs cargo-mutants: cargo install --locked cargo-mutants
set -euo pipefail
cd "$(dirname "$0")/.."
# -C --lib: build the unit tests only (not every integration test) per mutant.
exec cargo mutants -C --lib \
  -f src/model/counters.rs \
  -f src/model/provenance.rs \
  -f src/model/calendar.rs \
  -f src/model/ifname.rs \
  -f src/source/boot.rs \
  -f src/source/mod.rs \
  -f src/source/parse.rs \
  -f src/source/procfs.rs \
  -f 'src/sample/*.rs' \
  -f src/run/mod.rs \
  -f src/run/pipeline.rs \
  -f src/run/ticker.rs \
  -f src/store/resume_point.rs \
  -f src/store/repair/mod.rs \
  -f src/store/rollup.rs \
  -f src/report/audit/mod.rs \
  -f src/report/window.rs \
  -f src/report/period.rs \
  -f src/support/episode.rs \
  "$@"
