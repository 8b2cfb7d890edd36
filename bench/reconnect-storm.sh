#!/usr/bin/env bash
# Reconnect storm (docs/reliability.md, "Reconnect storm"): SUBSCRIBERS subscribers each close their own stream
# DROPS times while RATE events/s are published for SECONDS s, and resume with Last-Event-ID after
# RECONNECT_DELAY_MS. Every subscriber's union of events over all its connections must be exactly its topic's
# published sequence, no duplicate, no reset; the load generator exits 2 otherwise (see docs/loadgen.md,
# "Reconnect storm"). Records reconnect times (drop -> next 200), the time until all are back after the last
# drop, and the broker's CPU.
#
#   bench/reconnect-storm.sh                                  # 10,000 x 5 drops, 60 s at 100 ev/s, HTTP/1.1
#   DROP_MODE=burst bench/reconnect-storm.sh                  # everyone drops at the same 5 instants
#   SUBSCRIBERS=1000 SECONDS=15 PROTOCOL=h2 bench/reconnect-storm.sh
#
# Options (environment variables):
#   SUBSCRIBERS=10000  DROPS=5  RATE=100  SECONDS=60 (of publishing)  PROTOCOL=h1|h2  DROP_MODE=random|burst
#   TOPICS=10  RECONNECT_DELAY_MS=1000  RAMP_SECONDS=10  DRAIN_SECONDS=5  PROCESSES=1 (loadgen child JVMs)
#   STREAMS_PER_CONNECTION=20 (h2; the broker answers more than 200 RST_STREAM per connection in 30 s with GOAWAY)
#   PAYLOAD_BYTES=100  BROKER_JAVA_OPTS="" (empty: bin/sse-broker's defaults)
#   OUT=bench/results/storm-<timestamp>  BROKER_HTTP_PORT=8097  BROKER_INGEST_PORT=7097
#
# Builds nothing: expects broker-cli/target/sse-broker.jar (./mvnw -q -DskipTests package). Loopback only;
# widens net.ipv4.ip_local_port_range when allowed and spreads connections over 127.0.0.2-127.0.0.5, since every
# HTTP/1.1 drop leaves a TIME_WAIT socket on the client side. The broker and the load generator this script
# starts are stopped by PID on exit; the load generator also stops by itself (at most 30 s after its drain
# while streams settle), and is killed by `timeout` if it overruns by two minutes.
set -euo pipefail
# bash counts SECONDS up from the value it was given: read it before anything takes time.
PUBLISH_SECONDS="$SECONDS"
[ "$PUBLISH_SECONDS" -gt 0 ] || PUBLISH_SECONDS=60
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
JAR="$ROOT/broker-cli/target/sse-broker.jar"
SUBSCRIBERS="${SUBSCRIBERS:-10000}"
DROPS="${DROPS:-5}"
RATE="${RATE:-100}"
PROTOCOL="${PROTOCOL:-h1}"
DROP_MODE="${DROP_MODE:-random}"
TOPICS="${TOPICS:-10}"
RECONNECT_DELAY_MS="${RECONNECT_DELAY_MS:-1000}"
RAMP_SECONDS="${RAMP_SECONDS:-10}"
DRAIN_SECONDS="${DRAIN_SECONDS:-5}"
PROCESSES="${PROCESSES:-1}"
STREAMS_PER_CONNECTION="${STREAMS_PER_CONNECTION:-20}"
PAYLOAD_BYTES="${PAYLOAD_BYTES:-100}"
BROKER_HTTP_PORT="${BROKER_HTTP_PORT:-8097}"
BROKER_INGEST_PORT="${BROKER_INGEST_PORT:-7097}"
SOURCES="127.0.0.2,127.0.0.3,127.0.0.4,127.0.0.5"
OUT="${OUT:-bench/results/storm-$(date -u +%Y%m%d-%H%M%S)}"
mkdir -p "$OUT"
[ -f "$JAR" ] || { echo "build first: ./mvnw -q -DskipTests package" >&2; exit 1; }

BROKER_PID=""
cleanup() { if [ -n "$BROKER_PID" ]; then kill "$BROKER_PID" 2>/dev/null || true; wait "$BROKER_PID" 2>/dev/null || true; fi; }
trap cleanup EXIT

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
# CPU of this shell's waited-for children (the load generator and its child JVMs, once they have exited).
child_ticks() { awk '{ print $16 + $17 }' "/proc/$$/stat"; }
# Busy ticks of the whole machine (every process, ours or not), and all ticks.
machine_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8, $2 + $3 + $4 + $5 + $6 + $7 + $8 }' /proc/stat; }
json_number() { grep -o "\"$2\": [-0-9.enul]*" "$1" | head -1 | awk '{ print $2 }'; }
reconnect_us() { grep -o '"reconnectUs": {[^}]*}' "$1" | grep -o "\"$2\": [0-9]*" | awk '{ print $2 }'; }

ulimit -n "$(ulimit -Hn)" || echo "could not raise ulimit -n" >&2
sysctl -w net.ipv4.ip_local_port_range="1024 65000" >/dev/null 2>&1 || echo "could not widen the local port range" >&2

