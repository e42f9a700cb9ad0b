#!/usr/bin/env bash
# Builds the .deb and checks it as an administrator would use it: its
# contents, `dpkg -i`, `systemd-analyze verify` on the installed unit,
# `netmon --once` as the service user with /etc/netmon/config.yaml, the
# stored row read back by a member of the netmon group (and refused to
# anyone else), then `dpkg -r` (the history stays) and `dpkg -P` (it goes).
# Needs root and cargo-deb; .ci/run runs it. Changes the system: it leaves
# the package purged and the reader account it made removed.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "deb-check: needs root (dpkg -i)" >&2; exit 1; }

passed=0
failed=0
check() { # check DESCRIPTION COMMAND...: runs COMMAND, counts the outcome
  local what=$1
  shift
  if "$@"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "deb-check: FAILED: $what" >&2
  fi
}

deb=$(scripts/build-deb.sh | tail -1)
echo "deb-check: built $deb"
contents=$(dpkg-deb --contents "$deb")
for path in ./usr/bin/netmon ./etc/netmon/config.yaml ./usr/lib/systemd/system/netmon.service \
  ./usr/share/man/man1/netmon.1.gz ./usr/share/bash-completion/completions/netmon \
  ./usr/share/zsh/vendor-completions/_netmon ./usr/share/fish/vendor_completions.d/netmon.fish; do
  check "the package holds $path" grep -q " $path\$" <<<"$contents"
done
check "the configuration is a conffile" \
  bash -c "dpkg-deb --ctrl-tarfile '$deb' | tar -xO ./conffiles | grep -qx /etc/netmon/config.yaml"

dpkg -i "$deb" >/dev/null
check "the netmon user and group exist" id -u netmon >/dev/null
unit=/usr/lib/systemd/system/netmon.service
verified=$(systemd-analyze verify "$unit" 2>&1) && status=0 || status=$?
check "systemd-analyze verify accepts the unit silently ($verified)" test "$status" = 0 -a -z "$verified"
check "the unit is enabled" test -L /etc/systemd/system/multi-user.target.wants/netmon.service
check "man finds the page" bash -c "man -w netmon | grep -q /usr/share/man/man1/netmon.1"

cd /
check "netmon --once as the service user" \
  runuser -u netmon -- /usr/bin/netmon --once --quiet -c /etc/netmon/config.yaml
db=/var/lib/netmon/network_activity.db
check "the database belongs to netmon, readable by its group" \
  test "$(stat -c '%U:%G %a' "$db")" = "netmon:netmon 640"

reader=netmon-deb-check
userdel "$reader" 2>/dev/null || true
useradd --system --no-create-home --groups netmon "$reader"
summary=$(runuser -u "$reader" -- /usr/bin/netmon --summary --format json -c /etc/netmon/config.yaml)
check "a member of the netmon group reads the stored cycle" \
  python3 -c 'import json, sys
report = json.loads(sys.argv[1])
total = [i for i in report["interfaces"] if i["interface"] == "_total"]
sys.exit(0 if report["total_records"] >= 2 and total and total[0]["samples"] == 1 else 1)' "$summary"
# While the service user monitors (the database in WAL mode, its -wal and
# -shm files 0640), a group member reads it as it is written.
runuser -u netmon -- /usr/bin/netmon -c /etc/netmon/config.yaml --interval 0.5 --quiet 2>/dev/null &
monitor=$!
sleep 2.5
live=$(runuser -u "$reader" -- /usr/bin/netmon --summary --format json -c /etc/netmon/config.yaml)
check "a member of the netmon group reads the database while the monitor writes it" \
  python3 -c 'import json, sys
report = json.loads(sys.argv[1])
total = [i for i in report["interfaces"] if i["interface"] == "_total"]
sys.exit(0 if total and total[0]["samples"] >= 3 else 1)' "$live"
kill "$monitor"
wait "$monitor" || true
refused=$(runuser -u nobody -- /usr/bin/netmon --summary -c /etc/netmon/config.yaml 2>&1) && status=0 || status=$?
check "anyone else gets a clear permission message ($refused)" \
  test "$status" = 1 -a -n "$(grep 'permission denied' <<<"$refused")"
userdel "$reader"

dpkg -r netmon >/dev/null
check "dpkg -r removes the binary" test ! -e /usr/bin/netmon
check "dpkg -r keeps the history" test -s "$db"
dpkg -P netmon >/dev/null
check "dpkg -P removes the history" test ! -e /var/lib/netmon
check "dpkg -P removes the configuration" test ! -e /etc/netmon/config.yaml

echo "deb-check: $passed passed, $failed failed"
[ "$failed" = 0 ]
