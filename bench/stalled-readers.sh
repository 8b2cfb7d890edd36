#!/usr/bin/env bash
# Stalled readers: FAST subscribers that read, plus STALLED that never read, on one topic at RATE ev/s.
# Each repetition runs twice on a fresh broker, without and with the stalled ones, so the fast
# subscribers' p99 can be compared within one run of the script; and reports when the stalled ones
# were evicted and how much the broker's kernel held for them.
#
#   bench/stalled-readers.sh
#   SNDBUF=0 bench/stalled-readers.sh          # kernel auto-tuning instead of the broker's default bound
#
# Options (environment variables):
#   FAST=10000  STALLED=100  RATE=100  SECONDS_PER_RUN=60  REPEATS=3  PAYLOAD_BYTES=100
#   SNDBUF=""  (empty: the broker's default --socket-send-buffer-bytes; a number is passed as is)
#   OUT=bench/results/stalled-<timestamp>   BROKER_HTTP_PORT=8091 BROKER_INGEST_PORT=7091
#
# Only loopback is used; the broker, load generator and stalled clients this script starts are
# stopped by PID on exit, and each stops by itself after its run.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
JAR="$ROOT/broker-cli/target/sse-broker.jar"
FAST="${FAST:-10000}"
STALLED="${STALLED:-100}"
RATE="${RATE:-100}"
SECONDS_PER_RUN="${SECONDS_PER_RUN:-60}"
REPEATS="${REPEATS:-3}"
PAYLOAD_BYTES="${PAYLOAD_BYTES:-100}"
SNDBUF="${SNDBUF:-}"
BROKER_HTTP_PORT="${BROKER_HTTP_PORT:-8091}"
BROKER_INGEST_PORT="${BROKER_INGEST_PORT:-7091}"
OUT="${OUT:-bench/results/stalled-$(date +%Y%m%d-%H%M%S)}"
mkdir -p "$OUT"
[ -f "$JAR" ] || { echo "build first: ./mvnw -q -DskipTests package" >&2; exit 1; }

BROKER_PID=""; STALLED_PID=""
stop() { if [ -n "$1" ]; then kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; fi; }
cleanup() { stop "$STALLED_PID"; stop "$BROKER_PID"; }
trap cleanup EXIT

json_number() { grep -o "\"$2\": [-0-9.enul]*" "$1" | head -1 | awk '{ print $2 }'; }

run() {
    local mode="$1" rep="$2" dir="$OUT/$1-$2"
    mkdir -p "$dir"
    local sndbuf_args=()
    [ -n "$SNDBUF" ] && sndbuf_args=(--socket-send-buffer-bytes "$SNDBUF")
    "$ROOT/bin/sse-broker" --http-port "$BROKER_HTTP_PORT" --ingest-port "$BROKER_INGEST_PORT" "${sndbuf_args[@]}" \
        > "$dir/broker.log" 2>&1 &
    BROKER_PID=$!
    for _ in $(seq 1 100); do grep -q "SSE broker running" "$dir/broker.log" 2>/dev/null && break; sleep 0.1; done
    if [ "$mode" = stalled ]; then
        python3 "$HERE/stalled_readers.py" 127.0.0.1 "$BROKER_HTTP_PORT" t0 "$STALLED" "$((SECONDS_PER_RUN + 10))" \
            > "$dir/stalled.json" &
        STALLED_PID=$!
    fi
    java -jar "$JAR" loadgen --subscribers "$FAST" --topics 1 --rate "$RATE" --payload-bytes "$PAYLOAD_BYTES" \
        --sub-url "http://127.0.0.1:$BROKER_HTTP_PORT/events?topic={topic}" --publish "ingest://127.0.0.1:$BROKER_INGEST_PORT" \
        --ramp-seconds 5 --warmup-seconds 5 --duration-seconds "$SECONDS_PER_RUN" --drain-seconds 2 \
        --label "$mode" --out "$dir" > "$dir/loadgen.log" 2>&1
    if [ -n "$STALLED_PID" ]; then wait "$STALLED_PID" || true; STALLED_PID=""; fi
    local rss_kb; rss_kb="$(awk '/^VmRSS:/ {print $2}' "/proc/$BROKER_PID/status")"
    stop "$BROKER_PID"; BROKER_PID=""
    local p50 p99 ratio stalled="-"
    p50="$(json_number "$dir/summary.json" p50)"; p99="$(json_number "$dir/summary.json" p99)"
    ratio="$(json_number "$dir/summary.json" deliveryRatio)"
    [ -f "$dir/stalled.json" ] && stalled="$(cat "$dir/stalled.json")"
    echo "| $rep | $mode | $p50 | $p99 | $ratio | $((rss_kb / 1024)) | $stalled |" | tee -a "$OUT/summary.md"
}

{
    echo "FAST=$FAST STALLED=$STALLED RATE=$RATE SECONDS_PER_RUN=$SECONDS_PER_RUN SNDBUF=${SNDBUF:-default} $(nproc) CPUs, $(java -version 2>&1 | head -1), commit $(git -C "$ROOT" rev-parse --short HEAD)"
    echo
    echo "| rep | mode | fast p50 µs | fast p99 µs | fast delivery ratio | broker RSS MiB | stalled readers |"
    echo "|---|---|---|---|---|---|---|"
} | tee "$OUT/summary.md"
for rep in $(seq 1 "$REPEATS"); do
    run baseline "$rep"
    run stalled "$rep"
done
echo "written to $OUT/summary.md"
