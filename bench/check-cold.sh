#!/usr/bin/env bash
# Times a cold `backlings check` of the bundled course with the wrong fixes, exercise and
# solution of each exercise merged into one test binary (the default) and with each built
# on its own (`--no-merge`), in the same run: a fresh target directory for every check,
# the order alternating between rounds. Prints both times (medians) and their ratio, and
# checks that both reports agree on every entry's status and message. The course is a
# clone of this repository's HEAD; the cargo registry is assumed downloaded.
# See bench/README.md.
#
# Usage: bench/check-cold.sh [--rounds N] [--keep]
#   --rounds N  cold checks per mode, default 1 (each takes minutes on 2 cores)
#   --keep      keep the work directory (clone, target dirs, logs, reports)
set -euo pipefail

rounds=1
keep=0
while [ $# -gt 0 ]; do
    case "$1" in
        --rounds) rounds=$2; shift 2 ;;
        --keep) keep=1; shift ;;
        -h | --help) sed -n '2,12p' "$0"; exit 0 ;;
        *) echo "unknown argument: $1 (try --help)" >&2; exit 2 ;;
    esac
done

repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/backlings-check-cold-XXXXXX)
cleanup() { if [ "$keep" = 1 ]; then echo "kept $work"; else rm -rf "$work"; fi; }
trap cleanup EXIT
log() { echo "== $*"; }

# The runner itself is not what is measured: built once, before any timing.
unset CARGO_TARGET_DIR
(cd "$repo" && cargo build --quiet)
backlings="$repo/target/debug/backlings"
git clone --quiet "$repo" "$work/course"
(cd "$work/course" && cargo fetch --quiet)
# The machine is shared: at most two compile jobs, as the brief for this bench asks.
export CARGO_BUILD_JOBS=${CARGO_BUILD_JOBS:-2}

now() { date +%s.%N; }
# run MODE ROUND: one cold check; appends "mode seconds exit load" to results.tsv.
run() {
    local mode=$1 round=$2 flag=()
    [ "$mode" = separate ] && flag=(--no-merge)
    local target="$work/target-$mode-$round"
    rm -rf "$target"
    local load t0 t1 code=0
    load=$(cut -d' ' -f1 /proc/loadavg)
    t0=$(now)
    CARGO_TARGET_DIR="$target" "$backlings" -C "$work/course" check "${flag[@]}" \
        --format json --output "$work/report-$mode-$round.json" \
        >"$work/log-$mode-$round.txt" 2>&1 || code=$?
    t1=$(now)
    local secs
    secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
    printf '%s\t%s\t%s\t%s\n' "$mode" "$secs" "$code" "$load" >>"$work/results.tsv"
    log "$mode (round $round): ${secs} s, exit $code, load before ${load}"
    # The builds' own times: the set's (merged: only what could not merge), then the
    # merged crates' (and the fallbacks').
    grep '^built in' "$work/log-$mode-$round.txt" | sed 's/^/   /' || true
    # Only the target directory's size is of interest afterwards; the space is not.
    du -sh "$target" | awk -v m="$mode" '{ print "   target dir (" m "): " $1 }'
    rm -rf "$target"
}

log "$(uptime)"
for round in $(seq 1 "$rounds"); do
    if [ $((round % 2)) = 1 ]; then order="merged separate"; else order="separate merged"; fi
    for mode in $order; do run "$mode" "$round"; done
done
log "$(uptime)"

median() {
    awk -v m="$1" -F'\t' '$1 == m { print $2 }' "$work/results.tsv" | sort -n |
        awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.1f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
merged=$(median merged)
separate=$(median separate)
printf '%-10s %8s s\n' merged "$merged" separate "$separate"
awk -v a="$separate" -v b="$merged" 'BEGIN { printf "separate/merged: %.2fx (target: merged < 150 s cold on 2 cores)\n", a / b }'

# Merging must change no outcome: the same entries with the same statuses. Messages name
# the failing tests, and some of the course's tests race by design (a static shared by
# tests on parallel threads, timings): which of them fail varies from run to run in either
# mode, so differing messages are listed, not failed on.
if command -v jq >/dev/null; then
    statuses() { jq -r '.entries[] | [.kind, .name, .status] | @tsv' "$1" | sort; }
    messages() { jq -r '.entries[] | [.kind, .name, .message] | @tsv' "$1" | sort; }
    merged_report="$work/report-merged-1.json" separate_report="$work/report-separate-1.json"
    if ! diff <(statuses "$merged_report") <(statuses "$separate_report") >"$work/statuses.diff"; then
        echo "STATUSES DIFFER:"; cat "$work/statuses.diff"; keep=1; exit 1
    fi
    echo "reports agree on every entry's status ($(statuses "$merged_report" | wc -l) entries)"
    if ! diff <(messages "$merged_report") <(messages "$separate_report") >"$work/messages.diff"; then
        echo "messages differing (which racing tests failed this time):"
        grep '^[<>]' "$work/messages.diff" | cut -c1-160
    fi
fi
