#!/usr/bin/env bash
# CPU per monitoring cycle at 200 interfaces: this checkout against another
# commit (default: the parent of the first commit of the exactness work,
# 6e9102f), measured in one run, interleaved, on the same counters file.
#
#   scripts/cycle-ab.sh [BASE_COMMIT] [ROUNDS]
#
# Each binary runs `--count 301 --interval 0.02` and `--count 1` on a fresh
# database; CPU per cycle = (user+sys of the long run - of the short run)
# / 300, from getrusage of the child. The median of ROUNDS (default 7)
# interleaved rounds is reported per binary, with their ratio.
set -euo pipefail
cd "$(dirname "$0")/.."
base=${1:-6e9102f}
rounds=${2:-7}
work=$(mktemp -d)
trap 'git worktree remove --force "$work/base" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

cargo build --release --quiet
git worktree add --quiet --detach "$work/base" "$base"
CARGO_TARGET_DIR="$work/base-target" cargo build --release --quiet --manifest-path "$work/base/Cargo.toml"

python3 - "$work" "$rounds" "$PWD/target/release/netmon" "$work/base-target/release/netmon" <<'EOF'
import os, resource, shutil, statistics, subprocess, sys
work, rounds, new, old = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
lines = ["Inter-|\n", " face |\n"]
for i in range(200):
    lines.append(f"veth{i}: {1_000_000 * i} {i} 0 0 0 0 0 0 {2_000_000 * i} {i} 0 0 0 0 0 0\n")
dev = os.path.join(work, "dev.txt")
open(dev, "w").writelines(lines)

def cpu(binary, count):
    run = os.path.join(work, "run")
    shutil.rmtree(run, ignore_errors=True)
    os.makedirs(run)
    with open(os.path.join(run, "config.yaml"), "w") as f:
        f.write(f"proc_net_dev: {dev}\ndatabase_file: n.db\nexclude_interfaces: []\n"
                "database:\n  cleanup_on_startup: false\nlogging:\n  file: ''\n  level: WARN\n")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([binary, "--quiet", "--interval", "0.02", "--count", str(count)],
                   cwd=run, env={"TZ": "UTC"}, check=True, stdout=subprocess.DEVNULL)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)

per_cycle = {"new": [], "old": []}
for _ in range(rounds):
    for label, binary in (("new", new), ("old", old)):
        long_run, short_run = cpu(binary, 301), cpu(binary, 1)
        per_cycle[label].append((long_run - short_run) / 300 * 1e6)
new_us, old_us = (statistics.median(per_cycle[k]) for k in ("new", "old"))
print(f"CPU per cycle at 200 interfaces, median of {rounds} interleaved rounds:")
print(f"  this checkout  {new_us:8.0f} us   (runs: {', '.join(f'{v:.0f}' for v in per_cycle['new'])})")
print(f"  base           {old_us:8.0f} us   (runs: {', '.join(f'{v:.0f}' for v in per_cycle['old'])})")
print(f"  ratio          {new_us / old_us:8.2f}x")
EOF
