#!/usr/bin/env bash
# Churn soak: for RUN_SECONDS, CHURN_RATE subscriptions a second open and close (bench/churn_clients.py:
# mixed topics, mixed Last-Event-ID, half closed with a reset) while a publisher sends RATE ev/s over
# TOPICS topics and STEADY subscribers stay connected throughout. The broker's heap, heap after GC
# (a full GC is requested every 30 s), direct memory and RSS are sampled every second
# (bench/MemorySampler.java); the slope of each over the run is the figure: memory that grows with
# churn is a leak whatever its size.
#
#   bench/churn-soak.sh                       # 10 minutes
#   RUN_SECONDS=120 bench/churn-soak.sh           # a short look
#
# Options (environment variables):
#   RUN_SECONDS=600  CHURN_RATE=1000  TOPICS=100  RATE=1000  STEADY=1000  PAYLOAD_BYTES=100
#   OUT=bench/results/churn-<timestamp>   BROKER_HTTP_PORT=18098 BROKER_INGEST_PORT=17098
#
# Only loopback is used (churn sources 127.0.0.2-5); everything this script starts is stopped by PID
# on exit and stops by itself after its run.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
JAR="$ROOT/broker-cli/target/sse-broker.jar"
RUN_SECONDS="${RUN_SECONDS:-600}"
CHURN_RATE="${CHURN_RATE:-1000}"
TOPICS="${TOPICS:-100}"
RATE="${RATE:-1000}"
STEADY="${STEADY:-1000}"
PAYLOAD_BYTES="${PAYLOAD_BYTES:-100}"
BROKER_HTTP_PORT="${BROKER_HTTP_PORT:-18098}"
BROKER_INGEST_PORT="${BROKER_INGEST_PORT:-17098}"
OUT="${OUT:-bench/results/churn-$(date +%Y%m%d-%H%M%S)}"
mkdir -p "$OUT"
[ -f "$JAR" ] || { echo "build first: ./mvnw -q -DskipTests package" >&2; exit 1; }
ulimit -n 20000

BROKER_PID=""; SAMPLER_PID=""; CHURN_PID=""
stop() { if [ -n "$1" ]; then kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; fi; }
cleanup() { stop "$CHURN_PID"; stop "$SAMPLER_PID"; stop "$BROKER_PID"; }
trap cleanup EXIT

"$ROOT/bin/sse-broker" --http-port "$BROKER_HTTP_PORT" --ingest-port "$BROKER_INGEST_PORT" > "$OUT/broker.log" 2>&1 &
BROKER_PID=$!
for _ in $(seq 1 100); do grep -q "SSE broker running" "$OUT/broker.log" 2>/dev/null && break; sleep 0.1; done
grep -q "SSE broker running" "$OUT/broker.log" || { echo "broker did not start:" >&2; tail -5 "$OUT/broker.log" >&2; exit 1; }
# Steady subscribers and the publisher first; the churn and the sampling start once publishing runs.
java -jar "$JAR" loadgen --subscribers "$STEADY" --topics "$TOPICS" --rate "$RATE" --payload-bytes "$PAYLOAD_BYTES" \
    --sub-url "http://127.0.0.1:$BROKER_HTTP_PORT/events?topic={topic}" --publish "ingest://127.0.0.1:$BROKER_INGEST_PORT" \
    --ramp-seconds 2 --warmup-seconds 8 --duration-seconds "$RUN_SECONDS" --drain-seconds 2 \
    --out "$OUT" > "$OUT/loadgen.log" 2>&1 &
LOADGEN_PID=$!
sleep 10
python3 "$HERE/churn_clients.py" 127.0.0.1 "$BROKER_HTTP_PORT" "$CHURN_RATE" "$TOPICS" "$RUN_SECONDS" > "$OUT/churn.json" &
CHURN_PID=$!
java "$HERE/MemorySampler.java" "$BROKER_PID" "$RUN_SECONDS" 30 > "$OUT/memory.txt" 2>&1 &
SAMPLER_PID=$!
wait "$LOADGEN_PID" || true
wait "$CHURN_PID" || true; CHURN_PID=""
wait "$SAMPLER_PID" || true; SAMPLER_PID=""
stop "$BROKER_PID"; BROKER_PID=""

json_number() { grep -o "\"$2\": [-0-9.enul]*" "$1" | head -1 | awk '{ print $2 }'; }
{
    echo "RUN_SECONDS=$RUN_SECONDS CHURN_RATE=$CHURN_RATE TOPICS=$TOPICS RATE=$RATE STEADY=$STEADY PAYLOAD_BYTES=$PAYLOAD_BYTES," \
        "$(nproc) CPUs, $(java -version 2>&1 | head -1), commit $(git -C "$ROOT" rev-parse --short HEAD)"
    echo
    echo "- memory: $(grep '^# max' "$OUT/memory.txt" | sed 's/^# //')"
    echo "- memory: $(grep '^# slope' "$OUT/memory.txt" | sed 's/^# //')"
    echo "- memory: $(grep "^# second-half" "$OUT/memory.txt" | sed "s/^# //")"
    echo "- heap after GC at the full GCs (MiB): $(awk '$1 ~ /^[0-9]+$/ && $1 % 30 == 1 { printf "%.1f ", $3 / 1048576 }' "$OUT/memory.txt")"
    echo "- churn: $(cat "$OUT/churn.json")"
    echo "- steady subscribers: delivery ratio $(json_number "$OUT/summary.json" deliveryRatio)," \
        "gaps $(json_number "$OUT/summary.json" gaps), duplicates $(json_number "$OUT/summary.json" duplicates)," \
        "disconnects $(json_number "$OUT/summary.json" disconnects), p99 $(json_number "$OUT/summary.json" p99) µs"
    echo "- broker: $(grep '^broker stopped:' "$OUT/broker.log" | sed 's/^broker stopped: //')"
} | tee "$OUT/summary.md"
