#!/usr/bin/env bash
# One load point, broker and load generator side by side, with the CPU each used: for telling which side a
# saturated point is short of. One topic, SUBSCRIBERS streams over PROTOCOL (h2: 100 per connection), RATE
# events/s of 100 bytes for 30 s (10 s warm-up, 20 s window); CPU of the broker and of the load generator
# (parent and child JVM) read from /proc over 10 s inside the window; the broker's counters at shutdown.
#
#   PROTOCOL=h2 SUBSCRIBERS=10000 RATE=1000 bench/protocol-point.sh
#
# Options (environment variables): PROTOCOL=h2  SUBSCRIBERS=10000  RATE=1000  OUT=bench/results/point-<timestamp>
#   BROKER_HTTP_PORT=18080 BROKER_INGEST_PORT=17070
#
# Loopback only (sources 127.0.0.2-5); the broker and load generator it starts are stopped by PID.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
JAR="$ROOT/broker-cli/target/sse-broker.jar"
PROTOCOL="${PROTOCOL:-h2}"
SUBSCRIBERS="${SUBSCRIBERS:-10000}"
RATE="${RATE:-1000}"
BROKER_HTTP_PORT="${BROKER_HTTP_PORT:-18080}"
BROKER_INGEST_PORT="${BROKER_INGEST_PORT:-17070}"
OUT="${OUT:-$ROOT/bench/results/point-$(date -u +%Y%m%dT%H%M%SZ)}"
[ -f "$JAR" ] || { echo "build first: ./mvnw -q -DskipTests package" >&2; exit 1; }
mkdir -p "$OUT"
ulimit -n 20000

BROKER_PID=""; LOADGEN_PID=""
cleanup() {
    for pid in $LOADGEN_PID $BROKER_PID; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT

# CPU ticks (user + system) of a process and of its children that are still running.
ticks() {
    local total=0 pid
    for pid in "$@" $(pgrep -P "$1" 2>/dev/null || true); do
        total=$(( total + $(awk '{ print $14 + $15 }' "/proc/$pid/stat" 2>/dev/null || echo 0) ))
    done
    echo "$total"
}

java -jar "$JAR" serve --http-port "$BROKER_HTTP_PORT" --ingest-port "$BROKER_INGEST_PORT" > "$OUT/broker.log" 2>&1 &
BROKER_PID=$!
for _ in $(seq 1 100); do grep -q "SSE broker running" "$OUT/broker.log" 2>/dev/null && break; sleep 0.1; done
grep -q "SSE broker running" "$OUT/broker.log" || { echo "broker did not start" >&2; exit 1; }

ramp=$(( SUBSCRIBERS / 2000 + 2 ))
java -Xmx1g -Dio.netty.leakDetection.level=disabled -jar "$JAR" loadgen --subscribers "$SUBSCRIBERS" --topics 1 \
    --rate "$RATE" --payload-bytes 100 --sub-url "http://127.0.0.1:$BROKER_HTTP_PORT/events?topic={topic}" \
    --protocol "$PROTOCOL" --publish "ingest://127.0.0.1:$BROKER_INGEST_PORT" \
    --source-addresses 127.0.0.2,127.0.0.3,127.0.0.4,127.0.0.5 --ramp-seconds "$ramp" --warmup-seconds 10 \
    --duration-seconds 20 --drain-seconds 3 --processes $(( (SUBSCRIBERS + 9999) / 10000 )) \
    --out "$OUT" > "$OUT/loadgen.log" 2>&1 &
LOADGEN_PID=$!
sleep $(( ramp + 3 + 10 + 5 ))
hz="$(getconf CLK_TCK)"
b0="$(ticks "$BROKER_PID")"; l0="$(ticks "$LOADGEN_PID")"
sleep 10
b1="$(ticks "$BROKER_PID")"; l1="$(ticks "$LOADGEN_PID")"
wait "$LOADGEN_PID" || echo "loadgen exited with $? (see $OUT/loadgen.log)"
LOADGEN_PID=""
kill "$BROKER_PID"; wait "$BROKER_PID" 2>/dev/null || true; BROKER_PID=""
{
    echo "PROTOCOL=$PROTOCOL SUBSCRIBERS=$SUBSCRIBERS RATE=$RATE, $(nproc) CPUs, commit $(git -C "$ROOT" rev-parse --short HEAD)"
    awk -v b=$(( b1 - b0 )) -v l=$(( l1 - l0 )) -v hz="$hz" \
        'BEGIN { printf "broker cores %.2f, load generator cores %.2f (10 s inside the window)\n", b / hz / 10, l / hz / 10 }'
    grep -h "measure" "$OUT/loadgen.log" | tail -3
    grep -h "^broker stopped:" "$OUT/broker.log"
    echo "warnings in the broker's log: $(grep -c ' WARN ' "$OUT/broker.log" || true)"
} | tee "$OUT/summary.txt"
