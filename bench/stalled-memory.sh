#!/usr/bin/env bash
# Memory per stalled subscriber, broker and kernel. Two runs on a fresh broker each, without and with
# STALLED subscribers that never read, while one topic is published at RATE ev/s. History and grace are
# made large enough that nothing is evicted, so the figure is what a stalled subscriber holds at its
# bound just before eviction. After FILL_SECONDS of publishing it reads: the broker-side Send-Q of the
# stalled connections (ss), the heap after a full GC, Netty's direct memory (NMT "Other") and the RSS.
#
#   bench/stalled-memory.sh
#   SNDBUF=0 bench/stalled-memory.sh          # kernel auto-tuning instead of the default bound
#
# Options (environment variables):
#   STALLED=1000  RATE=1000  FILL_SECONDS=20  PAYLOAD_BYTES=100
#   SNDBUF=""  (empty: the broker's default --socket-send-buffer-bytes; a number is passed as is)
#   BROKER_HTTP_PORT=18092 BROKER_INGEST_PORT=17092
#
# Only loopback is used; everything this script starts is stopped by PID on exit and stops by itself.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
JAR="$ROOT/broker-cli/target/sse-broker.jar"
STALLED="${STALLED:-1000}"
RATE="${RATE:-1000}"
FILL_SECONDS="${FILL_SECONDS:-20}"
PAYLOAD_BYTES="${PAYLOAD_BYTES:-100}"
SNDBUF="${SNDBUF:-}"
BROKER_HTTP_PORT="${BROKER_HTTP_PORT:-18092}"
BROKER_INGEST_PORT="${BROKER_INGEST_PORT:-17092}"
[ -f "$JAR" ] || { echo "build first: ./mvnw -q -DskipTests package" >&2; exit 1; }
TMP="$(mktemp -d)"

BROKER_PID=""; STALLED_PID=""; LOADGEN_PID=""
stop() { if [ -n "$1" ]; then kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; fi; }
cleanup() { stop "$LOADGEN_PID"; stop "$STALLED_PID"; stop "$BROKER_PID"; rm -rf "$TMP"; }
trap cleanup EXIT

# One line of figures for a run: Send-Q total, heap used after GC, direct (NMT Other), RSS; all bytes.
measure() {
    local sendq heap direct rss
    sendq="$(ss -tanH sport = :"$BROKER_HTTP_PORT" | awk '{ q += $3 } END { print q + 0 }')"
    jcmd "$BROKER_PID" GC.run > /dev/null
    heap="$(jcmd "$BROKER_PID" GC.heap_info | grep -o 'used [0-9]*K' | head -1 | tr -dc 0-9)"
    direct="$(jcmd "$BROKER_PID" VM.native_memory summary | grep -A1 -- '- *Other' | grep -o 'committed=[0-9]*KB' | head -1 | tr -dc 0-9)"
    rss="$(awk '/^VmRSS:/ { print $2 }' "/proc/$BROKER_PID/status")"
    echo "$sendq $((heap * 1024)) $((direct * 1024)) $((rss * 1024))"
}

run() {
    local mode="$1"
    local sndbuf_args=()
    [ -n "$SNDBUF" ] && sndbuf_args=(--socket-send-buffer-bytes "$SNDBUF")
    JAVA_OPTS="-XX:+UseG1GC -XX:MaxNewSize=32m -XX:NativeMemoryTracking=summary" \
        "$ROOT/bin/sse-broker" --http-port "$BROKER_HTTP_PORT" --ingest-port "$BROKER_INGEST_PORT" \
        --history-count 1000000 --history-bytes 1073741824 --slow-grace-ms 3600000 "${sndbuf_args[@]}" \
        > "$TMP/broker-$mode.log" 2>&1 &
    BROKER_PID=$!
    for _ in $(seq 1 100); do grep -q "SSE broker running" "$TMP/broker-$mode.log" 2>/dev/null && break; sleep 0.1; done
    grep -q "SSE broker running" "$TMP/broker-$mode.log" || { echo "broker did not start:" >&2; tail -5 "$TMP/broker-$mode.log" >&2; exit 1; }
    if [ "$mode" = stalled ]; then
        python3 "$HERE/stalled_readers.py" 127.0.0.1 "$BROKER_HTTP_PORT" t0 "$STALLED" "$((FILL_SECONDS + 8))" \
            > "$TMP/stalled.json" &
        STALLED_PID=$!
        sleep 2
    fi
    java -jar "$JAR" loadgen --subscribers 1 --topics 1 --rate "$RATE" --payload-bytes "$PAYLOAD_BYTES" \
        --sub-url "http://127.0.0.1:$BROKER_HTTP_PORT/events?topic={topic}" --publish "ingest://127.0.0.1:$BROKER_INGEST_PORT" \
        --ramp-seconds 1 --warmup-seconds 1 --duration-seconds "$((FILL_SECONDS + 5))" --drain-seconds 1 \
        --out "$TMP/loadgen-$mode" > "$TMP/loadgen-$mode.log" 2>&1 &
    LOADGEN_PID=$!
    sleep "$((FILL_SECONDS + 2))"
    measure > "$TMP/$mode.figures"
    stop "$LOADGEN_PID"; LOADGEN_PID=""
    if [ -n "$STALLED_PID" ]; then wait "$STALLED_PID" || true; STALLED_PID=""; fi
    stop "$BROKER_PID"; BROKER_PID=""
}

run baseline
run stalled
read -r bq bh bd br < "$TMP/baseline.figures"
read -r sq sh sd sr < "$TMP/stalled.figures"
per() { echo $(( ($2 - $1) / STALLED )); }
echo "STALLED=$STALLED RATE=$RATE FILL_SECONDS=$FILL_SECONDS PAYLOAD_BYTES=$PAYLOAD_BYTES SNDBUF=${SNDBUF:-default}," \
    "$(nproc) CPUs, $(java -version 2>&1 | head -1), commit $(git -C "$ROOT" rev-parse --short HEAD)"
echo
echo "| per stalled subscriber | bytes |"
echo "|---|---|"
echo "| kernel send queue (broker side) | $(per "$bq" "$sq") |"
echo "| broker heap after GC | $(per "$bh" "$sh") |"
echo "| broker direct memory (NMT Other) | $(per "$bd" "$sd") |"
echo "| broker RSS | $(per "$br" "$sr") |"
echo
echo "stalled readers: $(cat "$TMP/stalled.json")"
