#!/usr/bin/env python3
"""Subscribers that never read: COUNT HTTP/1.1 streams on one topic, each with a 4 KiB receive
buffer, that send their request and then read nothing. Every half second they look at the broker's
side of their connections (ss): when it left ESTABLISHED (evicted) and how many bytes its kernel
holds for them, before and after eviction. Stops by itself after SECONDS and prints one JSON line.

    stalled_readers.py HOST PORT TOPIC COUNT SECONDS
"""
import json
import socket
import subprocess
import sys
import time

def server_side(port, peer_ports):
    """Broker-side state and Send-Q of our connections: {peer port: (state, bytes queued)}. A
    stalled reader never sees the broker's FIN (it waits behind the unread data), so eviction is
    read here: the broker's socket leaves ESTAB."""
    out = subprocess.run(["ss", "-tanH", "sport", "= :%d" % port], capture_output=True, text=True, check=False).stdout
    result = {}
    for line in out.splitlines():
        fields = line.split()
        if len(fields) < 5:
            continue
        peer = fields[4].rsplit(":", 1)[-1]
        if peer.isdigit() and int(peer) in peer_ports:
            result[int(peer)] = (fields[0], int(fields[2]))
    return result


def main():
    host, port, topic, count, seconds = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), float(sys.argv[5])
    sockets = []
    request = ("GET /events?topic=%s HTTP/1.1\r\nHost: %s\r\nAccept: text/event-stream\r\n\r\n" % (topic, host)).encode()
    for _ in range(count):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.connect((host, port))
        s.sendall(request)
        sockets.append(s)
    start = time.monotonic()
    peer_ports = {s.getsockname()[1] for s in sockets}
    closed_at = {}
    max_queue = 0
    max_queue_after_close = 0
    samples = []  # (seconds since start, total Send-Q of connections not yet evicted)
    while time.monotonic() - start < seconds:
        sides = server_side(port, peer_ports)
        now = time.monotonic() - start
        for peer, (state, queued) in sides.items():
            if state != "ESTAB" and peer not in closed_at:
                closed_at[peer] = now
        for peer in peer_ports:
            if peer not in sides and peer not in closed_at:
                closed_at[peer] = now  # gone entirely: closed with a reset
        max_queue = max(max_queue, sum(q for _, q in sides.values()))
        samples.append((now, sum(q for p, (_, q) in sides.items() if p not in closed_at)))
        max_queue_after_close = max(max_queue_after_close,
                                    sum(q for p, (_, q) in sides.items() if p in closed_at))
        time.sleep(0.5)
    times = sorted(closed_at.values())
    # When the kernel's send buffers were full: the first sample at 95% of the largest total. From then
    # on the backlog grows in the broker's own queue, whose bound plus the grace sets the eviction time.
    kernel_full = next((t for t, q in samples if max_queue and q >= 0.95 * max_queue), None)
    print(json.dumps({
        "stalled": count,
        "evicted": len(times),
        "first_evicted_s": round(times[0], 1) if times else None,
        "last_evicted_s": round(times[-1], 1) if times else None,
        "kernel_full_s": round(kernel_full, 1) if kernel_full is not None else None,
        "max_server_send_queue_bytes_total": max_queue,
        "max_server_send_queue_bytes_per_stalled": max_queue // max(1, count),
        "max_send_queue_bytes_held_after_eviction": max_queue_after_close,
    }))
    for s in sockets:
        s.close()


if __name__ == "__main__":
    main()
