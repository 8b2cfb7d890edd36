#!/usr/bin/env bash
# What JetStream replication costs: a cluster of three nats-servers on loopback (JetStream, file store), and
# the same stream at one replica (R1) and at three (R3), measured by bench/JetStreamCeiling.java (no broker:
# one jnats connection publishing 100-byte messages asynchronously with a Nats-Msg-Id, a window of acks in
# flight) and then through one broker node (`serve --nats-url` with `--nats-replicas`), with the load generator.
#
# For each replication factor:
#   - throughput: acknowledged publishes/s with WINDOW acks in flight, without and with one ordered consumer
#     reading back (as every node does);
#   - publish-to-ack latency at one message in flight (a round trip through the stream's leader and, at R3,
#     its quorum);
#   - end to end through one node: delivered/s, p50 and p99 at RATE ev/s over 10 topics, 10 subscribers.
# The three servers, the node and the load generator share this machine's cores, so the figures compare R1
# with R3 here; a cluster of machines has its own.
#
# usage: bench/jetstream-replicas.sh        (REPLICAS="1 3" SECONDS_PER_RUN=10 WINDOW=8192 RATE=10000)
# needs: nats-server (Debian: nats-server), curl, python3, the built jar (./mvnw -q -DskipTests package) and jnats in the
# local Maven repository (the build puts it there).
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
JAR="$ROOT/broker-cli/target/sse-broker.jar"
REPLICAS="${REPLICAS:-1 3}"
SECONDS_PER_RUN="${SECONDS_PER_RUN:-10}"
WINDOW="${WINDOW:-8192}"
RATE="${RATE:-10000}"
CLIENT_BASE=14640
ROUTE_BASE=16640
MONITOR_BASE=18640
HTTP_PORT=18291
INGEST_PORT=17291
OUT="$(mktemp -d)"
PIDS=()

cleanup()
{
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$OUT"
}
trap cleanup EXIT

[ -f "$JAR" ] || { echo "build first: ./mvnw -q -DskipTests package" >&2; exit 1; }
NATS="$(command -v nats-server || echo /usr/sbin/nats-server)"
[ -x "$NATS" ] || { echo "nats-server is not installed (Debian: apt-get install nats-server)" >&2; exit 1; }
JNATS="$(ls "$HOME"/.m2/repository/io/nats/jnats/*/jnats-*.jar 2>/dev/null | grep -v sources | tail -1)"
[ -n "$JNATS" ] || { echo "jnats is not in the local Maven repository: build first" >&2; exit 1; }

# Three servers, each routing to the other two.
for i in 1 2 3; do
    routes=""
    for j in 1 2 3; do
        [ "$j" = "$i" ] || routes="$routes nats-route://127.0.0.1:$((ROUTE_BASE + j))"
    done
    mkdir -p "$OUT/store-$i"
    cat > "$OUT/n$i.conf" <<EOF
server_name: n$i
listen: 127.0.0.1:$((CLIENT_BASE + i))
http: 127.0.0.1:$((MONITOR_BASE + i))
jetstream { store_dir: "$OUT/store-$i" }
cluster {
  name: sse-replicas
  listen: 127.0.0.1:$((ROUTE_BASE + i))
  routes: [$(echo "$routes" | sed 's/^ //; s/ /, /g')]
}
EOF
    "$NATS" -c "$OUT/n$i.conf" > "$OUT/n$i.log" 2>&1 &
    PIDS+=("$!")
done
URL="nats://127.0.0.1:$((CLIENT_BASE + 1))"

# JetStream is ready once the meta group has a leader.
for _ in $(seq 1 100); do
    if curl -fs "http://127.0.0.1:$((MONITOR_BASE + 1))/jsz" 2>/dev/null | grep -q '"leader"'; then
        break
    fi
    sleep 0.2
done
curl -fs "http://127.0.0.1:$((MONITOR_BASE + 1))/jsz" | grep -q '"leader"' ||
    { echo "the JetStream cluster elected no meta leader; see $OUT/n*.log" >&2; exit 1; }

ceiling() { java -cp "$JNATS" "$HERE/JetStreamCeiling.java" "$URL" "$SECONDS_PER_RUN" "$@"; }

echo "3 nats-servers ($("$NATS" --version)) on loopback, $(nproc) CPUs, $(java -version 2>&1 | head -1)," \
    "commit $(git -C "$ROOT" rev-parse --short HEAD)"
for replicas in $REPLICAS; do
    echo
    echo "== replicas $replicas"
    echo "-- JetStream alone, $WINDOW in flight, no consumer"
    ceiling "$WINDOW" none "$replicas"
    echo "-- JetStream alone, $WINDOW in flight, one ordered consumer (pulls of 8192, as a node)"
    ceiling "$WINDOW" pull:8192 "$replicas"
    echo "-- JetStream alone, 1 in flight (publish-to-ack round trip)"
    ceiling 1 none "$replicas"

    echo "-- through one node: $RATE ev/s over 10 topics, 10 subscribers"
    stream="replicas${replicas}x$$"
    java -Xmx512m -jar "$JAR" serve --host 127.0.0.1 --http-port "$HTTP_PORT" --ingest-port "$INGEST_PORT" \
        --nats-url "$URL" --nats-stream "$stream" --nats-replicas "$replicas" > "$OUT/node-$replicas.log" 2>&1 &
    node=$!
    PIDS+=("$node")
    for _ in $(seq 1 150); do
        curl -fs "http://127.0.0.1:$HTTP_PORT/ready" >/dev/null 2>&1 && break
        sleep 0.2
    done
    curl -fs "http://127.0.0.1:$HTTP_PORT/ready" >/dev/null || { echo "node not ready; see $OUT/node-$replicas.log" >&2; exit 1; }
    java -jar "$JAR" loadgen --subscribers 10 --topics 10 --rate "$RATE" --publish "ingest://127.0.0.1:$INGEST_PORT" \
        --sub-url "http://127.0.0.1:$HTTP_PORT/events?topic={topic}" --duration-seconds "$SECONDS_PER_RUN" \
        --warmup-seconds 5 --out "$OUT/loadgen-$replicas" > "$OUT/loadgen-$replicas.log" 2>&1 ||
        echo "loadgen exited with $? (see its log)"
    python3 - "$OUT/loadgen-$replicas/summary.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
l = s["latencyUs"]
print("delivered %.0f ev/s, ratio %.4f, p50 %.2f ms, p99 %.2f ms, gaps/dups/reordered %d/%d/%d" % (
    s["deliveredPerSecond"], s["deliveryRatio"], l["p50"] / 1000, l["p99"] / 1000, s["gaps"], s["duplicates"],
    s["reordered"]))
PY
    kill "$node" 2>/dev/null || true
    wait "$node" 2>/dev/null || true
done
