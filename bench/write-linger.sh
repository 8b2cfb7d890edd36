#!/usr/bin/env bash
# The write linger (--write-linger-us, issue 11) across values: one bench/compare-nchan.sh run of the broker alone per
# linger, at the same load points, and one table of all of them (CPU per delivery user / sys, write syscalls per
# second and deliveries per write syscall counted with perf where it can, wake-ups per second, p50 / p99).
#
#   bench/write-linger.sh                                           # 1,000 subscribers x 1,000 and 100 ev/s
#   LINGERS="0 5000" SUBSCRIBERS=10000 RATES="100 1000" bench/write-linger.sh
#   LINGERS="0 5000" PROTOCOL=h2 TARGETS=broker bench/write-linger.sh
#
# Options (environment variables), besides compare-nchan.sh's own (SECONDS_PER_POINT, WARMUP_SECONDS, PROTOCOL, ...):
#   LINGERS="0 1000 2000 5000 10000"   write linger values in µs, one broker run each
#   SUBSCRIBERS=1000  RATES="1000 100"  TOPICS=1   the load points (one topic: every event to every subscriber)
#   OUT=bench/results/write-linger-<timestamp>
#
# Loopback only; each compare-nchan.sh run stops what it started. Builds nothing: expects
# broker-cli/target/sse-broker.jar. Results in docs/performance.md ("Write linger").
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
LINGERS="${LINGERS:-0 1000 2000 5000 10000}"
export SUBSCRIBERS="${SUBSCRIBERS:-1000}"
export RATES="${RATES:-1000 100}"
export TOPICS="${TOPICS:-1}"
export TARGETS="${TARGETS:-broker}"
export SKIP_INSTALL="${SKIP_INSTALL:-1}"
OUT="${OUT:-$HERE/results/write-linger-$(date +%Y%m%d-%H%M%S)}"
mkdir -p "$OUT"
TABLE="$OUT/results.md"
extra_args="${BROKER_ARGS:-}"

for linger in $LINGERS; do
    BROKER_ARGS="$extra_args --write-linger-us $linger" OUT="$OUT/linger-$linger" "$HERE/compare-nchan.sh" matrix \
        >"$OUT/linger-$linger.log" 2>&1 || echo "linger $linger: compare-nchan.sh failed (see $OUT/linger-$linger.log)"
    if [ ! -f "$TABLE" ] && [ -f "$OUT/linger-$linger/results.md" ]; then
        # The first run's header (machine, JDK, commit, how syscalls were counted) and the table's column names.
        awk '/^\| server /{ print "| write linger µs " $0; getline; print "|---" $0; exit } { print }' \
            "$OUT/linger-$linger/results.md" >"$TABLE"
    fi
    grep '^| broker' "$OUT/linger-$linger/results.md" 2>/dev/null | sed "s/^/| $linger /" >>"$TABLE" || true
done
cat "$TABLE"
