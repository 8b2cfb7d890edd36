#!/usr/bin/env bash
# Side-by-side load test of the SSE broker and nginx+nchan (and, as target cref, a C reference server) on loopback.
#
#   bench/compare-nchan.sh [matrix|many-topics|idle] [options]
#
#   matrix (default)  subscribers {1000,10000,19000} x rates {100,1000} ev/s, 100-byte payloads, against both
#   many-topics       each subscriber on its own topic (nchan: its own channel), events spread over the topics:
#                     SUBSCRIBERS (default 10000) topics, RATES (default "1000 10000 50000") ev/s over all of them
#   idle              RSS of each server with 0 and with IDLE_SUBSCRIBERS (10,000) idle subscribers
#                     -> memory per idle subscriber
#
# Options (environment variables):
#   SECONDS_PER_POINT=20   measurement window per point;  WARMUP_SECONDS=10   publishing before it
#   SUBSCRIBERS="1000 10000 19000"   RATES="100 1000"   TOPICS=10   PAYLOAD_BYTES=100
#   TARGETS="broker nchan"  which servers to test; with PROTOCOL=h2 the default is "broker broker-h1 nchan", so
#                           the broker's h2 and HTTP/1.1 figures come from the same run
#                           cref: bench/cref/sse_ref.c, a single-threaded C epoll server that encodes each event once
#                           and writes each subscriber's queued events with one sendmsg: a baseline for CPU per
#                           delivery, not a product (docs/loadgen.md). Built with gcc into $OUT, published to over the
#                           ingest protocol; it serves HTTP/1.1 only, so with PROTOCOL=h2 its points run over h1
#   CREF_ARGS=""            extra arguments for sse_ref, e.g. "--history 1000 --max-queue-bytes 1048576"
#   BROKER_PUBLISH=ingest   ingest (TCP ingest protocol) or http (POST /publish)
#   BROKER_ARGS=""          extra arguments for `serve`;  BROKER_JAVA_OPTS="" (empty: bin/sse-broker's defaults)
#   LOADGEN_ARGS=""         extra arguments for the load generator, e.g. "--publish-linger-us 1000" (a publisher that
#                           gathers what it publishes within 1 ms into one write; ingest publishing only)
#   OUT=bench/results/<timestamp>   where the table, logs and per-point results go
#   SKIP_INSTALL=1          do not apt-get install nginx and nchan
#   SERVER_CPUS="" LOADGEN_CPUS=""   pin the server and the load generator to CPU lists (taskset -c), e.g. 0 and 1,
#                           for a per-core comparison; nginx then runs one worker per server CPU
#   PROTOCOL=h1             subscribers over HTTP/1.1 (h1) or h2c with prior knowledge, 100 streams a connection (h2);
#                           target broker-h1 is the broker with HTTP/1.1 subscribers whatever PROTOCOL says
#   BROKER_HTTP_PORT=8080 BROKER_INGEST_PORT=7070 NCHAN_PORT=8081 NCHAN_H2_PORT=8082
#   CREF_HTTP_PORT=8083 CREF_INGEST_PORT=7073
#
# Per point it also reports CPU per delivery (user and sys apart), write syscalls per second and deliveries per
# write syscall, and wake-ups per second (voluntary context switches of all the server's threads). Write syscalls
# are every write, writev, send, sendto, sendmsg and sendmmsg of the server's threads in the window (socket writes
# and eventfd wake-ups alike), counted in the kernel by `perf stat` on the syscall tracepoints where perf can (root,
# Debian's linux-perf); otherwise /proc/PID/io syscw, which counts write and writev only, so a server writing
# single buffers with send is undercounted (the table's header says which was used).
#   SYSCALL_COUNT=auto      auto (perf where it works, else syscw) or syscw
#
# Only loopback addresses are used; every process this script starts is stopped by its PID on exit.
set -euo pipefail

