#!/usr/bin/env bash
# POST /publish throughput on ONE connection: HTTP/1.1 pipelined (wrk, DEPTH requests written at once)
# and h2c with concurrent streams (h2load, up to STREAMS streams in flight). 100-byte bodies, one topic.
#
#   bench/publish-throughput.sh
#
# Prints a markdown table (also $OUT/results.md): client, requests in flight, publishes/s, non-2xx,
# broker CPU seconds per 100,000 publishes.
#
# Options (environment variables):
#   SECONDS_PER_POINT=10  DEPTHS="1 32 256 1024" (HTTP/1.1)  STREAMS="1 100 256 1000" (h2)
#   BODY_BYTES=100  BROKER_HTTP_PORT=8095 BROKER_INGEST_PORT=7095  OUT=bench/results/publish-<timestamp>
#   BROKER_JAVA_OPTS="" (empty: bin/sse-broker's defaults)
# Needs wrk and h2load (Debian wrk, nghttp2-client); the broker jar is built when missing.
# Only loopback is used; the broker this script starts is stopped by its PID on exit.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
JAR="$ROOT/broker-cli/target/sse-broker.jar"
SECONDS_PER_POINT="${SECONDS_PER_POINT:-10}"
DEPTHS="${DEPTHS:-1 32 256 1024}"
STREAMS="${STREAMS:-1 100 256 1000}"
BODY_BYTES="${BODY_BYTES:-100}"
BROKER_HTTP_PORT="${BROKER_HTTP_PORT:-8095}"
BROKER_INGEST_PORT="${BROKER_INGEST_PORT:-7095}"
OUT="${OUT:-$ROOT/bench/results/publish-$(date -u +%Y%m%dT%H%M%SZ)}"
CLK_TCK="$(getconf CLK_TCK)"
URL="http://127.0.0.1:$BROKER_HTTP_PORT"

for tool in wrk h2load; do
    command -v "$tool" >/dev/null || { echo "$tool is missing: apt-get install wrk nghttp2-client" >&2; exit 1; }
done
mkdir -p "$OUT"
[ -f "$JAR" ] || (cd "$ROOT" && ./mvnw -q -DskipTests package)

BROKER_PID=""
cleanup() { if [ -n "$BROKER_PID" ]; then kill "$BROKER_PID" 2>/dev/null || true; wait "$BROKER_PID" 2>/dev/null || true; fi; }
trap cleanup EXIT

cpu_ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }

if [ -n "${BROKER_JAVA_OPTS:-}" ]; then export JAVA_OPTS="$BROKER_JAVA_OPTS"; fi
"$ROOT/bin/sse-broker" serve --http-port "$BROKER_HTTP_PORT" --ingest-port "$BROKER_INGEST_PORT" >"$OUT/broker.log" 2>&1 &
BROKER_PID=$!
for _ in $(seq 1 100); do grep -q "SSE broker running" "$OUT/broker.log" 2>/dev/null && break; sleep 0.1; done
head -c "$BODY_BYTES" /dev/zero | tr '\0' 'x' >"$OUT/body"

# JIT warm-up over both protocols, not measured.
h2load -n 300000 -c 1 -m 100 -d "$OUT/body" -H 'Content-Type: text/plain' "$URL/publish?topic=bench" >/dev/null
DEPTH=256 BODY_BYTES="$BODY_BYTES" wrk -t1 -c1 -d5s -s "$HERE/wrk-pipelined-publish.lua" "$URL" >/dev/null

TABLE="$OUT/results.md"
{
    echo "$(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo),"
    echo "$(java -version 2>&1 | head -1), commit $(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo unknown), ${BODY_BYTES}-byte bodies, one topic, one connection."
    echo
    echo "| client | protocol | in flight | publishes/s | non-2xx | broker CPU s per 100k publishes |"
    echo "|---|---|---|---|---|---|"
} >"$TABLE"

for depth in $DEPTHS; do
    before="$(cpu_ticks "$BROKER_PID")"
    DEPTH="$depth" BODY_BYTES="$BODY_BYTES" wrk -t1 -c1 -d"${SECONDS_PER_POINT}s" -s "$HERE/wrk-pipelined-publish.lua" "$URL" \
        >"$OUT/wrk-$depth.txt" 2>&1
    after="$(cpu_ticks "$BROKER_PID")"
    awk -v d="$depth" -v a="$before" -v b="$after" -v t="$CLK_TCK" '
        / requests in / { n = $1 }
        /Requests\/sec:/ { rate = $2 }
        /Non-2xx/ { bad = $NF }
        END { printf "| wrk | HTTP/1.1 pipelined | %d | %.0f | %d | %.2f |\n", d, rate, bad, (n > 0 ? (b - a) / t * 100000 / n : 0) }
    ' "$OUT/wrk-$depth.txt" >>"$TABLE"
done

for streams in $STREAMS; do
    # About SECONDS_PER_POINT seconds at the rate the depth reached: h2load runs a fixed count.
    count=$(( streams == 1 ? 50000 : 100000 * SECONDS_PER_POINT ))
    before="$(cpu_ticks "$BROKER_PID")"
    h2load -n "$count" -c 1 -m "$streams" -d "$OUT/body" -H 'Content-Type: text/plain' "$URL/publish?topic=bench" \
        >"$OUT/h2load-$streams.txt" 2>&1
    after="$(cpu_ticks "$BROKER_PID")"
    awk -v m="$streams" -v a="$before" -v b="$after" -v t="$CLK_TCK" '
        /^finished in/ { rate = $4 }
        /^requests:/ { n = $2 }
        /^status codes:/ { bad = $5 + $7 + $9 }
        END { printf "| h2load | h2c | %d | %.0f | %d | %.2f |\n", m, rate, bad, (n > 0 ? (b - a) / t * 100000 / n : 0) }
    ' "$OUT/h2load-$streams.txt" >>"$TABLE"
done
cat "$TABLE"
