#!/usr/bin/env bash
# Times `backlings check` against the anchor, rustlings 6.5's `rustlings dev check`, on
# rustlings' own 94-exercise set; optionally (--course) also times `backlings check` on the
# bundled course. See bench/README.md.
#
# Usage: bench/check-vs-rustlings.sh [--cold N] [--warm N] [--jobs N] [--course|--course-init] [--keep]
#   --cold N   cold runs per tool (target/ deleted first), default 1
#   --warm N   warm runs per tool (nothing changed since the last run), default 3; median
#   --jobs N   passed to `backlings check --jobs` (default: backlings' own, = CPUs)
#   --course   also time `backlings check` on the bundled course in this repository, in
#              place (its own fresh CARGO_TARGET_DIR); sees any uncommitted edits
#   --course-init  same, on a `backlings init` copy of the course the binary bundles:
#              immune to others editing the repository during the run
#   --keep     keep the temporary sets (their path is printed) instead of deleting them
# Environment: MAKE_SET (set builder script), RUSTLINGS_ROOT (where rustlings is installed),
#   BENCH_OUT (directory for logs and results.tsv; default a new /tmp/backlings-bench-*).
set -euo pipefail

cold_reps=1
warm_reps=3
jobs=""
course=0
keep=0
while [ $# -gt 0 ]; do
    case "$1" in
        --cold) cold_reps=${2:?--cold N}; shift 2 ;;
        --warm) warm_reps=${2:?--warm N}; shift 2 ;;
        --jobs) jobs=${2:?--jobs N}; shift 2 ;;
        --course) course=1; shift ;;
        --course-init) course=init; shift ;;
        --keep) keep=1; shift ;;
        -h | --help) sed -n '2,16p' "$0"; exit 0 ;;
        *) echo "unknown argument: $1 (try --help)" >&2; exit 2 ;;
    esac
done

# The repository is the parent of this script's directory, wherever it is run from.
repo=$(cd "$(dirname "$0")/.." && pwd)
make_set=${MAKE_SET:-$repo/../shared/bench/make-rustlings-set.sh}
rustlings_root=${RUSTLINGS_ROOT:-/tmp/anchors}
# make-rustlings-set.sh installs rustlings 6.5.0 under /tmp/anchors/bin on first use.
export PATH="$rustlings_root/bin:$PATH"
# A target directory inherited from the caller would make both sets (and the course) share
# one build directory, so cold runs would not be cold and the tools would share artifacts.
unset CARGO_TARGET_DIR
# Colour/progress output is not what we measure; keep the logs plain.
export NO_COLOR=1 CARGO_TERM_COLOR=never

# Logs and the raw results survive the run (the sets themselves are deleted at exit).
out=${BENCH_OUT:-$(mktemp -d /tmp/backlings-bench-XXXXXX)}
mkdir -p "$out"
results="$out/results.tsv"
printf 'tool\tkind\trun\tseconds\texit\tload1\tlog\n' >"$results"

work=$(mktemp -d /tmp/backlings-bench-sets-XXXXXX)
cleanup() {
    if [ "$keep" = 1 ]; then echo "kept sets in $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

now() { date +%s.%N; }
load1() { cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo '?'; }
log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*"; }

bench_start=$(now)
log "start; load: $(uptime)"
log "logs and results: $out"

# 1. backlings in release: this is the binary a user runs; debug builds would skew it.
# Which tree is measured. Read-only: GIT_OPTIONAL_LOCKS=0 stops status from rewriting the index.
rev=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)
dirty=$(GIT_OPTIONAL_LOCKS=0 git -C "$repo" status --porcelain --untracked-files=no 2>/dev/null | wc -l)
log "repository $repo at $rev, $dirty modified tracked file(s)"
log "building backlings (release)"
(cd "$repo" && cargo build --release --quiet)
backlings="$repo/target/release/backlings"

# 2. Two identical copies of rustlings' set, one per tool, so neither tool reuses the
# other's target/ (their layouts differ: rustlings builds plain bins, backlings test bins).
log "making the rustlings sets"
"$make_set" "$work/set-rustlings"
"$make_set" "$work/set-backlings"
command -v rustlings >/dev/null || { echo "rustlings not found in $rustlings_root/bin" >&2; exit 2; }
log "$(rustlings --version); $(cargo --version)"

