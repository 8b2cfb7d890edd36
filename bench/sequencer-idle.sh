#!/bin/bash
# The sequencer's idle path (issue 11): one run of 10,000 subscribers on 10,000 topics at 1,000 ev/s,
# with the sequencer yielding YIELDS times before it parks (default 50; the system property
# ssebroker.sequencer.yields exists for this experiment only). Reports the broker's CPU ticks over 5 s,
# then its syscall mix over the next 5 s (strace -c -f, Debian package strace), and the load
# generator's latency. Loopback only; bounded (about 40 s); stops what it started.
#
#   bench/sequencer-idle.sh 50     # then: bench/sequencer-idle.sh 0
#
# WAKE_ALL=true wakes every event loop on every batch (the behaviour before loops were woken only for
# the topics a batch touched), for the A/B comparison.
#
# Builds nothing: expects broker-cli/target/sse-broker.jar. Results in docs/performance.md.
set -e
Y=${1:-50}
ROOT=$(cd "$(dirname "$0")/.." && pwd); cd "$ROOT"
java -Dssebroker.sequencer.yields=$Y -Dssebroker.wake.all=${WAKE_ALL:-false} -XX:+UseG1GC -XX:MaxNewSize=32m -jar broker-cli/target/sse-broker.jar --http-port 18080 --ingest-port 17070 > ${OUT:-/tmp}/idle-broker-$Y.log 2>&1 &
BP=$!
sleep 3
timeout 60 java -jar broker-cli/target/sse-broker.jar loadgen --subscribers 10000 --topics 10000 --rate 1000 --duration-seconds 25 --ramp-seconds 8 \
  --sub-url 'http://127.0.0.1:18080/events?topic={topic}' --publish ingest://127.0.0.1:17070 --out ${OUT:-/tmp}/idle-lg-$Y > ${OUT:-/tmp}/idle-lg-$Y.log 2>&1 &
LP=$!
sleep 14
T0=$(awk '{print $14+$15}' /proc/$BP/stat)
sleep 5
T1=$(awk '{print $14+$15}' /proc/$BP/stat)
timeout 5 strace -c -f -p $BP -o ${OUT:-/tmp}/idle-strace-$Y.txt > /dev/null 2>&1 || true
wait $LP || true
kill $BP; wait $BP 2>/dev/null || true
echo "yields=$Y wake_all=${WAKE_ALL:-false} cpu_ticks_5s=$((T1-T0))"
head -25 ${OUT:-/tmp}/idle-strace-$Y.txt
grep -E "p50|p99|delivered|events/s" ${OUT:-/tmp}/idle-lg-$Y.log | tail -5
