#!/usr/bin/env bash
# What one cluster node pays as nodes are added: 1, 2 and 3 broker nodes on one nats-server, events published at
# a fixed rate through node 1, the same subscribers on every node. For each node, over the measurement window:
# CPU seconds (user+sys, /proc/PID/stat), events consumed from the stream (sse_cluster_events_consumed_total),
# events delivered (sse_events_delivered_total), and from them CPU per consumed event and per delivered event. The
# cost a node pays for the cluster should follow the events, not the number of nodes.
#
# Processes on loopback, not network namespaces: this machine kind allows network traffic on loopback only.
# Everything (nats-server, nodes, load generators) shares the machine's cores, so compare the nodes of one run
# and the runs with each other, not with a machine of their own.
#
# usage: bench/cluster-scale.sh            (NODES="1 2 3" RATE=5000 SUBS_PER_NODE=50 TOPICS=10 WARMUP=5 MEASURE=10)
# needs: nats-server (Debian: nats-server), curl, the built jar (./mvnw -q -DskipTests package).
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
JAR="$ROOT/broker-cli/target/sse-broker.jar"
NODES="${NODES:-1 2 3}"
RATE="${RATE:-5000}"
SUBS_PER_NODE="${SUBS_PER_NODE:-50}"
TOPICS="${TOPICS:-10}"
WARMUP="${WARMUP:-5}"
MEASURE="${MEASURE:-10}"
NATS_PORT="${NATS_PORT:-14555}"
HTTP_BASE=18180
INGEST_BASE=17170
OUT="$(mktemp -d)"
PIDS=()

cleanup()
{
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$OUT/store"
}
trap cleanup EXIT

[ -f "$JAR" ] || { echo "build first: ./mvnw -q -DskipTests package" >&2; exit 1; }
NATS="$(command -v nats-server || echo /usr/sbin/nats-server)"
"$NATS" -js -a 127.0.0.1 -p "$NATS_PORT" -sd "$OUT/store" > "$OUT/nats.log" 2>&1 &
NATS_PID=$!
PIDS+=("$NATS_PID")
sleep 1

ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
metric() { curl -s "http://127.0.0.1:$1/metrics" | awk -v name="$2" '$1 ~ "^"name"(\\{|$)" {s += $2} END {printf "%d", s}'; }
hz="$(getconf CLK_TCK)"

echo "rate $RATE ev/s over $TOPICS topics, $SUBS_PER_NODE subscribers per node, window ${MEASURE}s; commit $(git -C "$ROOT" rev-parse --short HEAD)"
printf '%-6s %-5s %10s %12s %12s %14s %14s %10s\n' nodes node cpu_s consumed delivered us/consumed us/delivered nats_cpu_s
for count in $NODES; do
    stream="scale${count}x$$"
    node_pids=()
    for ((i = 1; i <= count; i++)); do
        java -Xmx512m -jar "$JAR" serve --host 127.0.0.1 --http-port $((HTTP_BASE + i)) --ingest-port $((INGEST_BASE + i)) \
            --nats-url "nats://127.0.0.1:$NATS_PORT" --nats-stream "$stream" > "$OUT/node-$count-$i.log" 2>&1 &
        node_pids+=("$!")
        PIDS+=("$!")
    done
    for ((i = 1; i <= count; i++)); do
        for _ in $(seq 1 300); do
            curl -sf "http://127.0.0.1:$((HTTP_BASE + i))/ready" > /dev/null && break
            sleep 0.1
        done
    done
    total=$((WARMUP + MEASURE + 4))
    lg_pids=()
    for ((i = 1; i <= count; i++)); do
        rate=0
        [ "$i" -eq 1 ] && rate="$RATE"
        java -Xmx512m -jar "$JAR" loadgen --subscribers "$SUBS_PER_NODE" --topics "$TOPICS" --rate "$rate" \
            --publish "ingest://127.0.0.1:$((INGEST_BASE + 1))" \
            --sub-url "http://127.0.0.1:$((HTTP_BASE + i))/events?topic={topic}" \
            --warmup-seconds "$WARMUP" --duration-seconds "$((MEASURE + 2))" > "$OUT/loadgen-$count-$i.log" 2>&1 &
        lg_pids+=("$!")
        PIDS+=("$!")
    done
    sleep "$((WARMUP + 2))"
    declare -A cpu0 con0 del0
    for ((i = 1; i <= count; i++)); do
        pid="${node_pids[$((i - 1))]}"
        cpu0[$i]="$(ticks "$pid")"
        con0[$i]="$(metric $((HTTP_BASE + i)) sse_cluster_events_consumed_total)"
        del0[$i]="$(metric $((HTTP_BASE + i)) sse_events_delivered_total)"
    done
    nats0="$(ticks "$NATS_PID")"
    sleep "$MEASURE"
    nats1="$(ticks "$NATS_PID")"
    for ((i = 1; i <= count; i++)); do
        pid="${node_pids[$((i - 1))]}"
        cpu=$(( $(ticks "$pid") - cpu0[$i] ))
        con=$(( $(metric $((HTTP_BASE + i)) sse_cluster_events_consumed_total) - con0[$i] ))
        del=$(( $(metric $((HTTP_BASE + i)) sse_events_delivered_total) - del0[$i] ))
        awk -v n="$count" -v i="$i" -v cpu="$cpu" -v hz="$hz" -v con="$con" -v del="$del" -v nats=$((nats1 - nats0)) \
            'BEGIN { s = cpu / hz; printf "%-6s %-5s %10.2f %12d %12d %14.2f %14.2f %10.2f\n", n, i, s, con, del,
                     con ? s * 1e6 / con : 0, del ? s * 1e6 / del : 0, nats / hz }'
    done
    for pid in "${lg_pids[@]}"; do wait "$pid" || true; done
    for pid in "${node_pids[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
    grep -h "delivered in window\|^gaps" "$OUT/loadgen-$count-1.log" | sed 's/^/    node 1 loadgen: /'
done
echo "logs: $OUT"