if [ -n "${BROKER_JAVA_OPTS:-}" ]; then export JAVA_OPTS="$BROKER_JAVA_OPTS"; fi
"$ROOT/bin/sse-broker" --http-port "$BROKER_HTTP_PORT" --ingest-port "$BROKER_INGEST_PORT" > "$OUT/broker.log" 2>&1 &
BROKER_PID=$!
for _ in $(seq 1 100); do grep -q "SSE broker running" "$OUT/broker.log" 2>/dev/null && break; sleep 0.1; done
grep -q "SSE broker running" "$OUT/broker.log" || { echo "broker did not start; see $OUT/broker.log" >&2; exit 1; }

CPU0=$(cpu_ticks "$BROKER_PID")
LG0=$(child_ticks)
read -r BUSY0 ALL0 <<< "$(machine_ticks)"
T0=$(date +%s.%N)
status=0
timeout $((RAMP_SECONDS + PUBLISH_SECONDS + DRAIN_SECONDS + 150)) \
    java -jar "$JAR" loadgen --subscribers "$SUBSCRIBERS" --protocol "$PROTOCOL" \
    --h2-streams-per-connection "$STREAMS_PER_CONNECTION" --topics "$TOPICS" --rate "$RATE" \
    --payload-bytes "$PAYLOAD_BYTES" --processes "$PROCESSES" --source-addresses "$SOURCES" \
    --sub-url "http://127.0.0.1:$BROKER_HTTP_PORT/events?topic={topic}" --publish "ingest://127.0.0.1:$BROKER_INGEST_PORT" \
    --drops-per-subscriber "$DROPS" --drop-mode "$DROP_MODE" --reconnect-delay-ms "$RECONNECT_DELAY_MS" \
    --ramp-seconds "$RAMP_SECONDS" --warmup-seconds 0 --duration-seconds "$PUBLISH_SECONDS" --drain-seconds "$DRAIN_SECONDS" \
    --label "storm-$PROTOCOL-$DROP_MODE" --out "$OUT" > "$OUT/loadgen.log" 2>&1 || status=$?
T1=$(date +%s.%N)
CPU1=$(cpu_ticks "$BROKER_PID")
LG1=$(child_ticks)
read -r BUSY1 ALL1 <<< "$(machine_ticks)"
RSS_KIB=$(awk '/^VmRSS:/ { print $2 }' "/proc/$BROKER_PID/status")
kill "$BROKER_PID"; wait "$BROKER_PID" 2>/dev/null || true; BROKER_PID=""

HZ=$(getconf CLK_TCK)
S="$OUT/summary.json"
[ -f "$S" ] || { echo "no summary (loadgen exit $status); see $OUT/loadgen.log" >&2; exit 1; }
passed=$(grep -o '"exactCheckPassed": [a-z]*' "$S" | awk '{ print $2 }')
{
    echo "reconnect storm: $SUBSCRIBERS subscribers ($PROTOCOL), $DROPS drops each ($DROP_MODE), $RATE ev/s for ${PUBLISH_SECONDS} s on $TOPICS topics, reconnect delay $RECONNECT_DELAY_MS ms"
    echo "commit $(git -C "$ROOT" rev-parse --short HEAD), $(nproc) CPUs, $(java -version 2>&1 | head -1), loadgen exit $status"
    echo
    echo "| union exact | events per subscriber | self-drops (late, not made) | not back | reconnect p50 / p99 / max ms | all back ms | resets | broker CPU s (cores) | loadgen CPU s | machine busy, all processes (cores) | broker RSS MiB | broker log warnings |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
    awk -v passed="$passed" -v planned="$(json_number "$S" planned)" -v topics="$TOPICS" \
        -v drops="$(json_number "$S" selfDrops)" -v late="$(json_number "$S" lateDrops)" -v notmade="$(json_number "$S" dropsNotMade)" \
        -v notback="$(json_number "$S" notBack)" -v p50="$(reconnect_us "$S" p50)" -v p99="$(reconnect_us "$S" p99)" \
        -v max="$(reconnect_us "$S" max)" -v back="$(json_number "$S" allBackMs)" -v resets="$(json_number "$S" resets)" \
        -v cpu0="$CPU0" -v cpu1="$CPU1" -v hz="$HZ" -v t0="$T0" -v t1="$T1" -v rss="$RSS_KIB" \
        -v lg="$((LG1 - LG0))" -v busy="$((BUSY1 - BUSY0))" -v all="$((ALL1 - ALL0))" -v cpus="$(nproc)" \
        -v warnings="$(grep -c -E 'WARN|SEVERE' "$OUT/broker.log" || true)" 'BEGIN {
            cpu = (cpu1 - cpu0) / hz
            printf "| %s | %d | %d (%d, %d) | %d | %.0f / %.0f / %.0f | %.0f | %d | %.1f (%.2f) | %.1f | %.2f | %.0f | %d |\n",
                passed == "true" ? "yes" : "NO", planned / topics, drops, late, notmade, notback,
                p50 / 1000, p99 / 1000, max / 1000, back, resets, cpu, cpu / (t1 - t0), lg / hz,
                cpus * busy / all, rss / 1024, warnings
        }'
} | tee "$OUT/summary.md"
echo
sed -n '/--- summary/,$p' "$OUT/loadgen.log"
echo "written to $OUT"
exit "$status"
