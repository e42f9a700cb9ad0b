#!/usr/bin/env bash
# What `netmon --summary` costs on 30 vs 365 days of history:
#  - wall time of the whole process, median of ROUNDS (default 200) rounds;
#    each round runs every case once in turn, so a shared machine getting
#    busier or quieter slows both histories alike;
#  - instructions, counted by callgrind (deterministic; needs valgrind);
#  - the baseline in the same run: summing every raw row's deltas with sqlite3.
# Uses the histories that `cargo bench --bench summary` writes into
# target/bench-data/. Run: scripts/summary-cost.sh
set -euo pipefail
cd "$(dirname "$0")/.."
data=$PWD/target/bench-data
cargo build --release --quiet
netmon=$PWD/target/release/netmon
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
for days in 30 365; do
    if [[ ! -f $data/history-${days}d.db ]]; then
        echo "missing $data/history-${days}d.db: run cargo bench --bench summary first" >&2
        exit 1
    fi
    # An explicit config file: no ./config.yaml, XDG or /etc lookup.
    echo "database_file: $data/history-${days}d.db" >"$scratch/$days.yaml"
done
# No .env, NETMON_* or LOG_LEVEL from the caller's environment.
cd "$scratch"
unset LOG_LEVEL $(compgen -e | grep '^NETMON_' || true)
export TZ=UTC
cases=("" "--by day" "--by day --since all")

# One summary of the history of $1 days with flags $2.
summary() {
    # shellcheck disable=SC2086 # the flags are meant to split
    "$netmon" -c "$scratch/$1.yaml" --summary $2 >/dev/null
}

median() {
    sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

declare -A wall
for _ in $(seq "${ROUNDS:-200}"); do
    for flags in "${cases[@]}"; do
        for days in 30 365; do
            start=$EPOCHREALTIME
            summary "$days" "$flags"
            end=$EPOCHREALTIME
            wall[$days $flags]+="$(echo "($end - $start) * 1000" | bc -l) "
        done
    done
done

ratio() {
    echo "$2 / $1" | bc -l
}

printf '%-36s %10s %10s %7s\n' "netmon --summary ... (wall, median)" 30d 365d 365/30
for flags in "${cases[@]}"; do
    month=$(tr ' ' '\n' <<<"${wall[30 $flags]}" | grep . | median)
    year=$(tr ' ' '\n' <<<"${wall[365 $flags]}" | grep . | median)
    printf '%-36s %7.2f ms %7.2f ms %6.2fx\n' "${flags:-(totals)}" "$month" "$year" \
        "$(ratio "$month" "$year")"
done

if command -v valgrind >/dev/null; then
    printf '%-36s %10s %10s %7s\n' "netmon --summary ... (instructions)" 30d 365d 365/30
    for flags in "${cases[@]}"; do
        counts=()
        for days in 30 365; do
            # shellcheck disable=SC2086
            counts+=("$(valgrind --tool=callgrind --callgrind-out-file=/dev/null \
                "$netmon" -c "$scratch/$days.yaml" --summary $flags 2>&1 >/dev/null |
                sed -n 's/.*refs: *//p' | tr -d ,)")
        done
        printf '%-36s %10s %10s %6.2fx\n' "${flags:-(totals)}" "${counts[@]}" \
            "$(ratio "${counts[@]}")"
    done
fi

baseline=()
for days in 30 365; do
    start=$EPOCHREALTIME
    sqlite3 "file:$data/history-${days}d.db?mode=ro" "SELECT interface,
        SUM(bytes_recv_delta), SUM(bytes_sent_delta), COUNT(*)
        FROM network_stats GROUP BY interface" >/dev/null
    end=$EPOCHREALTIME
    baseline+=("$(echo "($end - $start) * 1000" | bc -l)")
done
printf '%-36s %7.0f ms %7.0f ms %6.2fx\n' "baseline: sqlite3 SUM over raw rows" \
    "${baseline[@]}" "$(ratio "${baseline[@]}")"
