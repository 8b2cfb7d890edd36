#!/usr/bin/env bash
# Fuzzing soak: the build's three Jazzer targets (fuzz-ingest, fuzz-http, fuzz-client-decoder, see
# docs/reliability.md, Fuzzing) with their budgets raised. Each target runs in its own JVM, one after
# the other, until it has run its share of INPUTS or its share of MINUTES, whichever comes first,
# with Netty's leak detection at paranoid as in the build. The generated corpus stays under
# broker-server/target/fuzz, so a later run goes on from it (delete that folder for a fresh start).
#
#   bench/fuzz-soak.sh                        # 10,000,000 inputs across the targets, at most 60 min
#   INPUTS=300000 MINUTES=15 bench/fuzz-soak.sh
#
# Options (environment variables):
#   INPUTS=10000000   inputs across the three targets, a third each
#   MINUTES=60        wall time across the three targets, a third each (Jazzer's start-up not counted)
#   OUT=bench/results/fuzz-soak-<timestamp>.log
#
# Prints, per target, the inputs run, the seconds and the rate; a finding fails the run and is
# written to broker-server/target/fuzz/<target>-finding.txt and a crash-* file beside it. Runs
# offline once the build's dependencies are in the local repository. Every JVM it starts stops by
# itself when its budget is spent.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
INPUTS="${INPUTS:-10000000}"
MINUTES="${MINUTES:-60}"
OUT="${OUT:-bench/results/fuzz-soak-$(date +%Y%m%d-%H%M%S).log}"

cd "$ROOT"
mkdir -p "$(dirname "$OUT")"
PER_TARGET_INPUTS=$(( INPUTS / 3 ))
PER_TARGET_SECONDS=$(( MINUTES * 60 / 3 ))
echo "fuzz soak: up to $PER_TARGET_INPUTS inputs or ${PER_TARGET_SECONDS} s per target; log $OUT"
echo "commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown); $(nproc) CPUs; $(java -version 2>&1 | head -1)"

status=0
# Only the fuzz executions: default-test selects nothing (-Dtest=none), checkstyle is the build's business.
./mvnw -B -o -pl broker-server -am verify \
    -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false -Dcheckstyle.skip \
    -Dfuzz.executions="$PER_TARGET_INPUTS" -Dfuzz.duration="${PER_TARGET_SECONDS}s" > "$OUT" 2>&1 || status=$?

echo
printf '%-28s %12s %10s %10s\n' target inputs seconds inputs/s
for target in IngestFuzzTest HttpFuzzTest IngestFrameDecoderFuzzTest; do
    # libFuzzer's own count for the target's execution, as it printed it at the end.
    line=$(awk -v t="$target" '$0 ~ "Running .*"t {found=1} found && /^Done [0-9]+ runs in [0-9]+ second/ {print; exit}' "$OUT")
    if [ -n "$line" ]; then
        runs=$(echo "$line" | awk '{print $2}')
        secs=$(echo "$line" | awk '{print $5}')
        printf '%-28s %12s %10s %10s\n' "$target" "$runs" "$secs" "$(( runs / (secs > 0 ? secs : 1) ))"
    else
        printf '%-28s %12s\n' "$target" "no result (see $OUT)"
    fi
done
grep -h "^fuzz .*serving probes" broker-server/target/surefire-reports/*FuzzTest-output.txt 2>/dev/null | tail -n 3 || true
if [ "$status" -ne 0 ]; then
    echo "FAILED (exit $status): see $OUT and broker-server/target/fuzz/*-finding.txt"
fi
exit "$status"
