#!/usr/bin/env bash
# `cargo bench` of this checkout against another commit, in one run: each
# bench runs first on BASE (saved as criterion's baseline "base"), then on
# this checkout compared with it; prints each benchmark's mean time on both
# and the ratio (this / base, < 1 is faster). Both use the same synthetic
# histories (target/bench-data), so the views read identical databases.
#
#   scripts/bench-ab.sh [BASE_COMMIT] [BENCH...]
#
# Default BASE: 98a761c (before the redesign of issue 21); default benches:
# summary scrape once collect.
set -euo pipefail
cd "$(dirname "$0")/.."
base=${1:-98a761c}
shift || true
benches=("$@")
[ "${#benches[@]}" -gt 0 ] || benches=(summary scrape once collect)
work=${BENCH_AB_DIR:-$(mktemp -d)}
mkdir -p "$work" target/bench-data
if [ ! -d "$work/base" ]; then
  git worktree add --quiet --detach "$work/base" "$base"
fi
mkdir -p "$work/base/target"
ln -sfn "$PWD/target/bench-data" "$work/base/target/bench-data"
for bench in "${benches[@]}"; do
  (cd "$work/base" && cargo bench --quiet --features synth --bench "$bench" -- --save-baseline base --noplot >/dev/null)
done
mkdir -p target/criterion
cp -r "$work/base/target/criterion/." target/criterion/
for bench in "${benches[@]}"; do
  cargo bench --quiet --features synth --bench "$bench" -- --baseline base --noplot >/dev/null
done
python3 - <<'PY'
import json, pathlib
root = pathlib.Path("target/criterion")
print(f"{'benchmark':<58} {'base':>12} {'this':>12} {'ratio':>7}")
for new in sorted(root.glob("**/new/estimates.json")):
    old = new.parent.parent / "base" / "estimates.json"
    if not old.exists():
        continue
    a = json.loads(old.read_text())["mean"]["point_estimate"]
    b = json.loads(new.read_text())["mean"]["point_estimate"]
    name = str(new.parent.parent.relative_to(root))
    unit = lambda ns: f"{ns/1e6:.3f} ms" if ns >= 1e5 else f"{ns/1e3:.2f} µs"
    print(f"{name:<58} {unit(a):>12} {unit(b):>12} {b/a:>6.2f}x")
PY
