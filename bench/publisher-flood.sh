#!/usr/bin/env bash
# Publisher flood: SUBSCRIBERS on one topic while a publisher tries to push FACTOR × CAPACITY ev/s for
# RUN_SECONDS, once per factor, on a fresh broker each. CAPACITY is the rate the broker carries at that
# subscriber count with every event delivered and p99 under a second (docs/reliability.md says how
# it was found). Reports, per run:
# - the publisher: events planned, sent, acknowledged, failed, and its largest lag behind schedule
#   (back-pressure shows as sent < planned and a growing lag, never as a failure);
# - the subscribers: expected vs delivered, gaps (unexplained), gaps right after a broker reset (the
#   stream was evicted and history no longer reached back: accounted for), resets, duplicates, disconnects;
# - the broker's own counters at shutdown (evictions by reason);
# - heap, heap after GC, direct memory and RSS, sampled every second (bench/MemorySampler.java):
#   maximum and slope.
#
#   bench/publisher-flood.sh
#   FACTORS=2 RUN_SECONDS=20 SUBSCRIBERS=2000 bench/publisher-flood.sh      # a short look
#
# Options (environment variables):
#   SUBSCRIBERS=10000  CAPACITY=2000  FACTORS="2 5"  RUN_SECONDS=60  PAYLOAD_BYTES=100
#   OUT=bench/results/flood-<timestamp>  BROKER_HTTP_PORT=18094 BROKER_INGEST_PORT=17094
#
# Only loopback is used; the broker, sampler and load generator are stopped by PID on exit, and each
# stops by itself after its run.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
JAR="$ROOT/broker-cli/target/sse-broker.jar"
SUBSCRIBERS="${SUBSCRIBERS:-10000}"
CAPACITY="${CAPACITY:-2000}"
FACTORS="${FACTORS:-2 5}"
RUN_SECONDS="${RUN_SECONDS:-60}"
PAYLOAD_BYTES="${PAYLOAD_BYTES:-100}"
BROKER_HTTP_PORT="${BROKER_HTTP_PORT:-18094}"
BROKER_INGEST_PORT="${BROKER_INGEST_PORT:-17094}"
OUT="${OUT:-bench/results/flood-$(date +%Y%m%d-%H%M%S)}"
mkdir -p "$OUT"
[ -f "$JAR" ] || { echo "build first: ./mvnw -q -DskipTests package" >&2; exit 1; }
RAMP=10; WARMUP=5; DRAIN=10

BROKER_PID=""; SAMPLER_PID=""
stop() { if [ -n "$1" ]; then kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; fi; }
cleanup() { stop "$SAMPLER_PID"; stop "$BROKER_PID"; }
trap cleanup EXIT

json_number() { grep -o "\"$2\": [-0-9.enul]*" "$1" | head -1 | awk '{ print $2 }'; }

run() {
    local factor="$1" dir="$OUT/x$1"
    local rate=$((CAPACITY * factor))
    mkdir -p "$dir"
    "$ROOT/bin/sse-broker" --http-port "$BROKER_HTTP_PORT" --ingest-port "$BROKER_INGEST_PORT" > "$dir/broker.log" 2>&1 &
    BROKER_PID=$!
    for _ in $(seq 1 100); do grep -q "SSE broker running" "$dir/broker.log" 2>/dev/null && break; sleep 0.1; done
    grep -q "SSE broker running" "$dir/broker.log" || { echo "broker did not start:" >&2; tail -5 "$dir/broker.log" >&2; exit 1; }
    java "$HERE/MemorySampler.java" "$BROKER_PID" "$((RAMP + WARMUP + RUN_SECONDS + DRAIN))" 10 > "$dir/memory.txt" 2>&1 &
    SAMPLER_PID=$!
    java -jar "$JAR" loadgen --subscribers "$SUBSCRIBERS" --topics 1 --rate "$rate" --payload-bytes "$PAYLOAD_BYTES" \
        --sub-url "http://127.0.0.1:$BROKER_HTTP_PORT/events?topic={topic}" --publish "ingest://127.0.0.1:$BROKER_INGEST_PORT" \
        --ramp-seconds "$RAMP" --warmup-seconds "$WARMUP" --duration-seconds "$RUN_SECONDS" --drain-seconds "$DRAIN" \
        --label "x$factor" --out "$dir" > "$dir/loadgen.log" 2>&1 || true
    wait "$SAMPLER_PID" || true; SAMPLER_PID=""
    stop "$BROKER_PID"; BROKER_PID=""
    local s="$dir/summary.json" counters
    counters="$(grep '^broker stopped:' "$dir/broker.log" | sed 's/^broker stopped: //')"
    echo "| ${factor}× | $rate | $(json_number "$s" planned) | $(json_number "$s" sent) | $(json_number "$s" acked) |" \
        "$(json_number "$s" publishFailed) | $(json_number "$s" publishAbandoned) | $(awk "BEGIN { printf \"%.1f\", $(json_number "$s" maxPublishLagNs) / 1e9 }") |" \
        "$(json_number "$s" expected) | $(json_number "$s" delivered) | $(json_number "$s" gaps) |" \
        "$(json_number "$s" gapsAfterReset) / $(json_number "$s" resets) | $(json_number "$s" duplicates) |" \
        "$(json_number "$s" disconnects) | $(json_number "$s" p99) |" \
        "$(grep '^# max' "$dir/memory.txt" | sed 's/# max MiB: //') | $(grep '^# slope' "$dir/memory.txt" | sed 's/# slope MiB\/min: //') |" \
        "$counters |" | tee -a "$OUT/summary.md"
}

{
    echo "SUBSCRIBERS=$SUBSCRIBERS CAPACITY=$CAPACITY RUN_SECONDS=$RUN_SECONDS PAYLOAD_BYTES=$PAYLOAD_BYTES, $(nproc) CPUs," \
        "$(java -version 2>&1 | head -1), commit $(git -C "$ROOT" rev-parse --short HEAD)"
    echo
    echo "| load | rate ev/s | planned | sent | acked | failed | held back at end | max lag s | expected | delivered | gaps | gaps after reset / resets | dups | disconnects | p99 µs | max MiB | slope MiB/min | broker counters |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
} | tee "$OUT/summary.md"
for factor in $FACTORS; do
    run "$factor"
done
echo "written to $OUT/summary.md"