MODE="${1:-matrix}"
if [ "$MODE" = many-topics ]; then
    SUBSCRIBERS="${SUBSCRIBERS:-10000}"
    RATES="${RATES:-1000 10000 50000}"
    TOPICS="${TOPICS:-$SUBSCRIBERS}"
fi
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
JAR="$ROOT/broker-cli/target/sse-broker.jar"
SECONDS_PER_POINT="${SECONDS_PER_POINT:-20}"
SUBSCRIBERS="${SUBSCRIBERS:-1000 10000 19000}"
RATES="${RATES:-100 1000}"
TOPICS="${TOPICS:-10}"
PAYLOAD_BYTES="${PAYLOAD_BYTES:-100}"
PROTOCOL="${PROTOCOL:-h1}"
if [ "$PROTOCOL" = h2 ]; then
    TARGETS="${TARGETS:-broker broker-h1 nchan}"
else
    TARGETS="${TARGETS:-broker nchan}"
fi
BROKER_PUBLISH="${BROKER_PUBLISH:-ingest}"
BROKER_ARGS="${BROKER_ARGS:-}"
BROKER_JAVA_OPTS="${BROKER_JAVA_OPTS:-}"
LOADGEN_ARGS="${LOADGEN_ARGS:-}"
BROKER_HTTP_PORT="${BROKER_HTTP_PORT:-8080}"
BROKER_INGEST_PORT="${BROKER_INGEST_PORT:-7070}"
NCHAN_PORT="${NCHAN_PORT:-8081}"
NCHAN_H2_PORT="${NCHAN_H2_PORT:-8082}"
CREF_HTTP_PORT="${CREF_HTTP_PORT:-8083}"
CREF_INGEST_PORT="${CREF_INGEST_PORT:-7073}"
CREF_ARGS="${CREF_ARGS:-}"
SERVER_CPUS="${SERVER_CPUS:-}"
LOADGEN_CPUS="${LOADGEN_CPUS:-}"

# Command prefixes that pin to those CPUs (taskset execs the command, so $! stays the server's PID).
PIN_SERVER=()
PIN_LOADGEN=()
[ -n "$SERVER_CPUS" ] && PIN_SERVER=(taskset -c "$SERVER_CPUS")
[ -n "$LOADGEN_CPUS" ] && PIN_LOADGEN=(taskset -c "$LOADGEN_CPUS")

# Number of CPUs in a taskset list such as "0", "0,1" or "0-3"; all CPUs when empty.
cpu_count() {
    if [ -z "$1" ]; then
        nproc
        return
    fi
    echo "$1" | tr ',' '\n' | awk -F- '{ n += (NF == 2 ? $2 - $1 + 1 : 1) } END { print n }'
}
SOURCES="127.0.0.2,127.0.0.3,127.0.0.4,127.0.0.5"
OUT="${OUT:-$ROOT/bench/results/$(date -u +%Y%m%dT%H%M%SZ)}"
CLK_TCK="$(getconf CLK_TCK)"
PAGE_KB=$(( $(getconf PAGESIZE) / 1024 ))

mkdir -p "$OUT"
STARTED_PIDS=()

log() { echo "[compare] $*" >&2; }

