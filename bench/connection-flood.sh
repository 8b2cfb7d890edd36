#!/usr/bin/env bash
# Connection flood: FAST subscribers on one topic at RATE ev/s, while IDLE connections that never send
# a request and LORIS connections that drip header bytes (bench/connection_flood.py) hold the HTTP
# port, reopened as soon as the broker closes them. Each repetition runs twice on a fresh broker,
# without and with the flood, so the fast subscribers' p99 can be compared within one run of the
# script; the broker's counters at shutdown show how the flood was answered.
#
#   bench/connection-flood.sh
#   IDLE=15000 LORIS=1000 REPEATS=3 bench/connection-flood.sh
#
# Options (environment variables):
#   FAST=1000  RATE=100  IDLE=15000  LORIS=500  SECONDS_PER_RUN=60  REPEATS=3  PAYLOAD_BYTES=100
#   FLOOD_NICE=0   niceness of the flood client: 19 leaves it only the CPU the broker and the load generator
#                  do not take, to tell the broker's own cost of the flood from the client's
#   OUT=bench/results/conn-flood-<timestamp>   BROKER_HTTP_PORT=18096 BROKER_INGEST_PORT=17096
#
# Only loopback is used (flood sources 127.0.0.2-5); the broker, load generator and flood client
# this script starts are stopped by PID on exit, and each stops by itself after its run.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
JAR="$ROOT/broker-cli/target/sse-broker.jar"
FAST="${FAST:-1000}"
RATE="${RATE:-100}"
IDLE="${IDLE:-15000}"
LORIS="${LORIS:-500}"
SECONDS_PER_RUN="${SECONDS_PER_RUN:-60}"
REPEATS="${REPEATS:-3}"
PAYLOAD_BYTES="${PAYLOAD_BYTES:-100}"
FLOOD_NICE="${FLOOD_NICE:-0}"
BROKER_HTTP_PORT="${BROKER_HTTP_PORT:-18096}"
BROKER_INGEST_PORT="${BROKER_INGEST_PORT:-17096}"
OUT="${OUT:-bench/results/conn-flood-$(date +%Y%m%d-%H%M%S)}"
mkdir -p "$OUT"
[ -f "$JAR" ] || { echo "build first: ./mvnw -q -DskipTests package" >&2; exit 1; }
ulimit -n 20000

BROKER_PID=""; FLOOD_PID=""
stop() { if [ -n "$1" ]; then kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; fi; }
cleanup() { stop "$FLOOD_PID"; stop "$BROKER_PID"; }
trap cleanup EXIT

json_number() { grep -o "\"$2\": [-0-9.enul]*" "$1" | head -1 | awk '{ print $2 }'; }
# CPU seconds (user + system) a running process has used.
cpu_seconds() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.1f", ($14 + $15) / hz }' "/proc/$1/stat"; }
# Busy and total jiffies of the whole machine.
machine_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8, $2 + $3 + $4 + $5 + $6 + $7 + $8 }' /proc/stat; }

run() {
    local mode="$1" rep="$2" dir="$OUT/$1-$2"
    mkdir -p "$dir"
    "$ROOT/bin/sse-broker" --http-port "$BROKER_HTTP_PORT" --ingest-port "$BROKER_INGEST_PORT" > "$dir/broker.log" 2>&1 &
    BROKER_PID=$!
    for _ in $(seq 1 100); do grep -q "SSE broker running" "$dir/broker.log" 2>/dev/null && break; sleep 0.1; done
    grep -q "SSE broker running" "$dir/broker.log" || { echo "broker did not start:" >&2; tail -5 "$dir/broker.log" >&2; exit 1; }
    if [ "$mode" = flood ]; then
        nice -n "$FLOOD_NICE" python3 "$HERE/connection_flood.py" 127.0.0.1 "$BROKER_HTTP_PORT" "$IDLE" "$LORIS" "$((SECONDS_PER_RUN + 10))" \
            > "$dir/flood.json" &
        FLOOD_PID=$!
        sleep 5
    fi
    local before after
    before="$(machine_ticks)"
    java -jar "$JAR" loadgen --subscribers "$FAST" --topics 1 --rate "$RATE" --payload-bytes "$PAYLOAD_BYTES" \
        --sub-url "http://127.0.0.1:$BROKER_HTTP_PORT/events?topic={topic}" --publish "ingest://127.0.0.1:$BROKER_INGEST_PORT" \
        --ramp-seconds 2 --warmup-seconds 3 --duration-seconds "$SECONDS_PER_RUN" --drain-seconds 2 \
        --label "$mode" --out "$dir" > "$dir/loadgen.log" 2>&1
    after="$(machine_ticks)"
    local broker_cpu busy
    broker_cpu="$(cpu_seconds "$BROKER_PID")"
    busy="$(echo "$before $after" | awk '{ printf "%.2f", ($3 - $1) / ($4 - $2) * '"$(nproc)"' }')"
    if [ -n "$FLOOD_PID" ]; then wait "$FLOOD_PID" || true; FLOOD_PID=""; fi
    stop "$BROKER_PID"; BROKER_PID=""
    local flood="-"
    [ -f "$dir/flood.json" ] && flood="$(cat "$dir/flood.json")"
    echo "| $rep | $mode | $(json_number "$dir/summary.json" p50) | $(json_number "$dir/summary.json" p99) |" \
        "$(json_number "$dir/summary.json" deliveryRatio) | $(json_number "$dir/summary.json" disconnects) | $flood |" \
        "$broker_cpu | $busy |" \
        "$(grep '^broker stopped:' "$dir/broker.log" | sed 's/^broker stopped: //') |" | tee -a "$OUT/summary.md"
}

{
    echo "FAST=$FAST RATE=$RATE IDLE=$IDLE LORIS=$LORIS SECONDS_PER_RUN=$SECONDS_PER_RUN FLOOD_NICE=$FLOOD_NICE, $(nproc) CPUs," \
        "$(java -version 2>&1 | head -1), commit $(git -C "$ROOT" rev-parse --short HEAD)"
    echo
    echo "| rep | mode | fast p50 µs | fast p99 µs | fast delivery ratio | fast disconnects | flood |" \
        "broker CPU s (whole life) | machine busy cores (load generator's run) | broker counters |"
    echo "|---|---|---|---|---|---|---|---|---|---|"
} | tee "$OUT/summary.md"
for rep in $(seq 1 "$REPEATS"); do
    run baseline "$rep"
    run flood "$rep"
done
echo "written to $OUT/summary.md"
