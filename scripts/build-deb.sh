#!/usr/bin/env bash
# Builds target/debian/netmon_<version>-1_<arch>.deb: the release binary,
# then the man page and completions it generates (so they cannot drift from
# the flags), then cargo-deb with the metadata in Cargo.toml.
# Needs cargo-deb (`cargo install --locked cargo-deb`). Prints the .deb's path.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked --quiet
assets=target/assets
mkdir -p "$assets"
netmon=target/release/netmon
"$netmon" --manpage | gzip -9n > "$assets/netmon.1.gz"
"$netmon" --completions bash > "$assets/netmon.bash"
"$netmon" --completions zsh > "$assets/_netmon"
"$netmon" --completions fish > "$assets/netmon.fish"
cargo deb --no-build --quiet
ls -t target/debian/netmon_*.deb | head -1