cleanup() {
    for pid in "${STARTED_PIDS[@]:-}"; do
        [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
    done
    for pid in "${STARTED_PIDS[@]:-}"; do
        [ -n "$pid" ] && wait "$pid" 2>/dev/null || true
    done
}
trap cleanup EXIT

prepare_host() {
    # Raise the open-file limit to the hard limit (20000 per process here) for this shell and its children.
    ulimit -n "$(ulimit -Hn)" || log "could not raise ulimit -n"
    log "open files per process: $(ulimit -n)"
    sysctl -w net.ipv4.ip_local_port_range="1024 65000" >/dev/null 2>&1 || log "could not widen the local port range"
    # Keep the servers' ports out of that range, or a client connection may take one as its source port.
    sysctl -w net.ipv4.ip_local_reserved_ports="$BROKER_HTTP_PORT,$BROKER_INGEST_PORT,$NCHAN_PORT,$NCHAN_H2_PORT,$CREF_HTTP_PORT,$CREF_INGEST_PORT" \
        >/dev/null 2>&1 ||
        log "could not reserve the server ports"
    sysctl -w net.core.somaxconn=8192 >/dev/null 2>&1 || true
    if [ ! -f "$JAR" ]; then
        log "building $JAR"
        (cd "$ROOT" && ./mvnw -q -pl broker-cli -am package -DskipTests)
    fi
}

install_nchan() {
    if [ "${SKIP_INSTALL:-0}" = 1 ] || { command -v nginx >/dev/null && nchan_module >/dev/null; }; then
        return
    fi
    log "installing nginx and nchan from Debian packages"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx libnginx-mod-nchan >/dev/null
}

nchan_module() {
    local module
    module="$(dpkg -L libnginx-mod-nchan 2>/dev/null | grep -m1 'ngx_nchan_module\.so$')" || return 1
    [ -n "$module" ] && echo "$module"
}

# --- process accounting from /proc ------------------------------------------------------------------

# Children of a PID (nginx workers of the master we started).
children_of() {
    pgrep -P "$1" || true
}

server_pids() {
    local pid="$1"
    echo "$pid"
    children_of "$pid"
}

# utime + stime in clock ticks of a PID (fields 14 and 15 after the command name).
cpu_ticks() {
    awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat" 2>/dev/null || echo 0
}

total_cpu_ticks() {
    local sum=0 pid
    for pid in $(server_pids "$1"); do
        sum=$(( sum + $(cpu_ticks "$pid") ))
    done
    echo "$sum"
}

# "user sys syscw wakeups" summed over the server's processes: CPU ticks apart, write-type syscalls
# (/proc/PID/io syscw: socket writes, eventfd wake-ups and the like) and voluntary context switches of
# every thread (each one a sleep that ended in a wake-up).
total_counts() {
    local pid user=0 sys=0 syscw=0 wakeups=0 u s w v
    for pid in $(server_pids "$1"); do
        read -r u s < <(awk '{ sub(/^.*\) /, ""); print $12, $13 }' "/proc/$pid/stat" 2>/dev/null || echo 0 0)
        w="$(awk '/^syscw:/ { print $2 }' "/proc/$pid/io" 2>/dev/null || echo 0)"
        v="$(cat /proc/"$pid"/task/*/status 2>/dev/null | awk '/^voluntary_ctxt_switches:/ { n += $2 } END { print n + 0 }')"
        user=$(( user + ${u:-0} )); sys=$(( sys + ${s:-0} )); syscw=$(( syscw + ${w:-0} )); wakeups=$(( wakeups + ${v:-0} ))
    done
    echo "$user $sys $syscw $wakeups"
}

# Whether write syscalls are counted with perf stat on the syscall tracepoints (see the header).
use_perf_syscalls() {
    [ "${SYSCALL_COUNT:-auto}" = auto ] && command -v perf >/dev/null 2>&1 &&
        perf stat -x, -e syscalls:sys_enter_sendto -- true >/dev/null 2>&1
}
PERF_WRITE_EVENTS="syscalls:sys_enter_write,syscalls:sys_enter_writev,syscalls:sys_enter_sendto,syscalls:sys_enter_sendmsg,syscalls:sys_enter_sendmmsg"

# perf_write_syscalls CSV -> the sum of the counts perf stat -x, wrote (0 when none).
perf_write_syscalls() {
    awk -F, '$1 ~ /^[0-9]+$/ { n += $1 } END { print n + 0 }' "$1" 2>/dev/null || echo 0
}

total_rss_kb() {
    local sum=0 pid rss
    for pid in $(server_pids "$1"); do
        rss="$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null || echo 0)"
        sum=$(( sum + ${rss:-0} ))
    done
    echo "$sum"
}

# --- servers ---------------------------------------------------------------------------------------

start_broker() {
    log "starting broker"
    # The launcher users run (its JVM defaults unless BROKER_JAVA_OPTS is set); it execs java, so $! is the JVM.
    # shellcheck disable=SC2086
    JAVA_OPTS="$BROKER_JAVA_OPTS" "${PIN_SERVER[@]}" "$ROOT/bin/sse-broker" serve --http-port "$BROKER_HTTP_PORT" \
        --ingest-port "$BROKER_INGEST_PORT" $BROKER_ARGS >"$OUT/broker.log" 2>&1 &
    SERVER_PID=$!
    STARTED_PIDS+=("$SERVER_PID")
    wait_for_port "$BROKER_HTTP_PORT"
    wait_for_port "$BROKER_INGEST_PORT"
    SUB_URL="http://127.0.0.1:$BROKER_HTTP_PORT/events?topic={topic}"
    if [ "$BROKER_PUBLISH" = http ]; then
        PUB_URL="http://127.0.0.1:$BROKER_HTTP_PORT/publish?topic={topic}"
    else
        PUB_URL="ingest://127.0.0.1:$BROKER_INGEST_PORT"
    fi
}

# The same broker, measured with HTTP/1.1 subscribers (see protocol_of).
start_broker-h1() {
    start_broker
}

# protocol_of TARGET -> the subscribers' protocol for that target's points (cref serves HTTP/1.1 only)
protocol_of() {
    if [ "$1" = broker-h1 ] || [ "$1" = cref ]; then
        echo h1
    else
        echo "$PROTOCOL"
    fi
}

# The C reference server, built into the run's directory (nothing is built into the source tree).
start_cref() {
    local bin="$OUT/sse_ref"
    if [ ! -x "$bin" ]; then
        command -v gcc >/dev/null || { log "cref needs gcc (Debian: apt-get install gcc)"; exit 1; }
        log "building $bin"
        gcc -O2 -Wall -Wextra -o "$bin" "$HERE/cref/sse_ref.c"
    fi
    [ "$PROTOCOL" = h2 ] && log "cref serves HTTP/1.1 only: its points run over h1"
    log "starting cref (C reference server)"
    # shellcheck disable=SC2086
    "${PIN_SERVER[@]}" "$bin" --http-port "$CREF_HTTP_PORT" --ingest-port "$CREF_INGEST_PORT" $CREF_ARGS \
        >"$OUT/cref.log" 2>&1 &
    SERVER_PID=$!
    STARTED_PIDS+=("$SERVER_PID")
    wait_for_port "$CREF_HTTP_PORT"
    wait_for_port "$CREF_INGEST_PORT"
    SUB_URL="http://127.0.0.1:$CREF_HTTP_PORT/events?topic={topic}"
    PUB_URL="ingest://127.0.0.1:$CREF_INGEST_PORT"
}

start_nchan() {
    log "starting nginx + nchan"
    local prefix="$OUT/nginx" module
    module="$(nchan_module)" || { log "libnginx-mod-nchan is not installed"; exit 1; }
    mkdir -p "$prefix"
    sed -e "s|@NCHAN_MODULE@|$module|" -e "s|@PREFIX@|$prefix|g" -e "s|@WORKERS@|$(cpu_count "$SERVER_CPUS")|" \
        -e "s|@PORT@|$NCHAN_PORT|" -e "s|@H2_PORT@|$NCHAN_H2_PORT|" "$HERE/nginx-nchan.conf" >"$prefix/nginx.conf"
    # Workers inherit the master's CPU affinity.
    "${PIN_SERVER[@]}" nginx -p "$prefix" -c "$prefix/nginx.conf" >"$OUT/nginx.log" 2>&1 &
    SERVER_PID=$!
    STARTED_PIDS+=("$SERVER_PID")
    wait_for_port "$NCHAN_PORT"
    if [ "$PROTOCOL" = h2 ]; then
        wait_for_port "$NCHAN_H2_PORT"
        SUB_URL="http://127.0.0.1:$NCHAN_H2_PORT/sub/{topic}"
    else
        SUB_URL="http://127.0.0.1:$NCHAN_PORT/sub/{topic}"
    fi
    PUB_URL="http://127.0.0.1:$NCHAN_PORT/pub/{topic}"
}

stop_server() {
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
}

wait_for_port() {
    local port="$1" i
    for i in $(seq 1 100); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            return 0
        fi
        sleep 0.1
    done
    log "port $port did not open"; exit 1
}

# --- load points -----------------------------------------------------------------------------------

# run_point TARGET SUBSCRIBERS RATE -> appends a table row
run_point() {
    local target="$1" subs="$2" rate="$3" dir="$OUT/$1-$2-$3" protocol
    protocol="$(protocol_of "$target")"
    # Warm-up: right after the ramp the broker, the load generator and its child JVMs all JIT-compile
    # on the same cores; with 3 s the first seconds of the window carried that (p99 150 ms instead of
    # 15-40 ms at 10,000 x 100). nchan needs no warm-up and loses nothing by it.
    local warmup="${WARMUP_SECONDS:-10}" ramp=$(( subs / 2000 + 2 )) drain=3
    mkdir -p "$dir"
    log "$target: $subs subscribers over $protocol, $rate events/s, ${SECONDS_PER_POINT}s"
    local cpu_before cpu_after rss_kb window_before window_after counts_before counts_after
    cpu_before="$(total_cpu_ticks "$SERVER_PID")"
    "${PIN_LOADGEN[@]}" java -Xmx1g -Dio.netty.leakDetection.level=disabled -jar "$JAR" loadgen \
        --subscribers "$subs" --topics "$TOPICS" --rate "$rate" --payload-bytes "$PAYLOAD_BYTES" \
        --sub-url "$SUB_URL" --protocol "$protocol" --publish "$PUB_URL" --source-addresses "$SOURCES" \
        --ramp-seconds "$ramp" --warmup-seconds "$warmup" --duration-seconds "$SECONDS_PER_POINT" \
        --drain-seconds "$drain" --processes $(( (subs + 9999) / 10000 )) \
        --label "$target-$subs-$rate" --out "$dir" $LOADGEN_ARGS >"$dir/loadgen.log" 2>&1 &
    local loadgen_pid=$!
    STARTED_PIDS+=("$loadgen_pid")
    # Server CPU inside the measurement window (the JVM start-up takes about the 3 s allowed for it),
    # for deliveries per server CPU-second; RSS three quarters into it, while every subscriber is connected.
    sleep $(( ramp + 3 + warmup ))
    window_before="$(total_cpu_ticks "$SERVER_PID")"
    counts_before="$(total_counts "$SERVER_PID")"
    local perf_pid=""
    if [ -n "$PERF_SYSCALLS" ]; then
        perf stat -x, -e "$PERF_WRITE_EVENTS" -p "$(server_pids "$SERVER_PID" | paste -sd, -)" -o "$dir/syscalls.csv" \
            -- sleep "$SECONDS_PER_POINT" >/dev/null 2>&1 &
        perf_pid=$!
        STARTED_PIDS+=("$perf_pid")
    fi
    sleep $(( SECONDS_PER_POINT * 3 / 4 ))
    rss_kb="$(total_rss_kb "$SERVER_PID")"
    sleep $(( SECONDS_PER_POINT - SECONDS_PER_POINT * 3 / 4 ))
    window_after="$(total_cpu_ticks "$SERVER_PID")"
    counts_after="$(total_counts "$SERVER_PID")"
    if [ -n "$perf_pid" ]; then
        wait "$perf_pid" || true
        # The syscw field of both samples replaced by perf's count over the same window.
        counts_before="$(echo "$counts_before" | awk '{ $3 = 0; print }')"
        counts_after="$(echo "$counts_after" | awk -v w="$(perf_write_syscalls "$dir/syscalls.csv")" '{ $3 = w; print }')"
    fi
    wait "$loadgen_pid" || log "loadgen exited with $? (see $dir/loadgen.log)"
    cpu_after="$(total_cpu_ticks "$SERVER_PID")"
    local cpu_s window_cpu_s
    cpu_s="$(awk -v a="$cpu_before" -v b="$cpu_after" -v t="$CLK_TCK" 'BEGIN { printf "%.1f", (b - a) / t }')"
    window_cpu_s="$(awk -v a="$window_before" -v b="$window_after" -v t="$CLK_TCK" 'BEGIN { printf "%.2f", (b - a) / t }')"
    row "$target" "$protocol" "$subs" "$rate" "$dir/summary.json" "$cpu_s" "$window_cpu_s" "$rss_kb" \
        "$counts_before" "$counts_after"
}

json_number() {
    # json_number FILE KEY -> first numeric value of "KEY": in the file
    grep -o "\"$2\": [-0-9.enul]*" "$1" | head -1 | awk '{ print $2 }'
}

row() {
    local target="$1" protocol="$2" subs="$3" rate="$4" json="$5" cpu_s="$6" window_cpu_s="$7" rss_kb="$8"
    local counts_before="$9" counts_after="${10}"
    if [ ! -f "$json" ]; then
        printf '| %s | %s | %s | %s | failed | | | | | | | | | | | | | | | |\n' "$target" "$protocol" "$subs" "$rate" >>"$TABLE"
        return
    fi
    local delivered received ratio p50 p99 p999
    delivered="$(json_number "$json" deliveredPerSecond)"
    received="$(json_number "$json" receivedPerSecondInWindow)"
    case "$received" in ''|null) received=-1 ;; esac
    local order
    order="$(json_number "$json" gaps)/$(json_number "$json" duplicates)/$(json_number "$json" reordered)/$(json_number "$json" missingAtEnd)"
    ratio="$(json_number "$json" deliveryRatio)"
    p50="$(json_number "$json" p50)"; p99="$(json_number "$json" p99)"; p999="$(json_number "$json" p999)"
    awk -v t="$target" -v p="$protocol" -v s="$subs" -v r="$rate" -v d="$delivered" -v e="$received" -v q="$ratio" \
        -v a="$p50" -v b="$p99" -v c="$p999" -v o="$order" -v cpu="$cpu_s" -v w="$window_cpu_s" -v rss="$rss_kb" \
        -v n="$SECONDS_PER_POINT" -v before="$counts_before" -v after="$counts_after" -v tck="$CLK_TCK" 'BEGIN {
            split(before, x, " "); split(after, y, " ")
            deliveries = d * n
            us_user = deliveries > 0 ? (y[1] - x[1]) / tck * 1e6 / deliveries : 0
            us_sys = deliveries > 0 ? (y[2] - x[2]) / tck * 1e6 / deliveries : 0
            writes = (y[3] - x[3]) / n
            wakeups = (y[4] - x[4]) / n
            printf "| %s | %s | %d | %d | %.0f | %s | %.4f | %.2f | %.2f | %.2f | %s | %s | %s | %.2fM | %.2f / %.2f | %.0f | %.1f | %.0f | %.0f | %.1f |\n",
                t, p, s, r, d, (e < 0 ? "-" : sprintf("%.0f", e)), q, a / 1000, b / 1000, c / 1000, o, cpu, w,
                (w > 0 ? d * n / w / 1e6 : 0), us_user, us_sys, writes, (writes > 0 ? d / writes : 0), wakeups,
                rss / 1024, rss / s }' >>"$TABLE"
}

