#!/usr/bin/env bash
# Times a learner's start from a fresh clone: the README's first command builds the runner
# (dev profile), writes the workspace learn/, and watch mode builds the course's
# dependencies and shows the first verdict. Measured here without a terminal as the same
# work: `cargo build`, `backlings init learn`, `backlings -C learn run intro1`. The cargo
# registry is assumed downloaded (the goal is stated for a warm registry), the target
# directory empty. See bench/README.md.
#
# Usage: bench/first-verdict.sh [--release] [--keep]
#   --release  build the runner with --release (the README's old way), for comparison
set -euo pipefail

profile=dev
keep=0
while [ $# -gt 0 ]; do
    case "$1" in
        --release) profile=release; shift ;;
        --keep) keep=1; shift ;;
        -h | --help) sed -n '2,11p' "$0"; exit 0 ;;
        *) echo "unknown argument: $1 (try --help)" >&2; exit 2 ;;
    esac
done

repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/backlings-first-verdict-XXXXXX)
cleanup() { if [ "$keep" = 1 ]; then echo "kept $work"; else rm -rf "$work"; fi; }
trap cleanup EXIT
echo "== $(uptime)"
git clone --quiet "$repo" "$work/clone"
cd "$work/clone"
unset CARGO_TARGET_DIR
cargo fetch --quiet  # a warm registry, as the goal assumes

now() { date +%s.%N; }
t0=$(now)
if [ "$profile" = release ]; then
    cargo build --release --quiet
    bin=target/release/backlings
else
    cargo build --quiet
    bin=target/debug/backlings
fi
t1=$(now)
"$bin" init learn >/dev/null
"$bin" -C learn run intro1 >/dev/null 2>&1 || true
t2=$(now)
awk -v a="$t0" -v b="$t1" -v c="$t2" -v p="$profile" 'BEGIN {
    printf "runner build (%s): %.1f s; course dependencies and the first verdict: %.1f s; total %.1f s\n", p, b - a, c - b, c - a }'
echo "== $(uptime)"
