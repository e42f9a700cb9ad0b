#!/usr/bin/env bash
# `cargo bench` of this checkout against another commit, interleaved in one
# run: both are built, then each round runs every bench once on BASE and
# once on this checkout (criterion baselines named by round and side), so a
# machine that slows down for a while slows both alike. Prints each
# benchmark's best mean over the rounds on both sides and their ratio
# (this / base, < 1 is faster). Both read the same synthetic histories
# (target/bench-data).
#
#   scripts/bench-ab.sh [BASE_COMMIT] [ROUNDS] [BENCH...]
#
# Defaults: BASE 98a761c (before the redesign of issue 21), 3 rounds,
# benches summary scrape once. BENCH_TIME (default 2) is criterion's
# measurement time per benchmark, in seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
base=${1:-98a761c}
rounds=${2:-3}
shift 2 || shift $# || true
benches=("$@")
[ "${#benches[@]}" -gt 0 ] || benches=(summary scrape once)
work=${BENCH_AB_DIR:-$(mktemp -d)}
mkdir -p "$work" target/bench-data
if [ ! -d "$work/base" ]; then
  git worktree add --quiet --detach "$work/base" "$base"
fi
mkdir -p "$work/base/target"
ln -sfn "$PWD/target/bench-data" "$work/base/target/bench-data"

# The bench executables of a checkout, one per line: "name path".
executables() {
  local args=()
  for bench in "${benches[@]}"; do args+=(--bench "$bench"); done
  (cd "$1" && cargo bench --quiet --features synth --no-run --message-format=json "${args[@]}") |
    python3 -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and "bench" in m["target"]["kind"]:
        print(m["target"]["name"], m["executable"])'
}
mapfile -t base_exes < <(executables "$work/base")
mapfile -t this_exes < <(executables "$PWD")
export CRITERION_HOME="$work/criterion"
rm -rf "$CRITERION_HOME"
for round in $(seq "$rounds"); do
  for side in base this; do
    if [ "$side" = base ]; then exes=("${base_exes[@]}"); else exes=("${this_exes[@]}"); fi
    for entry in "${exes[@]}"; do
      "${entry#* }" --bench --noplot --warm-up-time 1 --measurement-time "${BENCH_TIME:-2}" \
        --save-baseline "$side-$round" >/dev/null 2>&1
    done
  done
done
python3 - "$CRITERION_HOME" "$rounds" <<'PY'
import json, pathlib, sys
root, rounds = pathlib.Path(sys.argv[1]), int(sys.argv[2])
def best(bench, side):
    means = []
    for r in range(1, rounds + 1):
        f = bench / f"{side}-{r}" / "estimates.json"
        if f.exists():
            means.append(json.loads(f.read_text())["mean"]["point_estimate"])
    return min(means) if means else None
unit = lambda ns: f"{ns/1e6:.3f} ms" if ns >= 1e5 else f"{ns/1e3:.2f} µs"
print(f"{'benchmark':<44} {'base':>12} {'this':>12} {'ratio':>7}")
for bench in sorted({p.parent.parent for p in root.glob("**/base-1/estimates.json")}):
    a, b = best(bench, "base"), best(bench, "this")
    if a and b:
        print(f"{str(bench.relative_to(root)):<44} {unit(a):>12} {unit(b):>12} {b/a:>6.2f}x")
PY