table_header() {
    {
        echo "| server | subscribers over | subscribers | rate ev/s | delivered ev/s | received ev/s | delivery ratio | p50 ms | p99 ms | p99.9 ms | gaps/dups/reordered/missing at end | server CPU s | server CPU s in window | deliveries per server CPU-s | CPU µs per delivery user / sys | write syscalls/s | deliveries per write syscall | wake-ups/s | RSS MiB | RSS ÷ subscribers KiB |"
        echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
    } >"$TABLE"
}

PERF_SYSCALLS=""
if use_perf_syscalls; then
    PERF_SYSCALLS=1
fi

run_matrix() {
    TABLE="$OUT/results.md"
    {
        echo "# SSE broker vs nginx+nchan"
        echo
        echo "$(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo),"
        echo "$(java -version 2>&1 | head -1), commit ${COMMIT:-$(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo unknown)}."
        echo "Window ${SECONDS_PER_POINT}s per point, $TOPICS topics, $PAYLOAD_BYTES-byte payloads, loopback;"
        echo "broker published via $BROKER_PUBLISH, nchan via HTTP POST, cref via ingest. Latency = receive time - intended send time."
        echo "Broker started with bin/sse-broker, JAVA_OPTS: ${BROKER_JAVA_OPTS:-launcher defaults}; load generator arguments: ${LOADGEN_ARGS:-none}."
        echo "Subscribers over $PROTOCOL (broker-h1, cref: HTTP/1.1); warm-up ${WARMUP_SECONDS:-10}s; server CPUs ${SERVER_CPUS:-all}, load generator CPUs ${LOADGEN_CPUS:-all}."
        if [ -n "$PERF_SYSCALLS" ]; then
            echo "Write syscalls: write, writev, send(to), sendmsg, sendmmsg of the server's threads, counted by perf stat."
        else
            echo "Write syscalls: /proc/PID/io syscw (write and writev only; send and sendto are not counted)."
        fi
        echo
    } >"$OUT/header.md"
    table_header
    for target in $TARGETS; do
        "start_$target"
        for subs in $SUBSCRIBERS; do
            for rate in $RATES; do
                run_point "$target" "$subs" "$rate"
            done
        done
        stop_server
    done
    cat "$OUT/header.md" "$TABLE" >"$OUT/results.md.tmp" && mv "$OUT/results.md.tmp" "$TABLE"
    cat "$TABLE"
}

