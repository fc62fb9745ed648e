#!/usr/bin/env bash
# Times what the PostgreSQL service costs: the cluster's first start (initdb included),
# a start of the existing cluster, and one fresh database (what every run of a
# `services = ["postgres"]` exercise pays), as `backlings doctor` measures them.
#
# Usage: bench/postgres.sh [ROUNDS]     (default 5; targets: start <= 3 s, database <= 100 ms)
set -euo pipefail
rounds=${1:-5}
repo=$(cd "$(dirname "$0")/.." && pwd)
cargo build --release --quiet --manifest-path "$repo/Cargo.toml"
bin=$repo/target/release/backlings
set_dir=$(mktemp -d /tmp/backlings-pgbench.XXXXXX)
trap 'rm -rf "$set_dir"' EXIT
mkdir -p "$set_dir/exercises"
printf 'format_version = 1\n\n[[exercises]]\nname = "db"\nservices = ["postgres"]\nhint = "-"\n' >"$set_dir/info.toml"
printf 'fn main() {}\n' >"$set_dir/exercises/db.rs"
printf '[package]\nname = "exercises"\nversion = "0.0.0"\nedition = "2024"\n\n[workspace]\n\n[[bin]]\nname = "db"\npath = "exercises/db.rs"\n' >"$set_dir/Cargo.toml"

echo "load before: $(uptime | sed 's/.*load average: //')"
ms() { grep -E "^ +$1 " | grep -oE '[0-9]+ ms' | grep -oE '[0-9]+'; }
first=$("$bin" -C "$set_dir" doctor)
echo "$first" | grep -E "PostgreSQL [0-9]"
echo "first start (initdb + start): $(echo "$first" | ms start) ms"
starts=(); dbs=()
for _ in $(seq "$rounds"); do
    out=$("$bin" -C "$set_dir" doctor)
    starts+=("$(echo "$out" | ms start)")
    dbs+=("$(echo "$out" | ms database)")
done
median() { printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
echo "start of the existing cluster: median $(median "${starts[@]}") ms over $rounds (${starts[*]})"
echo "fresh database:                median $(median "${dbs[@]}") ms over $rounds (${dbs[*]})"
echo "load after: $(uptime | sed 's/.*load average: //')"
