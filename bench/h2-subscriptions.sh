#!/usr/bin/env bash
# Many HTTP/2 subscriptions on one broker: SUBSCRIPTIONS streams over SUBSCRIPTIONS/STREAMS_PER_CONNECTION
# h2c connections (default 100,000 over 1,000), all on one topic; then events at RATE/s fanned out to all.
#
#   bench/h2-subscriptions.sh
#
# Records (printed and written to $OUT/summary.txt):
#   - broker RSS and live heap (after a full GC) with 0 subscriptions and with all of them -> bytes per subscription
#   - delivery latency of every event to every subscription (the load generator's HdrHistogram, from the
#     intended publish time): p50/p99/max is the time for an event to reach all of them
#
# Options (environment variables):
#   SUBSCRIPTIONS=100000  STREAMS_PER_CONNECTION=100  RATE=2 (events/s)  SECONDS_PER_POINT=20  WARMUP_SECONDS=5
#   PAYLOAD_BYTES=100  LOADGEN_PROCESSES=1  OUT=bench/results/h2-<timestamp>
#   BROKER_JAVA_OPTS="" (empty: bin/sse-broker's defaults)   BROKER_HTTP_PORT=8090 BROKER_INGEST_PORT=7090
#
# Only loopback is used; the broker and load generator this script starts are stopped by PID on exit.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
JAR="$ROOT/broker-cli/target/sse-broker.jar"
SUBSCRIPTIONS="${SUBSCRIPTIONS:-100000}"
STREAMS_PER_CONNECTION="${STREAMS_PER_CONNECTION:-100}"
RATE="${RATE:-2}"
SECONDS_PER_POINT="${SECONDS_PER_POINT:-20}"
WARMUP_SECONDS="${WARMUP_SECONDS:-5}"
PAYLOAD_BYTES="${PAYLOAD_BYTES:-100}"
LOADGEN_PROCESSES="${LOADGEN_PROCESSES:-1}"
BROKER_HTTP_PORT="${BROKER_HTTP_PORT:-8090}"
BROKER_INGEST_PORT="${BROKER_INGEST_PORT:-7090}"
OUT="${OUT:-bench/results/h2-$(date +%Y%m%d-%H%M%S)}"
mkdir -p "$OUT"
[ -f "$JAR" ] || { echo "build first: ./mvnw -q -DskipTests package" >&2; exit 1; }

BROKER_PID=""
cleanup() { if [ -n "$BROKER_PID" ]; then kill "$BROKER_PID" 2>/dev/null || true; wait "$BROKER_PID" 2>/dev/null || true; fi; }
trap cleanup EXIT

rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
live_heap_kib() {
    jcmd "$1" GC.run >/dev/null
    jcmd "$1" GC.heap_info | awk '/garbage-first heap/ {for (i = 1; i <= NF; i++) if ($i == "used") {v = $(i+1); sub("K,?", "", v); print v}}'
}

if [ -n "${BROKER_JAVA_OPTS:-}" ]; then export JAVA_OPTS="$BROKER_JAVA_OPTS"; fi
"$ROOT/bin/sse-broker" --http-port "$BROKER_HTTP_PORT" --ingest-port "$BROKER_INGEST_PORT" \
    --h2-max-concurrent-streams "$STREAMS_PER_CONNECTION" > "$OUT/broker.log" 2>&1 &
BROKER_PID=$!
for _ in $(seq 1 100); do grep -q "SSE broker running" "$OUT/broker.log" 2>/dev/null && break; sleep 0.1; done
sleep 2
RSS0=$(rss_kib "$BROKER_PID"); HEAP0=$(live_heap_kib "$BROKER_PID")

# Phase 1: connect everything, publish nothing, measure memory.
java -jar "$JAR" loadgen --protocol h2 --h2-streams-per-connection "$STREAMS_PER_CONNECTION" \
    --subscribers "$SUBSCRIPTIONS" --topics 1 --rate 0 --processes "$LOADGEN_PROCESSES" \
    --sub-url "http://127.0.0.1:$BROKER_HTTP_PORT/events?topic={topic}" --publish "ingest://127.0.0.1:$BROKER_INGEST_PORT" \
    --ramp-seconds 20 --warmup-seconds 25 --duration-seconds "$SECONDS_PER_POINT" --drain-seconds 1 \
    --label idle --out "$OUT/idle" > "$OUT/loadgen-idle.log" 2>&1 &
LG=$!
for _ in $(seq 1 600); do
    n=$(grep -o 'subs [0-9]*' "$OUT/loadgen-idle.log" 2>/dev/null | tail -1 | awk '{print $2}' || true)
    [ "${n:-0}" -ge "$SUBSCRIPTIONS" ] && break
    sleep 0.5
done
sleep 3
RSS1=$(rss_kib "$BROKER_PID"); HEAP1=$(live_heap_kib "$BROKER_PID")
wait "$LG" || true

# Phase 2: the same subscriptions with events fanned out to all of them.
java -jar "$JAR" loadgen --protocol h2 --h2-streams-per-connection "$STREAMS_PER_CONNECTION" \
    --subscribers "$SUBSCRIPTIONS" --topics 1 --rate "$RATE" --payload-bytes "$PAYLOAD_BYTES" --processes "$LOADGEN_PROCESSES" \
    --sub-url "http://127.0.0.1:$BROKER_HTTP_PORT/events?topic={topic}" --publish "ingest://127.0.0.1:$BROKER_INGEST_PORT" \
    --ramp-seconds 20 --warmup-seconds "$((20 + WARMUP_SECONDS))" --duration-seconds "$SECONDS_PER_POINT" --drain-seconds 5 \
    --label fanout --out "$OUT/fanout" > "$OUT/loadgen-fanout.log" 2>&1 || true

{
    echo "subscriptions $SUBSCRIPTIONS over $((SUBSCRIPTIONS / STREAMS_PER_CONNECTION)) h2c connections, commit $(git -C "$ROOT" rev-parse --short HEAD)"
    echo "broker RSS KiB: $RSS0 idle -> $RSS1 with subscriptions: $(( (RSS1 - RSS0) * 1024 / SUBSCRIPTIONS )) bytes per subscription"
    echo "broker live heap KiB: $HEAP0 -> $HEAP1: $(( (HEAP1 - HEAP0) * 1024 / SUBSCRIPTIONS )) bytes per subscription"
    grep -E "^subscribers|^delivered|^gaps|^latency" "$OUT/fanout/"*.txt 2>/dev/null || sed -n '/--- summary/,$p' "$OUT/loadgen-fanout.log"
} | tee "$OUT/summary.txt"
