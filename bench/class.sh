#!/usr/bin/env bash
# Times `backlings grade --class` on a synthetic class of `init` workspaces of the bundled
# course with mixed progress, against grading students one by one with their own cold
# `grade` (a fresh cache each, as separate CI runs would). See bench/README.md.
#
# Usage: bench/class.sh [--students N] [--singles K] [--keep]
#   --students N  class size, default 30
#   --singles K   students graded one by one, cold, default 3; the per-student mean is
#                 multiplied by N for the comparison (grading all N that way takes hours)
#   --keep        keep the temporary directory (its path is printed)
set -euo pipefail

students=30
singles=3
keep=0
while [ $# -gt 0 ]; do
    case "$1" in
        --students) students=${2:?--students N}; shift 2 ;;
        --singles) singles=${2:?--singles K}; shift 2 ;;
        --keep) keep=1; shift ;;
        -h | --help) sed -n '2,12p' "$0"; exit 0 ;;
        *) echo "unknown argument: $1 (try --help)" >&2; exit 2 ;;
    esac
done

repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/backlings-class-bench-XXXXXX)
cleanup() { if [ "$keep" = 1 ]; then echo "kept $work"; else rm -rf "$work"; fi; }
trap cleanup EXIT
echo "== $(uptime)"
cargo build --release --quiet --manifest-path "$repo/Cargo.toml"
bin="$repo/target/release/backlings"

solutions=$(cd "$repo/solutions" && find . -name '*.rs' | sort)
half=$(echo "$solutions" | head -n $(($(echo "$solutions" | wc -l) / 2)))

echo "== a class of $students: solved, half solved, untouched, solved in their own words; one broken"
mkdir -p "$work/class"
for i in $(seq -w 1 "$students"); do
    ws="$work/class/student$i"
    "$bin" init "$ws" >/dev/null
    case $((10#$i % 4)) in
        0) picks=$solutions; own=0 ;;
        1) picks=$half; own=0 ;;
        2) picks=""; own=0 ;;
        3) picks=$solutions; own=1 ;;
    esac
    for rel in $picks; do
        [ -f "$ws/exercises/$rel" ] || continue
        cp "$repo/solutions/$rel" "$ws/exercises/$rel"
        # Code of one's own: the same fix, written differently (here, a comment).
        if [ "$own" = 1 ]; then sed -i "1i // solved by student$i" "$ws/exercises/$rel"; fi
    done
done
rm "$work/class/student$students/Cargo.toml"
echo "format_version = [" >"$work/class/student$students/info.toml"

seconds() { local s e; s=$(date +%s.%N); "$@" >/dev/null 2>&1 || true; e=$(date +%s.%N); awk -v s="$s" -v e="$e" 'BEGIN { printf "%.1f", e - s }'; }
peak_rss() { # runs "$@", prints the runner's peak RSS in MB (sampled), ignores its status
    "$@" >/dev/null 2>&1 &
    local pid=$! peak=0 rss
    while kill -0 "$pid" 2>/dev/null; do
        rss=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
        [ "${rss:-0}" -gt "$peak" ] && peak=$rss
        sleep 0.2
    done
    wait "$pid" || true
    echo $((peak / 1024))
}

echo "== one by one, cold (each with a fresh cache), $singles students"
total=0
for i in $(seq -w 1 "$students" | head -n "$singles"); do
    t=$(BACKLINGS_CACHE_DIR="$work/single-cache-$i" seconds "$bin" -C "$work/class/student$i" grade)
    echo "   student$i: $t s"
    total=$(awk -v a="$total" -v b="$t" 'BEGIN { print a + b }')
    rm -rf "$work/single-cache-$i"
done
per_single=$(awk -v t="$total" -v k="$singles" 'BEGIN { printf "%.1f", t / k }')

echo "== the class at once, cold"
export BACKLINGS_CACHE_DIR="$work/class-cache"
class_cold=$(seconds "$bin" grade --class "$work/class" --format csv --output "$work/roster.csv")
echo "   $class_cold s"
echo "== the class at once, warm (nothing changed), with the runner's peak memory"
s=$(date +%s.%N)
rss=$(peak_rss "$bin" grade --class "$work/class" --format csv --output "$work/roster.csv")
e=$(date +%s.%N)
class_warm=$(awk -v s="$s" -v e="$e" 'BEGIN { printf "%.1f", e - s }')
graded=$(tail -n +2 "$work/roster.csv" | wc -l)

awk -v n="$students" -v per="$per_single" -v cold="$class_cold" -v warm="$class_warm" -v rss="$rss" -v rows="$graded" 'BEGIN {
    singles = per * n
    printf "\none by one, cold: %.1f s per student, x%d = %.0f s (estimated)\n", per, n, singles
    printf "class at once, cold: %.0f s, %.1fx faster\n", cold, singles / cold
    printf "class at once, warm: %.1f s, %.2f s per student; runner peak RSS %d MB; %d roster lines\n", warm, warm / n, rss, rows
}'
echo "== $(uptime)"
