#!/usr/bin/env bash
# netmon's footprint beside vnstatd's, measured in one run on the same
# interfaces (the figures of the footprint targets):
#   - peak RSS (VmHWM) and disk writes (/proc/PID/io write_bytes) of netmon at
#     its default 60 s and of vnstatd at its defaults (UpdateInterval 20,
#     SaveInterval 5 min), both watching 8 interfaces (veth pairs) in one network
#     namespace for FOOTPRINT_SECONDS (default 660: 11 minutes); beside them a
#     second netmon with database.flush_every: 5 (a write every 5 minutes,
#     like vnstatd's SaveInterval);
#   - bytes on disk per interface-sample, rollups included, of a 30-day
#     synthetic history (60 s x 8 interfaces + _total);
#   - CPU per cycle at 8 and 200 interfaces (netmon --interval 0.01, 500
#     cycles) against one read of the same /proc/net/dev.
# Needs root, iproute2, python3 and vnstat (apt-get install vnstat).
# Usage: scripts/footprint.sh   (FOOTPRINT_SECONDS=120 for a quick look)
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "footprint: needs root (network namespaces)" >&2; exit 1; }
command -v vnstatd >/dev/null || { echo "footprint: needs vnstatd (apt-get install vnstat)" >&2; exit 1; }
seconds=${FOOTPRINT_SECONDS:-660}

