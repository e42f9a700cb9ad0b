#!/usr/bin/env bash
# Retention never delays sampling: a monitor at --interval 1 starts on a
# 120-day history with retention_days 30 (about 90 days of raw rows to
# delete) and samples COUNT cycles (default 60). Prints how late each cycle
# was against its slot (the first cycle's time + k x interval), the
# largest lateness as a share of the interval (target: under 10 %), and
# the retention progress the log reports.
#   scripts/retention-lateness.sh [COUNT]
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-60}
data=$PWD/target/bench-data
mkdir -p "$data"
cargo build --release --quiet --features synth --example synth_history
cargo build --release --quiet
netmon=$PWD/target/release/netmon
history=$data/history-120d.db
if [[ ! -f $history ]]; then
    echo "writing $history (120 days x 8 interfaces at 60 s; a few minutes, once)" >&2
    "$PWD/target/release/examples/synth_history" --days 120 --interval 60 --interfaces 8 --out "$history"
fi
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cp "$history" "$scratch/n.db"
rows_before=$(sqlite3 "$scratch/n.db" 'SELECT rows FROM netmon_row_count')
history_end=$(sqlite3 "$scratch/n.db" 'SELECT MAX(timestamp) FROM network_stats')
# The machine's own interfaces are sampled; the history's eth0..eth7 are old.
cat >"$scratch/config.yaml" <<YAML
database_file: n.db
database:
  retention_days: 30
logging:
  file: ''
YAML
cd "$scratch"
unset LOG_LEVEL $(compgen -e | grep '^NETMON_' || true)
TZ=UTC "$netmon" -c config.yaml --interval 1 --count "$count" --quiet 2>log.txt
rows_after=$(sqlite3 n.db 'SELECT rows FROM netmon_row_count')
# Lateness of cycle k: its timestamp minus (first timestamp + k seconds).
sqlite3 n.db "SELECT DISTINCT timestamp FROM network_stats
              WHERE timestamp > '$history_end' ORDER BY timestamp" |
    python3 -c '
import sys, datetime
stamps = [datetime.datetime.fromisoformat(l.strip().replace("Z", "+00:00")) for l in sys.stdin if l.strip()]
late = [((t - stamps[0]).total_seconds() - k) for k, t in enumerate(stamps)]
print(f"cycles: {len(stamps)}")
print("lateness ms:", " ".join(f"{x * 1000:.0f}" for x in late))
print(f"largest lateness: {max(late) * 1000:.1f} ms = {max(late) * 100:.1f} % of the 1 s interval")
'
echo "raw rows: $rows_before before, $rows_after after"
grep -E "retention done" log.txt || echo "retention still running after $count cycles (it goes on in later cycles)"