# run_tool TOOL KIND N: one timed run of TOOL (rustlings|backlings|course) in its directory;
# appends a row to results.tsv. Non-zero exits are recorded, not fatal: a failing check is a
# result to report, and the timing still means something.
run_tool() {
    local tool=$1 kind=$2 n=$3 logf start end rc l
    logf="$out/$tool-$kind-$n.log"
    l=$(load1)
    start=$(now)
    case "$tool" in
        # --require-solutions: backlings check requires a solution per exercise by default
        # (--allow-missing-solutions turns it off), so the anchor must check the same.
        rustlings) if (cd "$work/set-rustlings" && rustlings dev check --require-solutions) \
            >"$logf" 2>&1; then rc=0; else rc=$?; fi ;;
        backlings) if "$backlings" -C "$work/set-backlings" check ${jobs:+--jobs "$jobs"} \
            >"$logf" 2>&1; then rc=0; else rc=$?; fi ;;
        # The course's workspace is the repository itself (or its `init` copy); CARGO_TARGET_DIR
        # points at a private directory so the run neither reuses nor disturbs target/.
        course) if CARGO_TARGET_DIR="$work/course-target" "$backlings" -C "$course_dir" check \
            ${jobs:+--jobs "$jobs"} >"$logf" 2>&1; then rc=0; else rc=$?; fi ;;
    esac
    end=$(now)
    local secs
    secs=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }')
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$tool" "$kind" "$n" "$secs" "$rc" "$l" "$logf" >>"$results"
    log "$tool $kind #$n: ${secs}s exit $rc (load before: $l)"
}

clean_target() {
    case "$1" in
        rustlings) rm -rf "$work/set-rustlings/target" ;;
        backlings) rm -rf "$work/set-backlings/target" ;;
        course) rm -rf "$work/course-target" ;;
    esac
}

# 3. Cold then warm, alternating which tool goes first each round: with other builds on
# the machine, load drifts, and a fixed order would always hand the same tool the quieter
# slot. Warm runs follow the cold ones, so "warm" means nothing changed since the last run.
for i in $(seq 1 "$cold_reps"); do
    if [ $((i % 2)) = 1 ]; then order="rustlings backlings"; else order="backlings rustlings"; fi
    for tool in $order; do clean_target "$tool"; run_tool "$tool" cold "$i"; done
done
for i in $(seq 1 "$warm_reps"); do
    if [ $((i % 2)) = 1 ]; then order="backlings rustlings"; else order="rustlings backlings"; fi
    for tool in $order; do run_tool "$tool" warm "$i"; done
done

# 5. Optional: the bundled course (cold: fresh target dir; warm: again, unchanged).
if [ "$course" != 0 ]; then
    course_dir=$repo
    if [ "$course" = init ]; then
        course_dir="$work/course"
        "$backlings" init "$course_dir" >/dev/null
    fi
    log "course: $course_dir"
    for i in $(seq 1 "$cold_reps"); do clean_target course; run_tool course cold "$i"; done
    for i in $(seq 1 "$warm_reps"); do run_tool course warm "$i"; done
fi

# median TOOL KIND: median seconds of the matching rows (mean of the middle two if even).
median() {
    awk -F'\t' -v t="$1" -v k="$2" '$1 == t && $2 == k { print $4 }' "$results" | sort -n |
        awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) printf "%.2f", v[(NR + 1) / 2];
              else printf "%.2f", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
# exits TOOL KIND: the exit codes of the matching runs, e.g. "0,0,0".
exits() {
    awk -F'\t' -v t="$1" -v k="$2" '$1 == t && $2 == k { s = s (s == "" ? "" : ",") $5 } END { print s }' "$results"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b == 0) print "-"; else printf "%.1fx", a / b }'; }

# 4. The table. Cold and warm are medians over the runs (a single cold run is just itself).
rc_cold=$(median rustlings cold); rc_warm=$(median rustlings warm)
bc_cold=$(median backlings cold); bc_warm=$(median backlings warm)
echo
echo "rustlings set (94 exercises), cold x$cold_reps, warm x$warm_reps (median s)"
printf '%-22s %9s %9s   %s\n' tool "cold s" "warm s" "exit codes (cold; warm)"
printf '%-22s %9s %9s   %s\n' "rustlings dev check" "$rc_cold" "$rc_warm" "$(exits rustlings cold); $(exits rustlings warm)"
printf '%-22s %9s %9s   %s\n' "backlings check" "$bc_cold" "$bc_warm" "$(exits backlings cold); $(exits backlings warm)"
printf '%-22s %9s %9s   %s\n' "rustlings/backlings" "$(ratio "$rc_cold" "$bc_cold")" "$(ratio "$rc_warm" "$bc_warm")" "targets: cold >= 1.5x, warm >= 5x"
if [ "$course" != 0 ]; then
    printf '%-22s %9s %9s   %s\n' "backlings (course)" "$(median course cold)" "$(median course warm)" \
        "$(exits course cold); $(exits course warm)  targets: cold < 90, warm < 10"
fi

# A failing check on rustlings' own (green) set is a backlings bug: point at the evidence.
bad=$(awk -F'\t' 'NR > 1 && $5 != 0 { print $1 " " $2 " #" $3 " exit " $5 ": " $7 }' "$results")
if [ -n "$bad" ]; then
    echo
    echo "non-zero exits (see the logs):"
    echo "$bad"
    for f in $(awk -F'\t' 'NR > 1 && $5 != 0 && $1 != "rustlings" { print $7 }' "$results"); do
        echo "--- $f: $(grep -c '^FAIL' "$f" || true) FAIL line(s); summary: $(tail -n 1 "$f")"
    done
fi

echo
log "end; load: $(uptime)"
log "total $(awk -v a="$bench_start" -v b="$(now)" 'BEGIN { printf "%.0f", b - a }')s; results: $results"