cargo build --release --quiet
cargo build --release --quiet --features synth --example synth_history
netmon=$PWD/target/release/netmon
work=$(mktemp -d)
ns=netmon-footprint-$$
cleanup() {
  [ -n "${netmon_pid:-}" ] && kill "$netmon_pid" 2>/dev/null || true
  [ -n "${batched_pid:-}" ] && kill "$batched_pid" 2>/dev/null || true
  [ -n "${vnstat_pid:-}" ] && kill "$vnstat_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  ip netns del "$ns" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# A namespace with `count` (even) interfaces: veth pairs va<i>/vb<i>, up.
namespace_with() {
  ip netns del "$ns" 2>/dev/null || true
  ip netns add "$ns"
  ip -n "$ns" link set lo up
  for i in $(seq 0 $(($1 / 2 - 1))); do
    ip -n "$ns" link add "va$i" type veth peer name "vb$i"
    ip -n "$ns" link set "va$i" up
    ip -n "$ns" link set "vb$i" up
  done
}

# The value of `field` (kB) in /proc/PID/status, or of write_bytes in /proc/PID/io.
status_kb() { awk -v f="$2:" '$1 == f {print $2}' "/proc/$1/status"; }
written() { awk '$1 == "write_bytes:" {print $2}' "/proc/$1/io"; }

echo "footprint: netmon and vnstatd on 8 interfaces for $seconds s ..." >&2
namespace_with 8
mkdir -p "$work/netmon" "$work/batched" "$work/vnstat"
printf 'database_file: netmon.db\nlogging:\n  file: ""\n' > "$work/netmon/config.yaml"
printf 'database_file: netmon.db\ndatabase:\n  flush_every: 5\nlogging:\n  file: ""\n' \
  > "$work/batched/config.yaml"
printf 'DatabaseDir "%s/vnstat"\nUpdateInterval 20\nSaveInterval 5\n' "$work" > "$work/vnstat.conf"
(cd "$work/netmon" && exec ip netns exec "$ns" "$netmon" --quiet 2>/dev/null) &
netmon_pid=$!
(cd "$work/batched" && exec ip netns exec "$ns" "$netmon" --quiet 2>/dev/null) &
batched_pid=$!
ip netns exec "$ns" vnstatd --nodaemon --alwaysadd --config "$work/vnstat.conf" >/dev/null 2>&1 &
vnstat_pid=$!
sleep "$seconds"
netmon_hwm=$(status_kb "$netmon_pid" VmHWM)
netmon_written=$(written "$netmon_pid")
batched_written=$(written "$batched_pid")
vnstat_hwm=$(status_kb "$vnstat_pid" VmHWM)
vnstat_written=$(written "$vnstat_pid")
kill "$netmon_pid" "$batched_pid" "$vnstat_pid"
wait "$netmon_pid" "$batched_pid" "$vnstat_pid" 2>/dev/null || true
netmon_pid= batched_pid= vnstat_pid=

echo "footprint: bytes per interface-sample of a 30-day history ..." >&2
target/release/examples/synth_history --days 30 --interval 60 --interfaces 8 \
  --out "$work/history.db" >/dev/null 2>&1
rows=$(NETMON_DATABASE_FILE="$work/history.db" "$netmon" --summary --format json \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["total_records"])')
history_bytes=$(stat -c %s "$work/history.db")

# CPU seconds per cycle of netmon, and per read of /proc/net/dev, in the namespace.
cpu_per_cycle() {
  rm -f "$work/cpu.db"
  ip netns exec "$ns" env NETMON_DATABASE_FILE="$work/cpu.db" python3 - "$netmon" <<'EOF'
import os, resource, subprocess, sys
cycles = 500
subprocess.run([sys.argv[1], "--interval", "0.01", "--count", str(cycles), "--quiet"],
               check=True, stderr=subprocess.DEVNULL, cwd=os.path.dirname(os.environ["NETMON_DATABASE_FILE"]))
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print((usage.ru_utime + usage.ru_stime) / cycles * 1e6)
EOF
}
read_cost() {
  ip netns exec "$ns" python3 - <<'EOF'
import os
reads = 20000
before = os.times()
for _ in range(reads):
    fd = os.open("/proc/net/dev", os.O_RDONLY)
    while os.read(fd, 65536):
        pass
    os.close(fd)
after = os.times()
print((after.user - before.user + after.system - before.system) / reads * 1e6)
EOF
}
echo "footprint: CPU per cycle at 8 and 200 interfaces ..." >&2
cpu8=$(cpu_per_cycle); read8=$(read_cost)
namespace_with 200
cpu200=$(cpu_per_cycle); read200=$(read_cost)

python3 - "$netmon_hwm" "$vnstat_hwm" "$netmon_written" "$vnstat_written" "$seconds" \
  "$history_bytes" "$rows" "$cpu8" "$read8" "$cpu200" "$read200" "$batched_written" <<'EOF'
import sys
(n_hwm, v_hwm, n_w, v_w, secs, h_bytes, rows, cpu8, read8, cpu200, read200, b_w) = sys.argv[1:]
n_hwm, v_hwm, n_w, v_w, b_w = int(n_hwm), int(v_hwm), int(n_w), int(v_w), int(b_w)
per_sample = int(h_bytes) / int(rows)
rows_ = [
    ("peak RSS (VmHWM)", f"{n_hwm:,} kB", f"vnstatd {v_hwm:,} kB", f"{n_hwm / v_hwm:.2f}x", "<= 1x"),
    (f"disk writes in {secs} s", f"{n_w:,} B", f"vnstatd {v_w:,} B",
     f"{n_w / v_w:.2f}x" if v_w else "-", "<= 0.33x"),
    (f"disk writes in {secs} s, flush_every: 5", f"{b_w:,} B", f"vnstatd {v_w:,} B",
     f"{b_w / v_w:.2f}x" if v_w else "-", "<= 0.33x"),
    ("bytes on disk per interface-sample", f"{per_sample:.0f} B", "the row's data, ~60 B",
     f"{per_sample / 60:.2f}x", "<= 100 B"),
    ("CPU per cycle, 8 interfaces", f"{float(cpu8):.0f} us", f"one read {float(read8):.1f} us",
     f"{float(cpu8) / float(read8):.1f}x", "<= 5x"),
    ("CPU per cycle, 200 interfaces", f"{float(cpu200):.0f} us", f"one read {float(read200):.1f} us",
     f"{float(cpu200) / float(read200):.1f}x", "<= 5x"),
]
print("| figure | netmon | baseline | ratio | target |")
print("| --- | --- | --- | --- | --- |")
for row in rows_:
    print("| " + " | ".join(row) + " |")
EOF
