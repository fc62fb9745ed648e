#!/usr/bin/env bash
# Times `backlings grade` of a fully solved `init` workspace of the bundled course, warm,
# with this tree's backlings against an earlier commit's (default: the one before the
# grader built the reference's tests in an assembly of its own). Both binaries grade the
# same workspace; rounds alternate which goes first. See bench/README.md.
#
# Usage: bench/grade-before-after.sh [--before REV] [--rounds N] [--keep]
#   --before REV  the baseline commit (default: b13dd0c)
#   --rounds N    warm rounds per binary, default 5; the median is compared
#   --keep        keep the temporary directory (its path is printed)
set -euo pipefail

before=b13dd0c
rounds=5
keep=0
while [ $# -gt 0 ]; do
    case "$1" in
        --before) before=${2:?--before REV}; shift 2 ;;
        --rounds) rounds=${2:?--rounds N}; shift 2 ;;
        --keep) keep=1; shift ;;
        -h | --help) sed -n '2,10p' "$0"; exit 0 ;;
        *) echo "unknown argument: $1 (try --help)" >&2; exit 2 ;;
    esac
done

repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/backlings-grade-bench-XXXXXX)
cleanup() {
    git -C "$repo" worktree remove --force "$work/before-src" >/dev/null 2>&1 || true
    if [ "$keep" = 1 ]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
echo "== $(uptime)"

echo "== building this tree's backlings and $before's"
cargo build --release --quiet --manifest-path "$repo/Cargo.toml"
after_bin="$repo/target/release/backlings"
git -C "$repo" worktree add --detach --quiet "$work/before-src" "$before"
CARGO_TARGET_DIR="$work/before-target" cargo build --release --quiet \
    --manifest-path "$work/before-src/Cargo.toml"
before_bin="$work/before-target/release/backlings"

echo "== a fully solved workspace"
"$after_bin" init "$work/ws" >/dev/null
for rel in $(cd "$repo/solutions" && find . -name '*.rs'); do
    if [ -f "$work/ws/exercises/$rel" ]; then cp "$repo/solutions/$rel" "$work/ws/exercises/$rel"; fi
done
export BACKLINGS_CACHE_DIR="$work/cache"

grade_before() { "$before_bin" -C "$work/ws" grade --format json >"$work/before.json" 2>/dev/null || true; }
grade_after() { "$after_bin" -C "$work/ws" grade --format json >"$work/after.json" 2>/dev/null || true; }
seconds() { local s e; s=$(date +%s.%N); "$@"; e=$(date +%s.%N); awk -v s="$s" -v e="$e" 'BEGIN { printf "%.3f", e - s }'; }

echo "== warming up both (cold builds)"
seconds grade_before >/dev/null
seconds grade_after >/dev/null
for side in before after; do
    ok=$(grep -c '"status": "passed"' "$work/$side.json" || true)
    echo "   $side: $ok entries passed"
done

: >"$work/times.tsv"
for round in $(seq 1 "$rounds"); do
    if [ $((round % 2)) = 1 ]; then order="before after"; else order="after before"; fi
    for side in $order; do
        t=$(seconds "grade_$side")
        printf '%s\t%s\n' "$side" "$t" >>"$work/times.tsv"
        printf '   round %s %-6s %6.2f s\n' "$round" "$side" "$t"
    done
done

median() { grep "^$1" "$work/times.tsv" | cut -f2 | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
b=$(median before)
a=$(median after)
awk -v r="$rounds" -v b="$b" -v a="$a" 'BEGIN {
    printf "\nwarm grade of a solved workspace, median of %s: before %.2f s, after %.2f s, ratio %.2fx\n", r, b, a, a / b }'
echo "== $(uptime)"