run_idle() {
    local idle_subs="${IDLE_SUBSCRIBERS:-10000}"
    TABLE="$OUT/idle.md"
    {
        echo "| server | RSS idle MiB | RSS with $idle_subs idle subscribers MiB | KiB per idle subscriber |"
        echo "|---|---|---|---|"
    } >"$TABLE"
    for target in $TARGETS; do
        "start_$target"
        sleep 2
        local before after
        before="$(total_rss_kb "$SERVER_PID")"
        java -Xmx1g -jar "$JAR" loadgen --subscribers "$idle_subs" --rate 0 --publish none \
            --sub-url "$SUB_URL" --source-addresses "$SOURCES" --ramp-seconds 5 --warmup-seconds 0 \
            --duration-seconds 10 --drain-seconds 0 --label "$target-idle" --out "$OUT/$target-idle" \
            >"$OUT/$target-idle.log" 2>&1 &
        local loadgen_pid=$!
        STARTED_PIDS+=("$loadgen_pid")
        sleep 12
        after="$(total_rss_kb "$SERVER_PID")"
        wait "$loadgen_pid" || log "loadgen exited with $?"
        awk -v t="$target" -v a="$before" -v b="$after" -v n="$idle_subs" \
            'BEGIN { printf "| %s | %.1f | %.1f | %.2f |\n", t, a / 1024, b / 1024, (b - a) / n }' >>"$TABLE"
        stop_server
    done
    cat "$TABLE"
}

prepare_host
case " $TARGETS " in *" nchan "*) install_nchan ;; esac
case "$MODE" in
    matrix|many-topics) run_matrix ;;
    idle) run_idle ;;
    *) echo "usage: $0 [matrix|many-topics|idle]" >&2; exit 2 ;;
esac
log "results in $OUT"
