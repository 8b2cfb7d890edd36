#!/usr/bin/env python3
"""Connection flood against the broker's HTTP port, for a bounded time:

- IDLE connections that never send a byte;
- LORIS connections that send a request line and then one header byte every DRIP seconds, never
  finishing the headers (slow-loris).

Whenever the broker closes one (its request timeout), it is opened again, so the flood stays at full
size for the whole run. Connections are spread over the source addresses 127.0.0.2, 127.0.0.3, ...
(SOURCES of them), so 15,000 connections and their reopening do not run out of ephemeral ports.
Stops by itself after SECONDS and prints one JSON line: connections opened, closed by the broker,
the status lines the broker answered with, connect failures, the largest number open at once and
the client's own CPU seconds.

    connection_flood.py HOST PORT IDLE LORIS SECONDS [DRIP=1.0] [SOURCES=4]
"""
import errno
import json
import resource
import selectors
import socket
import sys
import time


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    idle, loris, seconds = int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
    drip = float(sys.argv[6]) if len(sys.argv) > 6 else 1.0
    sources = int(sys.argv[7]) if len(sys.argv) > 7 else 4
    selector = selectors.DefaultSelector()
    stats = {"opened": 0, "closed_by_broker": 0, "connect_failed": 0, "max_open": 0, "statuses": {}}
    conns = {}  # socket -> {"kind": "idle"|"loris", "sent": header bytes dripped, "answer": first bytes}
    next_source = [0]

    def open_one(kind):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.bind(("127.0.0.%d" % (2 + next_source[0] % sources), 0))
        next_source[0] += 1
        err = s.connect_ex((host, port))
        if err not in (0, errno.EINPROGRESS):
            stats["connect_failed"] += 1
            s.close()
            return
        conns[s] = {"kind": kind, "sent": 0, "answer": b"", "connected": False}
        selector.register(s, selectors.EVENT_READ | selectors.EVENT_WRITE)
        stats["opened"] += 1

    def drop(s, by_broker):
        state = conns.pop(s)
        selector.unregister(s)
        s.close()
        if by_broker:
            stats["closed_by_broker"] += 1
            line = state["answer"].split(b"\r\n", 1)[0].decode("latin-1") or "(closed without an answer)"
            stats["statuses"][line] = stats["statuses"].get(line, 0) + 1
        return state["kind"]

    for i in range(idle + loris):
        open_one("idle" if i < idle else "loris")
    start = time.monotonic()
    last_drip = start
    while time.monotonic() - start < seconds:
        stats["max_open"] = max(stats["max_open"], len(conns))
        reopen = []
        for key, mask in selector.select(timeout=0.2):
            s = key.fileobj
            state = conns.get(s)
            if state is None:
                continue
            if mask & selectors.EVENT_WRITE and not state["connected"]:
                if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR):
                    stats["connect_failed"] += 1
                    reopen.append(drop(s, False))
                    continue
                state["connected"] = True
                selector.modify(s, selectors.EVENT_READ)
                if state["kind"] == "loris":
                    s.send(b"GET /events?topic=t0 HTTP/1.1\r\nHost: flood\r\n")
                continue
            if mask & selectors.EVENT_READ:
                try:
                    data = s.recv(4096)
                except OSError:
                    data = b""
                if data:
                    if len(state["answer"]) < 256:
                        state["answer"] += data
                    continue
                reopen.append(drop(s, True))
        now = time.monotonic()
        if now - last_drip >= drip:
            last_drip = now
            for s, state in list(conns.items()):
                if state["kind"] == "loris" and state["connected"]:
                    try:
                        s.send(b"X")  # one byte of a header line that never ends
                        state["sent"] += 1
                    except OSError:
                        pass
        for kind in reopen:
            open_one(kind)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    stats["cpu_s"] = round(usage.ru_utime + usage.ru_stime, 2)
    print(json.dumps(stats))
    for s in list(conns):
        s.close()


if __name__ == "__main__":
    main()
