#!/usr/bin/env bash
# What `netmon --summary` costs on 30 vs 365 days of history, counted in
# instructions (callgrind: deterministic, unlike wall time on a shared
# machine), next to the wall time of the naive baseline, summing the raw
# deltas with sqlite3. Needs valgrind and sqlite3, and the histories that
# `cargo bench --bench summary` writes into target/bench-data/.
# Run: scripts/summary-cost.sh
set -euo pipefail
cd "$(dirname "$0")/.."
data=$PWD/target/bench-data
for days in 30 365; do
    if [[ ! -f $data/history-${days}d.db ]]; then
        echo "missing $data/history-${days}d.db: run cargo bench --bench summary first" >&2
        exit 1
    fi
done
cargo build --release --quiet
netmon=$PWD/target/release/netmon
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

# Instructions of one isolated netmon run on the history of $1 days.
instructions() {
    local days=$1
    shift
    (cd "$scratch" && env -i TZ=UTC NETMON_DATABASE_FILE="$data/history-${days}d.db" \
        valgrind --tool=callgrind --callgrind-out-file=/dev/null "$netmon" "$@" 2>&1 >/dev/null) |
        sed -n 's/.*refs: *//p' | tr -d ,
}

# Milliseconds of the baseline query on the history of $1 days.
baseline_ms() {
    local start end
    start=$(date +%s%N)
    sqlite3 "file:$data/history-$1d.db?mode=ro" "SELECT interface, SUM(bytes_recv_delta),
        SUM(bytes_sent_delta), COUNT(*) FROM network_stats GROUP BY interface" >/dev/null
    end=$(date +%s%N)
    echo $(((end - start) / 1000000))
}

printf '%-40s %12s %12s %8s\n' "netmon --summary ... (instructions)" 30d 365d 365/30
for flags in "" "--by day" "--by day --since all" "--by hour" "--by month"; do
    # shellcheck disable=SC2086 # the flags are meant to split
    month=$(instructions 30 --summary $flags)
    # shellcheck disable=SC2086
    year=$(instructions 365 --summary $flags)
    printf '%-40s %12s %12s %7.2fx\n' "${flags:-(totals)}" "$month" "$year" \
        "$(echo "$year / $month" | bc -l)"
done
month=$(baseline_ms 30)
year=$(baseline_ms 365)
printf '%-40s %10s ms %9s ms %7.2fx\n' "baseline: sqlite3 SUM over raw rows" "$month" "$year" \
    "$(echo "$year / $month" | bc -l)"
