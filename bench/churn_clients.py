#!/usr/bin/env python3
"""Subscriber churn for a bounded time: RATE new HTTP/1.1 subscriptions a second, each to one to three of
TOPICS topics (t0..), each kept open for a random 0.2-3 s and then closed, half of them with a reset.
Each asks to resume in one of five ways, in turn:

- no Last-Event-ID;
- the newest id any earlier subscriber saw (a real resume);
- the oldest id any subscriber saw, long trimmed from history once the run is under way (history-truncated);
- (when nothing was seen yet, these two send none);
- a malformed id;
- an id in the future.

Never more than MAX_OPEN at once. Stops by itself after SECONDS and prints one JSON line: subscriptions
opened, answered 200, events and reset events received (by reason), and failures by kind.

    churn_clients.py HOST PORT RATE TOPICS SECONDS [MAX_OPEN=5000] [SOURCES=4]
"""
import errno
import heapq
import json
import random
import re
import selectors
import socket
import struct
import sys
import time

ID = re.compile(rb"\nid: (\d+)\n")
RESET = re.compile(rb'event: reset\ndata: \{"reason":"([a-z-]+)"')


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    rate, topics, seconds = int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
    max_open = int(sys.argv[6]) if len(sys.argv) > 6 else 5000
    sources = int(sys.argv[7]) if len(sys.argv) > 7 else 4
    rng = random.Random(7)
    selector = selectors.DefaultSelector()
    stats = {"opened": 0, "ok": 0, "events": 0, "resets": {}, "failed": {}, "closed_by_broker": 0}
    conns = {}
    closing = []  # heap of (close time, opening number, socket)
    newest_id = [0]
    oldest_id = [0]
    made = [0]

    def fail(kind):
        stats["failed"][kind] = stats["failed"].get(kind, 0) + 1

    def open_one(now):
        chosen = sorted(rng.sample(range(topics), rng.randint(1, min(3, topics))))
        query = "&".join("topic=t%d" % t for t in chosen)
        mode = made[0] % 5
        made[0] += 1
        header = ""
        if mode == 1 and newest_id[0]:
            header = "Last-Event-ID: %d\r\n" % newest_id[0]
        elif mode == 2 and oldest_id[0]:
            header = "Last-Event-ID: %d\r\n" % oldest_id[0]
        elif mode == 3:
            header = "Last-Event-ID: not-a-number\r\n"
        elif mode == 4 and newest_id[0]:
            header = "Last-Event-ID: %d\r\n" % (newest_id[0] * 10)
        request = ("GET /events?%s HTTP/1.1\r\nHost: churn\r\nAccept: text/event-stream\r\n%s\r\n" % (query, header)).encode()
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        s.bind(("127.0.0.%d" % (2 + made[0] % sources), 0))
        err = s.connect_ex((host, port))
        if err not in (0, errno.EINPROGRESS):
            fail("connect")
            s.close()
            return
        conns[s] = {"request": request, "sent": False, "buf": b"", "ok": False,
                    "close_at": now + rng.uniform(0.2, 3.0), "reset": rng.random() < 0.5}
        selector.register(s, selectors.EVENT_WRITE)
        heapq.heappush(closing, (conns[s]["close_at"], made[0], s))
        stats["opened"] += 1

    def close(s, state, by_broker):
        selector.unregister(s)
        del conns[s]
        if by_broker:
            stats["closed_by_broker"] += 1
        elif state["reset"]:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()

    start = time.monotonic()
    next_open = start
    while True:
        now = time.monotonic()
        if now - start >= seconds:
            break
        while next_open <= now and len(conns) < max_open:
            open_one(now)
            next_open += 1.0 / rate
        if next_open <= now:
            next_open = now  # at MAX_OPEN: do not build up a backlog of openings
        for key, mask in selector.select(timeout=0.01):
            s = key.fileobj
            state = conns.get(s)
            if state is None:
                continue
            if mask & selectors.EVENT_WRITE:
                if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR):
                    fail("connect")
                    close(s, state, False)
                    continue
                try:
                    s.send(state["request"])
                except OSError:
                    fail("send")
                    close(s, state, False)
                    continue
                selector.modify(s, selectors.EVENT_READ)
                continue
            try:
                data = s.recv(65536)
            except OSError:
                data = b""
            if not data:
                fail("closed before its time")
                close(s, state, True)
                continue
            buf = state["buf"] + data
            if not state["ok"]:
                if b"\r\n" not in buf:
                    state["buf"] = buf
                    continue
                status = buf.split(b"\r\n", 1)[0]
                if b" 200 " not in status:
                    fail(status.decode("latin-1"))
                    close(s, state, False)
                    continue
                state["ok"] = True
                stats["ok"] += 1
            stats["events"] += buf.count(b"\nid: ")
            for reason in RESET.findall(buf):
                key_ = reason.decode()
                stats["resets"][key_] = stats["resets"].get(key_, 0) + 1
            ids = ID.findall(buf)
            if ids:
                newest_id[0] = max(newest_id[0], int(ids[-1]))
                if not oldest_id[0]:
                    oldest_id[0] = int(ids[0])
            state["buf"] = buf[-256:]
        now = time.monotonic()
        while closing and closing[0][0] <= now:
            _, _, s = heapq.heappop(closing)
            if s in conns:
                close(s, conns[s], False)
    print(json.dumps(stats))
    for s in list(conns):
        s.close()


if __name__ == "__main__":
    main()
