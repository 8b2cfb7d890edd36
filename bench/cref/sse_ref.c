/*
 * sse_ref.c - a hand-written C reference server for the SSE broker's benchmarks.
 *
 * A baseline, not a product. It speaks what the load generator needs of the broker, so that
 * bench/compare-nchan.sh (target cref) can put the broker's CPU per delivery next to that of "a hand-written
 * C epoll server that encodes once and coalesces writes":
 *
 *   - subscribers: HTTP/1.1 GET /events?topic=NAME (one topic per stream), answered 200 with a chunked
 *     text/event-stream body; Last-Event-ID replays what the topic's history still holds;
 *   - publishers: the TCP ingest protocol, version 1 (docs/ingest-protocol.md): HELLO/WELCOME, PUBLISH,
 *     ACK runs, PING/PONG, ERROR; ids are decimal, server-wide, increasing, starting at the wall clock in
 *     microseconds like the broker's.
 *
 * How it works
 *   - One thread, one epoll loop. Each iteration first handles everything epoll reported (new connections,
 *     ingest input, subscriber requests and end of stream); ingest frames are parsed, and each event is
 *     sequenced and queued to the subscribers of its topic. Then every subscriber that got something to send
 *     is written with one sendmsg of all its queued buffers (up to IOV_MAX), and every ingest connection's
 *     ACKs leave with one send.
 *   - Encode once: an event becomes one reference-counted buffer holding its complete HTTP chunk (size line,
 *     id/event/data fields, blank line, CRLF). Subscriber queues and the topic's history hold references.
 *   - Subscriber sockets are edge-triggered (EPOLLIN | EPOLLOUT | EPOLLRDHUP, registered once): a subscriber is
 *     written until its queue is empty or the kernel says EAGAIN, then waits for the next EPOLLOUT edge. One
 *     whose queue passes --max-queue-bytes is closed. Listeners and ingest sockets are level-triggered; an
 *     ingest read pass is one recv, and the frames it completes are answered by that pass's ACK run.
 *
 * Not implemented: HTTP/2, TLS, several topics per stream, the `reset` event when history does not reach back
 * (a resume simply replays what is retained), heartbeats, request timeouts, authentication, version 2 of the
 * ingest protocol, a global history byte budget, more than one thread.
 *
 * Build: gcc -O2 -Wall -Wextra -o sse_ref bench/cref/sse_ref.c
 * Run:   sse_ref --http-port 8083 --ingest-port 7073 [--history 1000] [--max-queue-bytes 1048576]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#ifndef IOV_MAX
#define IOV_MAX 1024
#endif

/* Limits of the ingest protocol as the broker announces them by default, and of topic and event names. */
#define MAGIC 0x53534542u
#define MAX_HELLO_LENGTH 8192u
#define MAX_DATA_BYTES (1024u * 1024u)
#define MAX_FRAME_LENGTH (MAX_DATA_BYTES + 512u)
#define MAX_IN_FLIGHT 4096u
#define MAX_NAME_BYTES 255u
#define MAX_TOPIC_BYTES 128u
#define MAX_EVENT_BYTES 64u
#define MAX_TOPICS 100000u
#define MAX_REQUEST_BYTES 8192u
#define RETRY_MS "3000"

#define HANDSHAKE_TIMEOUT_MS 10000
#define FRAME_TIMEOUT_MS 30000
/* How long a failed ingest connection may take, after its ERROR, to close from the publisher's side. */
#define LINGER_MS 5000

#define INGEST_READ_BYTES (64u * 1024u)
/* ACK/ERROR bytes an ingest connection may have unsent before its input is no longer read. */
#define INGEST_OUT_LIMIT (256u * 1024u)
#define MAX_EPOLL_EVENTS 1024
#define ACCEPTS_PER_PASS 256

enum { T_HELLO = 0x01, T_WELCOME = 0x02, T_PUBLISH = 0x10, T_ACK = 0x11, T_PING = 0x20, T_PONG = 0x21, T_ERROR = 0x7F };

enum {
    E_BAD_FRAME = 1, E_BAD_HANDSHAKE = 2, E_UNSUPPORTED_VERSION = 3, E_FRAME_TOO_LARGE = 5, E_FRAME_TIMEOUT = 6,
    E_INVALID_TOPIC = 16, E_INVALID_EVENT = 17, E_INVALID_UTF8 = 18, E_DATA_TOO_LARGE = 19, E_EMPTY_DATA = 20,
    E_SHUTTING_DOWN = 32
};

static struct {
    int http_port;
    int ingest_port;
    uint32_t history;
    size_t max_queue_bytes;
    int send_buffer_bytes;
} cfg = { -1, -1, 1000, 1024 * 1024, 128 * 1024 };

/* ------------------------------------------------------------------------------------------------------------ */
/* Small helpers                                                                                                */

static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("sse_ref: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n);
    if (!p)
        die("out of memory (%zu bytes)", n);
    return p;
}

static void *xcalloc(size_t count, size_t n)
{
    void *p = calloc(count, n);
    if (!p)
        die("out of memory (%zu x %zu bytes)", count, n);
    return p;
}

static void *xrealloc(void *old, size_t n)
{
    void *p = realloc(old, n);
    if (!p)
        die("out of memory (%zu bytes)", n);
    return p;
}

static int64_t clock_ms(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint32_t rd16(const uint8_t *p) { return (uint32_t)p[0] << 8 | p[1]; }
static uint32_t rd32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }

static void wr16(uint8_t *p, uint32_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void wr32(uint8_t *p, uint32_t v) { wr16(p, v >> 16); wr16(p + 2, v); }
static void wr64(uint8_t *p, uint64_t v) { wr32(p, (uint32_t)(v >> 32)); wr32(p + 4, (uint32_t)v); }

/* Writes v in decimal; returns the number of digits. */
static size_t put_dec(char *dst, uint64_t v)
{
    char tmp[20];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (size_t i = 0; i < n; i++)
        dst[i] = tmp[n - 1 - i];
    return n;
}

/* Writes v in lower-case hex, as HTTP chunk sizes; returns the number of digits. */
static size_t put_hex(char *dst, size_t v)
{
    static const char digits[] = "0123456789abcdef";
    char tmp[16];
    size_t n = 0;
    do {
        tmp[n++] = digits[v & 15];
        v >>= 4;
    } while (v);
    for (size_t i = 0; i < n; i++)
        dst[i] = tmp[n - 1 - i];
    return n;
}

static char *put(char *dst, const void *src, size_t n)
{
    memcpy(dst, src, n);
    return dst + n;
}

/* Topic names: 1 to 128 bytes of A-Z a-z 0-9 . _ - : ~ @ (as the broker). */
static bool topic_valid(const char *name, size_t len)
{
    if (len == 0 || len > MAX_TOPIC_BYTES)
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr("._-:~@", c)) ||
            c == 0)
            return false;
    }
    return true;
}

/* Event names: up to 64 bytes of printable ASCII 0x21-0x7E. */
static bool event_name_valid(const uint8_t *name, size_t len)
{
    if (len > MAX_EVENT_BYTES)
        return false;
    for (size_t i = 0; i < len; i++)
        if (name[i] < 0x21 || name[i] > 0x7E)
            return false;
    return true;
}

/* Strict UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF. ASCII runs go 8 bytes at a time. */
static bool utf8_valid(const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint64_t word;
        if (i + 8 <= n && (memcpy(&word, s + i, 8), (word & 0x8080808080808080ull) == 0)) {
            i += 8;
            continue;
        }
        uint8_t b = s[i];
        if (b < 0x80) {
            i++;
            continue;
        }
        size_t len;
        uint32_t cp, min;
        if ((b & 0xE0) == 0xC0) {
            len = 2, cp = b & 0x1F, min = 0x80;
        } else if ((b & 0xF0) == 0xE0) {
            len = 3, cp = b & 0x0F, min = 0x800;
        } else if ((b & 0xF8) == 0xF0) {
            len = 4, cp = b & 0x07, min = 0x10000;
        } else {
            return false;
        }
        if (i + len > n)
            return false;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return false;
            cp = cp << 6 | (s[i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += len;
    }
    return true;
}

/* ------------------------------------------------------------------------------------------------------------ */
/* Events: encoded once, shared by reference                                                                   */

struct event {
    uint32_t refs;  /* single-threaded, so a plain counter */
    uint32_t len;   /* bytes of wire[] */
    uint64_t id;
    char wire[];    /* the complete HTTP chunk as it goes on every subscriber's socket */
};

static struct event *event_alloc(uint64_t id, size_t len)
{
    struct event *e = xmalloc(sizeof *e + len);
    e->refs = 1;
    e->len = (uint32_t)len;
    e->id = id;
    return e;
}

static void event_unref(struct event *e)
{
    if (--e->refs == 0)
        free(e);
}

/* Counts the line breaks of data (CR, LF and CRLF each one) and the bytes they take. */
static size_t count_breaks(const uint8_t *d, size_t n, size_t *break_bytes)
{
    size_t breaks = 0, bytes = 0;
    for (size_t i = 0; i < n; i++) {
        if (d[i] == '\n' || d[i] == '\r') {
            breaks++;
            bytes++;
            if (d[i] == '\r' && i + 1 < n && d[i + 1] == '\n') {
                bytes++;
                i++;
            }
        }
    }
    *break_bytes = bytes;
    return breaks;
}

/* One "data: " line per line of the payload, split where the WHATWG parser splits (CR, LF, CRLF). */
static char *put_data_lines(char *p, const uint8_t *d, size_t n)
{
    size_t start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && d[i] != '\n' && d[i] != '\r')
            continue;
        p = put(p, "data: ", 6);
        p = put(p, d + start, i - start);
        *p++ = '\n';
        if (i < n && d[i] == '\r' && i + 1 < n && d[i + 1] == '\n')
            i++;
        start = i + 1;
    }
    return p;
}

/*
 * The chunk of one event: "<size hex>\r\n" "id: N\n" ["event: NAME\n"] "data: LINE\n"... "\n" "\r\n".
 * Returned with one reference, the caller's.
 */
static struct event *event_encode(uint64_t id, const uint8_t *name, size_t name_len, const uint8_t *data,
                                  size_t data_len)
{
    char id_text[20], size_text[16];
    size_t id_len = put_dec(id_text, id), break_bytes;
    size_t lines = count_breaks(data, data_len, &break_bytes) + 1;
    size_t payload = 4 + id_len + 1 + (name_len ? 7 + name_len + 1 : 0) + lines * 7 + (data_len - break_bytes) + 1;
    size_t size_len = put_hex(size_text, payload);
    struct event *e = event_alloc(id, size_len + 2 + payload + 2);
    char *p = e->wire;
    p = put(p, size_text, size_len);
    p = put(p, "\r\nid: ", 6);
    p = put(p, id_text, id_len);
    *p++ = '\n';
    if (name_len) {
        p = put(p, "event: ", 7);
        p = put(p, name, name_len);
        *p++ = '\n';
    }
    p = put_data_lines(p, data, data_len);
    put(p, "\n\r\n", 3);
    return e;
}

/* The response head and the first chunk ("retry:" and a comment, as the broker sends), shared by every stream. */
static struct event *stream_head_encode(void)
{
    static const char head[] = "HTTP/1.1 200 OK\r\n"
                               "Content-Type: text/event-stream; charset=utf-8\r\n"
                               "Cache-Control: no-cache\r\n"
                               "X-Accel-Buffering: no\r\n"
                               "Transfer-Encoding: chunked\r\n"
                               "\r\n";
    static const char first[] = "retry: " RETRY_MS "\n: ok\n\n";
    char size_text[16];
    size_t size_len = put_hex(size_text, sizeof first - 1);
    struct event *e = event_alloc(0, sizeof head - 1 + size_len + 2 + sizeof first - 1 + 2);
    char *p = put(e->wire, head, sizeof head - 1);
    p = put(p, size_text, size_len);
    p = put(p, "\r\n", 2);
    p = put(p, first, sizeof first - 1);
    put(p, "\r\n", 2);
    return e;
}

/* ------------------------------------------------------------------------------------------------------------ */
/* Connections, topics and global state                                                                         */

enum kind { K_HTTP_LISTEN, K_INGEST_LISTEN, K_SIGNAL, K_SUB, K_INGEST };

/* First member of every object registered with epoll (epoll_event.data.ptr points to it). */
struct conn {
    enum kind kind;
    int fd;                   /* -1 once closed; the object is freed at the end of the loop iteration */
    struct conn *next_dead;
};

struct sub {
    struct conn c;
    struct sub *prev, *next;  /* every subscriber connection */
    struct topic *topic;      /* NULL until the request is answered */
    uint32_t topic_index;     /* position in topic->subs */
    struct event **q;         /* ring of queued events, q_cap a power of two */
    uint32_t q_cap, q_head, q_count;
    uint32_t q_off;           /* bytes of the first queued event already written */
    size_t queued_bytes;      /* bytes queued and not yet written */
    bool dirty;               /* in the dirty list: to be written in this iteration */
    bool blocked;             /* the last write hit EAGAIN: wait for EPOLLOUT */
    bool overflow;            /* past --max-queue-bytes: to be closed */
    char *req;                /* request bytes until the header block is complete */
    uint32_t req_len;
};

enum ingest_state { IN_HANDSHAKE, IN_OPEN, IN_CLOSING /* ERROR queued, not reading */, IN_DRAINING /* FIN sent */ };

struct buf {
    uint8_t *p;
    size_t len, cap;
};

struct ingest {
    struct conn c;
    struct ingest *prev, *next;  /* every ingest connection */
    enum ingest_state state;
    struct buf in;               /* unparsed input: at most one partial frame between passes */
    struct buf out;              /* ACK, PONG and ERROR frames not yet sent, from out_off */
    size_t out_off;
    size_t need;                 /* bytes the partial frame in `in` needs in all, 0 while its length is unknown */
    uint64_t frames;             /* publish frames numbered so far */
    uint64_t run_seq, run_id;    /* the ACK run being collected: first frame number and its id */
    uint32_t run_count;
    uint32_t interest;           /* events registered with epoll */
    int64_t accepted_ms, partial_ms, closing_ms;
};

struct topic {
    struct sub **subs;
    uint32_t nsubs, subs_cap;
    struct event **hist;         /* ring of the last --history events, grown on demand up to it */
    uint32_t hist_head, hist_count, hist_cap;
    uint64_t hash;
    size_t name_len;
    char name[MAX_TOPIC_BYTES];
};

static int ep = -1;
static int spare_fd = -1;            /* kept open to accept-and-close when out of file descriptors */
static bool stopping;
static int64_t now_ms;
static uint64_t epoch_id, next_id;
static struct event *stream_head;
static struct sub *all_subs;
static struct ingest *all_ingest;
static struct sub **dirty;
static size_t ndirty, dirty_cap;
static struct conn *dead;
static struct conn http_listener = { K_HTTP_LISTEN, -1, NULL };
static struct conn ingest_listener = { K_INGEST_LISTEN, -1, NULL };
static struct conn signals = { K_SIGNAL, -1, NULL };
static struct iovec iov[IOV_MAX];
static uint8_t scratch[64 * 1024];

static struct {
    struct topic **slots;  /* open addressing, linear probing; never more than half full */
    size_t mask, count;
} topics;

static struct {
    uint64_t events, deliveries, sends, subscribers, dropped_slow;
} stats;

static void bury(struct conn *c)
{
    c->fd = -1;
    c->next_dead = dead;
    dead = c;
}

static void epoll_add(struct conn *c, uint32_t events)
{
    struct epoll_event ev = { .events = events, .data.ptr = c };
    if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) < 0)
        die("epoll_ctl add: %s", strerror(errno));
}

static uint64_t topic_hash(const char *name, size_t len)
{
    uint64_t h = 0xcbf29ce484222325ull;  /* FNV-1a */
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)name[i]) * 0x100000001b3ull;
    return h;
}

static void topics_grow(void)
{
    size_t cap = (topics.mask + 1) * 2;
    struct topic **slots = xcalloc(cap, sizeof *slots);
    for (size_t i = 0; i <= topics.mask; i++) {
        struct topic *t = topics.slots[i];
        if (!t)
            continue;
        size_t j = t->hash & (cap - 1);
        while (slots[j])
            j = (j + 1) & (cap - 1);
        slots[j] = t;
    }
    free(topics.slots);
    topics.slots = slots;
    topics.mask = cap - 1;
}

/* The topic of that name, created on first use; NULL when MAX_TOPICS exist already. */
static struct topic *topic_get(const char *name, size_t len)
{
    uint64_t h = topic_hash(name, len);
    size_t i = h & topics.mask;
    for (struct topic *t; (t = topics.slots[i]) != NULL; i = (i + 1) & topics.mask)
        if (t->hash == h && t->name_len == len && memcmp(t->name, name, len) == 0)
            return t;
    if (topics.count >= MAX_TOPICS)
        return NULL;
    struct topic *t = xcalloc(1, sizeof *t);
    t->hash = h;
    t->name_len = len;
    memcpy(t->name, name, len);
    topics.slots[i] = t;
    if (++topics.count * 2 > topics.mask + 1)
        topics_grow();
    return t;
}

static void history_push(struct topic *t, struct event *e)
{
    e->refs++;
    if (t->hist_count == cfg.history) {  /* full: the oldest makes room */
        event_unref(t->hist[t->hist_head]);
        t->hist[t->hist_head] = e;
        if (++t->hist_head == t->hist_cap)
            t->hist_head = 0;
        return;
    }
    if (t->hist_count == t->hist_cap) {  /* grow, unwrapping the ring */
        uint32_t cap = t->hist_cap ? t->hist_cap * 2 : 16;
        if (cap > cfg.history)
            cap = cfg.history;
        struct event **hist = xmalloc(cap * sizeof *hist);
        for (uint32_t i = 0; i < t->hist_count; i++)
            hist[i] = t->hist[(t->hist_head + i) % t->hist_cap];
        free(t->hist);
        t->hist = hist;
        t->hist_cap = cap;
        t->hist_head = 0;
    }
    t->hist[(t->hist_head + t->hist_count++) % t->hist_cap] = e;
}

/* ------------------------------------------------------------------------------------------------------------ */
/* Subscribers: queue, write, close                                                                             */

static void mark_dirty(struct sub *s)
{
    if (s->dirty)
        return;
    if (ndirty == dirty_cap) {
        dirty_cap = dirty_cap ? dirty_cap * 2 : 1024;
        dirty = xrealloc(dirty, dirty_cap * sizeof *dirty);
    }
    dirty[ndirty++] = s;
    s->dirty = true;
}

static void sub_enqueue(struct sub *s, struct event *e)
{
    if (s->overflow)
        return;
    if (s->queued_bytes + e->len > cfg.max_queue_bytes) {
        s->overflow = true;  /* closed in the write phase, so topic->subs does not change under the fan-out */
        mark_dirty(s);
        return;
    }
    if (s->q_count == s->q_cap) {  /* grow, unwrapping the ring */
        uint32_t cap = s->q_cap ? s->q_cap * 2 : 8;
        struct event **q = xmalloc(cap * sizeof *q);
        for (uint32_t i = 0; i < s->q_count; i++)
            q[i] = s->q[(s->q_head + i) & (s->q_cap - 1)];
        free(s->q);
        s->q = q;
        s->q_cap = cap;
        s->q_head = 0;
    }
    s->q[(s->q_head + s->q_count++) & (s->q_cap - 1)] = e;
    e->refs++;
    s->queued_bytes += e->len;
    if (!s->blocked)
        mark_dirty(s);
}

static void sub_pop(struct sub *s)
{
    event_unref(s->q[s->q_head]);
    s->q_head = (s->q_head + 1) & (s->q_cap - 1);
    s->q_count--;
    s->q_off = 0;
}

/* Drops what a write took from the front of the queue. */
static void sub_consume(struct sub *s, size_t written)
{
    s->queued_bytes -= written;
    while (written > 0) {
        size_t rest = s->q[s->q_head]->len - s->q_off;
        if (written < rest) {
            s->q_off += (uint32_t)written;
            return;
        }
        written -= rest;
        sub_pop(s);
    }
}

static void sub_close(struct sub *s)
{
    if (s->topic) {  /* swap the last subscriber of the topic into this one's place */
        struct topic *t = s->topic;
        struct sub *last = t->subs[--t->nsubs];
        t->subs[s->topic_index] = last;
        last->topic_index = s->topic_index;
    }
    while (s->q_count)
        sub_pop(s);
    free(s->q);
    free(s->req);
    close(s->c.fd);
    if (s->prev)
        s->prev->next = s->next;
    else
        all_subs = s->next;
    if (s->next)
        s->next->prev = s->prev;
    bury(&s->c);
}

/* Writes the whole queue, IOV_MAX buffers per sendmsg, until it is empty or the socket is full (EAGAIN). */
static void sub_write(struct sub *s)
{
    while (s->q_count > 0) {
        uint32_t n = s->q_count < IOV_MAX ? s->q_count : IOV_MAX;
        for (uint32_t i = 0; i < n; i++) {
            struct event *e = s->q[(s->q_head + i) & (s->q_cap - 1)];
            uint32_t skip = i == 0 ? s->q_off : 0;
            iov[i].iov_base = e->wire + skip;
            iov[i].iov_len = e->len - skip;
        }
        struct msghdr msg = { .msg_iov = iov, .msg_iovlen = n };
        ssize_t w = sendmsg(s->c.fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
        stats.sends++;
        if (w >= 0) {
            sub_consume(s, (size_t)w);
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            s->blocked = true;  /* the kernel set SOCK_NOSPACE: an EPOLLOUT edge follows when there is room */
            return;
        } else if (errno != EINTR) {
            sub_close(s);
            return;
        }
    }
}

/* The write phase: one pass over the subscribers that got events (or room) in this iteration. */
static void write_dirty_subscribers(void)
{
    for (size_t i = 0; i < ndirty; i++) {
        struct sub *s = dirty[i];
        s->dirty = false;
        if (s->c.fd < 0)
            continue;
        if (s->overflow) {
            fprintf(stderr, "sse_ref: dropped a slow subscriber of %.*s (%zu bytes queued)\n", (int)s->topic->name_len,
                    s->topic->name, s->queued_bytes);
            stats.dropped_slow++;
            sub_close(s);
            continue;
        }
        sub_write(s);
    }
    ndirty = 0;
}

/* ------------------------------------------------------------------------------------------------------------ */
/* Subscribers: the request                                                                                     */

struct request {
    char topic[MAX_TOPIC_BYTES];
    size_t topic_len;
    int topics;             /* topic parameters seen */
    bool topic_ok;          /* the (last) topic parameter decoded and is a valid name */
    bool resume;
    uint64_t last_id;
    const char *reason;     /* why it was refused */
};

static int hex_value(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c |= 0x20;
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Percent-decodes a query value into out; false when malformed or longer than cap. */
static bool url_decode(const char *s, size_t n, char *out, size_t cap, size_t *out_len)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)s[i];
        if (c == '%') {
            if (i + 2 >= n || hex_value(s[i + 1]) < 0 || hex_value(s[i + 2]) < 0)
                return false;
            c = hex_value(s[i + 1]) << 4 | hex_value(s[i + 2]);
            i += 2;
        } else if (c == '+') {
            c = ' ';
        }
        if (o == cap)
            return false;
        out[o++] = (char)c;
    }
    *out_len = o;
    return true;
}

static void parse_query(const char *q, const char *end, struct request *r)
{
    while (q < end) {
        const char *amp = memchr(q, '&', (size_t)(end - q));
        const char *stop = amp ? amp : end;
        if (stop - q >= 6 && memcmp(q, "topic=", 6) == 0) {
            r->topics++;
            r->topic_ok = url_decode(q + 6, (size_t)(stop - q - 6), r->topic, sizeof r->topic, &r->topic_len) &&
                          topic_valid(r->topic, r->topic_len);
        }
        q = stop + 1;
    }
}

/* Last-Event-ID: a decimal id to resume after; anything else is ignored. */
static void parse_header(const char *line, const char *end, struct request *r)
{
    static const char name[] = "last-event-id:";
    if (end - line < (ptrdiff_t)sizeof name - 1 || strncasecmp(line, name, sizeof name - 1) != 0)
        return;
    const char *v = line + sizeof name - 1;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    if (v == end || end - v > 18)
        return;
    uint64_t id = 0;
    for (const char *p = v; p < end; p++) {
        if (*p < '0' || *p > '9')
            return;
        id = id * 10 + (uint64_t)(*p - '0');
    }
    r->resume = true;
    r->last_id = id;
}

static int refuse(struct request *r, int status, const char *reason)
{
    r->reason = reason;
    return status;
}

/* Parses a complete header block (ending in CRLF CRLF); returns 200 or the status to refuse it with. */
static int parse_request(const char *req, size_t len, struct request *r)
{
    const char *end = req + len;
    const char *eol = memmem(req, len, "\r\n", 2);
    const char *sp1 = memchr(req, ' ', (size_t)(eol - req));
    const char *sp2 = sp1 ? memchr(sp1 + 1, ' ', (size_t)(eol - sp1 - 1)) : NULL;
    if (!sp2)
        return refuse(r, 400, "malformed request line");
    if (eol - sp2 - 1 != 8 || memcmp(sp2 + 1, "HTTP/1.1", 8) != 0)
        return refuse(r, 400, "HTTP/1.1 only");
    if (sp1 - req != 3 || memcmp(req, "GET", 3) != 0)
        return refuse(r, 405, "only GET /events");
    const char *target = sp1 + 1;
    const char *query = memchr(target, '?', (size_t)(sp2 - target));
    const char *path_end = query ? query : sp2;
    if (path_end - target != 7 || memcmp(target, "/events", 7) != 0)
        return refuse(r, 404, "not found");
    if (query)
        parse_query(query + 1, sp2, r);
    if (r->topics != 1)
        return refuse(r, 400, "exactly one topic parameter per stream");
    if (!r->topic_ok)
        return refuse(r, 400, "invalid topic");
    for (const char *line = eol + 2; line < end;) {
        const char *next = memmem(line, (size_t)(end - line), "\r\n", 2);
        if (next == line)
            break;
        parse_header(line, next, r);
        line = next + 2;
    }
    return 200;
}

static const char *status_text(int status)
{
    switch (status) {
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 431: return "Request Header Fields Too Large";
    default: return "Service Unavailable";
    }
}

/* A one-line plain-text refusal, then close. One small write to a fresh socket: best effort. */
static void sub_refuse(struct sub *s, int status, const char *reason)
{
    char text[512];
    int n = snprintf(text, sizeof text,
                     "HTTP/1.1 %d %s\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: %zu\r\n"
                     "%sConnection: close\r\n\r\n%s\n",
                     status, status_text(status), strlen(reason) + 1, status == 405 ? "Allow: GET\r\n" : "", reason);
    if (send(s->c.fd, text, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) < n)
        fprintf(stderr, "sse_ref: could not send the whole %d response\n", status);
    sub_close(s);
}

/* Joins the topic: the response head, then what history holds after Last-Event-ID, then live events. */
static void sub_start(struct sub *s, const struct request *r)
{
    struct topic *t = topic_get(r->topic, r->topic_len);
    if (!t) {
        sub_refuse(s, 503, "topic limit reached");
        return;
    }
    if (t->nsubs == t->subs_cap) {
        t->subs_cap = t->subs_cap ? t->subs_cap * 2 : 4;
        t->subs = xrealloc(t->subs, t->subs_cap * sizeof *t->subs);
    }
    s->topic = t;
    s->topic_index = t->nsubs;
    t->subs[t->nsubs++] = s;
    free(s->req);
    s->req = NULL;
    stats.subscribers++;
    sub_enqueue(s, stream_head);
    for (uint32_t i = 0; r->resume && i < t->hist_count; i++) {
        struct event *e = t->hist[(t->hist_head + i) % t->hist_cap];
        if (e->id > r->last_id)
            sub_enqueue(s, e);
    }
}

/* Request bytes arrived; returns false when the subscriber was closed. */
static bool sub_request_bytes(struct sub *s, const uint8_t *data, size_t n)
{
    if (s->req_len + n > MAX_REQUEST_BYTES) {
        sub_refuse(s, 431, "request header block over 8 KiB");
        return false;
    }
    if (!s->req)
        s->req = xmalloc(MAX_REQUEST_BYTES);
    size_t from = s->req_len >= 3 ? s->req_len - 3 : 0;
    memcpy(s->req + s->req_len, data, n);
    s->req_len += (uint32_t)n;
    const char *end = memmem(s->req + from, s->req_len - from, "\r\n\r\n", 4);
    if (!end)
        return true;
    struct request r = { 0 };
    int status = parse_request(s->req, (size_t)(end + 4 - s->req), &r);
    if (status != 200) {
        sub_refuse(s, status, r.reason);
        return false;
    }
    sub_start(s, &r);  /* bytes after the header block are ignored, like everything a stream sends later */
    return s->c.fd >= 0;
}

/* Reads until EAGAIN (edge-triggered): the request, then anything else, which is ignored; EOF closes. */
static void sub_read(struct sub *s)
{
    for (;;) {
        ssize_t n = recv(s->c.fd, scratch, sizeof scratch, 0);
        if (n > 0) {
            if (!s->topic && !sub_request_bytes(s, scratch, (size_t)n))
                return;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else {
            if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
                sub_close(s);
            return;
        }
    }
}

static void sub_on_event(struct sub *s, uint32_t events)
{
    if (events & (EPOLLERR | EPOLLHUP)) {
        sub_close(s);
        return;
    }
    if (events & (EPOLLIN | EPOLLRDHUP)) {
        sub_read(s);
        if (s->c.fd < 0)
            return;
    }
    if ((events & EPOLLOUT) && s->blocked) {
        s->blocked = false;
        mark_dirty(s);
    }
}

static void sub_accept(int fd)
{
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    /* Bounds what the kernel holds for a stalled reader, as the broker's --socket-send-buffer-bytes does. */
    if (cfg.send_buffer_bytes > 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &cfg.send_buffer_bytes, sizeof cfg.send_buffer_bytes);
    struct sub *s = xcalloc(1, sizeof *s);
    s->c.kind = K_SUB;
    s->c.fd = fd;
    s->next = all_subs;
    if (all_subs)
        all_subs->prev = s;
    all_subs = s;
    epoll_add(&s->c, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET);
}

/* ------------------------------------------------------------------------------------------------------------ */
/* Ingest: output frames                                                                                        */

static uint8_t *out_reserve(struct ingest *c, size_t n)
{
    struct buf *b = &c->out;
    if (b->len + n > b->cap) {
        if (c->out_off > 0) {  /* drop what was sent before growing */
            memmove(b->p, b->p + c->out_off, b->len - c->out_off);
            b->len -= c->out_off;
            c->out_off = 0;
        }
        while (b->len + n > b->cap)
            b->cap = b->cap ? b->cap * 2 : 4096;
        b->p = xrealloc(b->p, b->cap);
    }
    uint8_t *p = b->p + b->len;
    b->len += n;
    return p;
}

/* Sends the ACK run collected so far, if any. */
static void ack_run_end(struct ingest *c)
{
    if (c->run_count == 0)
        return;
    uint8_t *p = out_reserve(c, 25);
    wr32(p, 21);
    p[4] = T_ACK;
    wr64(p + 5, c->run_seq);
    wr32(p + 13, c->run_count);
    wr64(p + 17, c->run_id);
    c->run_count = 0;
}

/* Frame seq got id: extends the run while numbers and ids both go on by one, else starts a new one. */
static void ack_run_add(struct ingest *c, uint64_t seq, uint64_t id)
{
    if (c->run_count && c->run_seq + c->run_count == seq && c->run_id + c->run_count == id) {
        c->run_count++;
        return;
    }
    ack_run_end(c);
    c->run_seq = seq;
    c->run_id = id;
    c->run_count = 1;
}

static void send_error(struct ingest *c, uint64_t seq, uint16_t code, const char *message)
{
    size_t n = strlen(message);
    uint8_t *p = out_reserve(c, 17 + n);
    wr32(p, (uint32_t)(13 + n));
    p[4] = T_ERROR;
    wr64(p + 5, seq);
    wr16(p + 13, code);
    wr16(p + 15, (uint32_t)n);
    memcpy(p + 17, message, n);
}

/* A rejected publish frame: the run so far is acknowledged first, so no run spans the rejected number. */
static void reject(struct ingest *c, uint64_t seq, uint16_t code, const char *message)
{
    ack_run_end(c);
    send_error(c, seq, code, message);
}

/* A connection-level error: acknowledge what was taken, send the ERROR, stop reading, close once it is sent. */
static void ingest_fail(struct ingest *c, uint16_t code, const char *message)
{
    ack_run_end(c);
    send_error(c, 0, code, message);
    c->state = IN_CLOSING;
    c->closing_ms = now_ms;
}

/* ------------------------------------------------------------------------------------------------------------ */
/* Ingest: frames                                                                                               */

/* Sequences one event: encode once, keep in history, queue to every subscriber of the topic. */
static uint64_t publish(struct topic *t, const uint8_t *name, size_t name_len, const uint8_t *data, size_t data_len)
{
    uint64_t id = next_id++;
    struct event *e = event_encode(id, name, name_len, data, data_len);
    history_push(t, e);
    stats.deliveries += t->nsubs;
    for (uint32_t i = 0; i < t->nsubs; i++)
        sub_enqueue(t->subs[i], e);
    event_unref(e);
    stats.events++;
    return id;
}

static void on_hello(struct ingest *c, int type, const uint8_t *b, uint32_t n)
{
    if (type != T_HELLO) {
        ingest_fail(c, E_BAD_HANDSHAKE, "the first frame must be HELLO (0x01)");
        return;
    }
    if (n < 4 || rd32(b) != MAGIC) {
        ingest_fail(c, E_BAD_HANDSHAKE, "HELLO must start with magic 0x53534542 ('SSEB')");
        return;
    }
    if (n < 5 || b[4] != 1) {
        ingest_fail(c, E_UNSUPPORTED_VERSION, "protocol version not supported; supported versions: 1");
        return;
    }
    /* version 1: magic u32, version u8, tokenLength u16, token, nameLength u16, name; the token is ignored */
    uint32_t token_len = n >= 7 ? rd16(b + 5) : 0;
    if (n < 9 || 9 + token_len > n || 9 + token_len + rd16(b + 7 + token_len) != n) {
        ingest_fail(c, E_BAD_HANDSHAKE, "HELLO field lengths do not add up to the frame length");
        return;
    }
    if (rd16(b + 7 + token_len) > MAX_NAME_BYTES) {
        ingest_fail(c, E_BAD_HANDSHAKE, "HELLO name over 255 bytes");
        return;
    }
    uint8_t *p = out_reserve(c, 26);
    wr32(p, 22);
    p[4] = T_WELCOME;
    p[5] = 1;
    wr32(p + 6, MAX_FRAME_LENGTH);
    wr32(p + 10, MAX_DATA_BYTES);
    wr32(p + 14, MAX_IN_FLIGHT);
    wr64(p + 18, epoch_id);
    c->state = IN_OPEN;
}

/* PUBLISH, version 1: topicLength u16, topic, eventLength u8, event, dataLength u32, data. */
static void on_publish(struct ingest *c, const uint8_t *b, uint32_t n)
{
    /* Field lengths against the frame: a connection-level BAD_FRAME. */
    uint32_t topic_len = n >= 2 ? rd16(b) : 0;
    if (n < 3 || 3 + topic_len > n) {
        ingest_fail(c, E_BAD_FRAME, "PUBLISH topic length exceeds the frame");
        return;
    }
    uint32_t name_len = b[2 + topic_len];
    if (7 + topic_len + name_len > n) {
        ingest_fail(c, E_BAD_FRAME, "PUBLISH event length exceeds the frame");
        return;
    }
    uint32_t data_len = rd32(b + 3 + topic_len + name_len);
    if (data_len != n - 7 - topic_len - name_len) {
        ingest_fail(c, E_BAD_FRAME, "PUBLISH data length does not match the frame");
        return;
    }
    /* From here on the frame has a number and its own answer; the connection goes on. */
    uint64_t seq = ++c->frames;
    const char *topic = (const char *)b + 2;
    const uint8_t *name = b + 3 + topic_len, *data = b + 7 + topic_len + name_len;
    struct topic *t;
    if (!topic_valid(topic, topic_len))
        reject(c, seq, E_INVALID_TOPIC, "topic must be 1 to 128 bytes of A-Z a-z 0-9 . _ - : ~ @");
    else if (!event_name_valid(name, name_len))
        reject(c, seq, E_INVALID_EVENT, "event name must be at most 64 printable ASCII characters");
    else if (data_len == 0)
        reject(c, seq, E_EMPTY_DATA, "data must not be empty");
    else if (data_len > MAX_DATA_BYTES)
        reject(c, seq, E_DATA_TOO_LARGE, "data over maxDataBytes");
    else if (!utf8_valid(data, data_len))
        reject(c, seq, E_INVALID_UTF8, "data is not valid UTF-8");
    else if (!(t = topic_get(topic, topic_len)))
        reject(c, seq, E_INVALID_TOPIC, "topic limit reached");
    else
        ack_run_add(c, seq, publish(t, name, name_len, data, data_len));
}

static void on_frame(struct ingest *c, int type, const uint8_t *body, uint32_t n)
{
    if (c->state == IN_HANDSHAKE) {
        on_hello(c, type, body, n);
        return;
    }
    switch (type) {
    case T_PUBLISH:
        on_publish(c, body, n);
        break;
    case T_PING:
        if (n != 8) {
            ingest_fail(c, E_BAD_FRAME, "PING body must be 8 bytes");
        } else {
            uint8_t *p = out_reserve(c, 13);
            wr32(p, 9);
            p[4] = T_PONG;
            memcpy(p + 5, body, 8);
        }
        break;
    case T_HELLO:
        ingest_fail(c, E_BAD_FRAME, "second HELLO");
        break;
    default:
        ingest_fail(c, E_BAD_FRAME, "unknown frame type");
        break;
    }
}

/* Checks a length prefix as soon as it is read, before the frame's body arrives; false once failed. */
static bool length_ok(struct ingest *c, uint32_t len)
{
    if (c->state == IN_HANDSHAKE && (len == 0 || len > MAX_HELLO_LENGTH))
        ingest_fail(c, E_BAD_HANDSHAKE, "HELLO length must be 1 to 8192");
    else if (len == 0)
        ingest_fail(c, E_BAD_FRAME, "frame length 0");
    else if (len > MAX_FRAME_LENGTH)
        ingest_fail(c, E_FRAME_TOO_LARGE, "frame length over maxFrameBytes");
    else
        return true;
    return false;
}

/* Handles every complete frame of the input, keeps a partial one, and ends the pass's ACK run. */
static void ingest_parse(struct ingest *c)
{
    size_t pos = 0;
    bool progressed = false;
    c->need = 0;
    while (c->state == IN_HANDSHAKE || c->state == IN_OPEN) {
        size_t avail = c->in.len - pos;
        if (avail < 4)
            break;
        uint32_t len = rd32(c->in.p + pos);
        if (!length_ok(c, len))
            break;
        if (avail - 4 < len) {
            c->need = 4 + (size_t)len;
            break;
        }
        on_frame(c, c->in.p[pos + 4], c->in.p + pos + 5, len - 1);
        pos += 4 + (size_t)len;
        progressed = true;
    }
    memmove(c->in.p, c->in.p + pos, c->in.len - pos);
    c->in.len -= pos;
    /* FRAME_TIMEOUT counts from when the frame now at the front started arriving. */
    if (c->in.len == 0)
        c->partial_ms = 0;
    else if (progressed || c->partial_ms == 0)
        c->partial_ms = now_ms;
    ack_run_end(c);
}

/* ------------------------------------------------------------------------------------------------------------ */
/* Ingest: connections                                                                                          */

static void ingest_close(struct ingest *c)
{
    close(c->c.fd);
    free(c->in.p);
    free(c->out.p);
    if (c->prev)
        c->prev->next = c->next;
    else
        all_ingest = c->next;
    if (c->next)
        c->next->prev = c->prev;
    bury(&c->c);
}

static void ingest_set_interest(struct ingest *c, uint32_t want)
{
    if (want == c->interest)
        return;
    struct epoll_event ev = { .events = want, .data.ptr = &c->c };
    if (epoll_ctl(ep, EPOLL_CTL_MOD, c->c.fd, &ev) < 0)
        die("epoll_ctl mod: %s", strerror(errno));
    c->interest = want;
}

/* One read pass: a single recv, then every frame it completes. */
static void ingest_read(struct ingest *c)
{
    if (c->state == IN_CLOSING)
        return;
    if (c->state == IN_DRAINING) {  /* waiting for the publisher's FIN after our ERROR; input is discarded */
        ssize_t n = recv(c->c.fd, scratch, sizeof scratch, 0);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
            ingest_close(c);
        return;
    }
    size_t want = c->need > INGEST_READ_BYTES ? c->need : INGEST_READ_BYTES;
    if (c->in.cap < want) {
        c->in.p = xrealloc(c->in.p, want);
        c->in.cap = want;
    }
    ssize_t n = recv(c->c.fd, c->in.p + c->in.len, c->in.cap - c->in.len, 0);
    if (n > 0) {
        c->in.len += (size_t)n;
        ingest_parse(c);
    } else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
        ingest_close(c);  /* the publisher left: what it sent before is sequenced and stays */
    }
}

static void ingest_on_event(struct ingest *c, uint32_t events)
{
    if (events & (EPOLLERR | EPOLLHUP))
        ingest_close(c);
    else if (events & EPOLLIN)
        ingest_read(c);
    /* EPOLLOUT needs nothing here: the flush phase writes every connection with output. */
}

/* Sends pending output and sets what epoll watches: input while output is under the limit, EPOLLOUT while blocked. */
static void ingest_flush(struct ingest *c)
{
    while (c->out_off < c->out.len) {
        ssize_t w = send(c->c.fd, c->out.p + c->out_off, c->out.len - c->out_off, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w >= 0) {
            c->out_off += (size_t)w;
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            break;
        } else if (errno != EINTR) {
            ingest_close(c);
            return;
        }
    }
    bool blocked = c->out_off < c->out.len;
    if (!blocked)
        c->out.len = c->out_off = 0;
    if (c->state == IN_CLOSING && !blocked) {
        /* ERROR sent: half-close and read until the publisher closes, so our close cannot reset the ERROR away */
        shutdown(c->c.fd, SHUT_WR);
        c->state = IN_DRAINING;
    }
    uint32_t want;
    if (c->state == IN_CLOSING)
        want = EPOLLOUT;
    else if (c->state == IN_DRAINING)
        want = EPOLLIN;
    else
        want = (c->out.len - c->out_off < INGEST_OUT_LIMIT ? EPOLLIN : 0) | (blocked ? EPOLLOUT : 0);
    ingest_set_interest(c, want);
}

static void ingest_accept(int fd)
{
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct ingest *c = xcalloc(1, sizeof *c);
    c->c.kind = K_INGEST;
    c->c.fd = fd;
    c->state = IN_HANDSHAKE;
    c->accepted_ms = now_ms;
    c->interest = EPOLLIN;
    c->next = all_ingest;
    if (all_ingest)
        all_ingest->prev = c;
    all_ingest = c;
    epoll_add(&c->c, EPOLLIN);
}

/* Once a second: handshake and frame timeouts, and connections that do not close after their ERROR. */
static void ingest_sweep(void)
{
    for (struct ingest *c = all_ingest, *next; c; c = next) {
        next = c->next;
        if (c->state == IN_HANDSHAKE && now_ms - c->accepted_ms >= HANDSHAKE_TIMEOUT_MS)
            ingest_fail(c, E_BAD_HANDSHAKE, "no complete HELLO within 10000 ms");
        else if (c->state == IN_OPEN && c->partial_ms && now_ms - c->partial_ms >= FRAME_TIMEOUT_MS)
            ingest_fail(c, E_FRAME_TIMEOUT, "frame not completed within 30000 ms");
        else if (c->state >= IN_CLOSING && now_ms - c->closing_ms >= LINGER_MS)
            ingest_close(c);
    }
}

/* ------------------------------------------------------------------------------------------------------------ */
/* Listeners and the loop                                                                                       */

static int listen_on(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                                .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
        bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(fd, 8192) < 0)
        die("cannot listen on 127.0.0.1:%d: %s", port, strerror(errno));
    return fd;
}

static void accept_all(int listen_fd, void (*add)(int fd))
{
    for (int i = 0; i < ACCEPTS_PER_PASS; i++) {
        int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0) {
            add(fd);
        } else if (errno == EMFILE || errno == ENFILE) {
            /* Out of descriptors: accept with the spare one and close at once, or the level-triggered listener spins. */
            fprintf(stderr, "sse_ref: out of file descriptors, refusing a connection\n");
            close(spare_fd);
            fd = accept(listen_fd, NULL, NULL);
            if (fd >= 0)
                close(fd);
            spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
            return;
        } else if (errno != EINTR && errno != ECONNABORTED) {
            return;  /* EAGAIN: backlog empty */
        }
    }
}

static void dispatch(struct conn *c, uint32_t events)
{
    if (c->fd < 0)  /* closed earlier in this iteration */
        return;
    switch (c->kind) {
    case K_HTTP_LISTEN:
        accept_all(c->fd, sub_accept);
        break;
    case K_INGEST_LISTEN:
        accept_all(c->fd, ingest_accept);
        break;
    case K_SIGNAL:
        stopping = true;
        break;
    case K_SUB:
        sub_on_event((struct sub *)c, events);
        break;
    case K_INGEST:
        ingest_on_event((struct ingest *)c, events);
        break;
    }
}

static void free_dead(void)
{
    while (dead) {
        struct conn *c = dead;
        dead = c->next_dead;
        free(c);  /* struct conn is the first member of both struct sub and struct ingest */
    }
}

static void run(void)
{
    static struct epoll_event events[MAX_EPOLL_EVENTS];
    int64_t last_sweep = now_ms;
    while (!stopping) {
        int n = epoll_wait(ep, events, MAX_EPOLL_EVENTS, 1000);
        if (n < 0 && errno != EINTR)
            die("epoll_wait: %s", strerror(errno));
        now_ms = clock_ms(CLOCK_MONOTONIC_COARSE);
        /* 1. everything readable: connections, ingest input (sequenced and queued), requests, EOFs */
        for (int i = 0; i < n; i++)
            dispatch(events[i].data.ptr, events[i].events);
        if (now_ms - last_sweep >= 1000) {
            ingest_sweep();
            last_sweep = now_ms;
        }
        /* 2. one write (sendmsg of all queued buffers) per subscriber with something new */
        write_dirty_subscribers();
        /* 3. the ACK runs of this iteration's read passes */
        for (struct ingest *c = all_ingest, *next; c; c = next) {
            next = c->next;
            ingest_flush(c);
        }
        free_dead();
    }
}

/* Clean shutdown: publishers get ERROR SHUTTING_DOWN (their acks went out already), then everything is freed. */
static void shut_down(void)
{
    while (all_ingest) {
        struct ingest *c = all_ingest;
        if (c->state <= IN_OPEN) {
            send_error(c, 0, E_SHUTTING_DOWN, "the server is stopping");
            if (send(c->c.fd, c->out.p + c->out_off, c->out.len - c->out_off, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
                fprintf(stderr, "sse_ref: SHUTTING_DOWN not sent: %s\n", strerror(errno));
        }
        ingest_close(c);
    }
    while (all_subs)
        sub_close(all_subs);
    free_dead();
    for (size_t i = 0; i <= topics.mask; i++) {
        struct topic *t = topics.slots[i];
        if (!t)
            continue;
        for (uint32_t k = 0; k < t->hist_count; k++)
            event_unref(t->hist[(t->hist_head + k) % t->hist_cap]);
        free(t->hist);
        free(t->subs);
        free(t);
    }
    free(topics.slots);
    free(dirty);
    event_unref(stream_head);
    close(http_listener.fd);
    close(ingest_listener.fd);
    close(signals.fd);
    close(spare_fd);
    close(ep);
}

static unsigned long long number_arg(const char *name, const char *value, unsigned long long min,
                                     unsigned long long max)
{
    char *end;
    errno = 0;
    unsigned long long v = value ? strtoull(value, &end, 10) : 0;
    if (!value || errno || *end || value[0] == '-' || v < min || v > max)
        die("%s needs a number from %llu to %llu", name, min, max);
    return v;
}

static void parse_args(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--http-port") == 0)
            cfg.http_port = (int)number_arg(a, v, 1, 65535);
        else if (strcmp(a, "--ingest-port") == 0)
            cfg.ingest_port = (int)number_arg(a, v, 1, 65535);
        else if (strcmp(a, "--threads") == 0)
            number_arg(a, v, 1, 1);  /* one loop on one thread is all there is */
        else if (strcmp(a, "--history") == 0)
            cfg.history = (uint32_t)number_arg(a, v, 1, 1u << 24);
        else if (strcmp(a, "--max-queue-bytes") == 0)
            cfg.max_queue_bytes = (size_t)number_arg(a, v, 4096, 1ull << 32);
        else if (strcmp(a, "--socket-send-buffer-bytes") == 0)
            cfg.send_buffer_bytes = (int)number_arg(a, v, 0, 64u << 20);
        else
            die("usage: sse_ref --http-port P --ingest-port Q [--threads 1] [--history 1000] "
                "[--max-queue-bytes 1048576] [--socket-send-buffer-bytes 131072 (0: kernel auto-tuning)]");
        i++;
    }
    if (cfg.http_port < 0 || cfg.ingest_port < 0)
        die("--http-port and --ingest-port are required");
}

int main(int argc, char **argv)
{
    parse_args(argc, argv);

    struct rlimit nofile;
    if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < nofile.rlim_max) {
        nofile.rlim_cur = nofile.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &nofile) < 0)
            fprintf(stderr, "sse_ref: could not raise the open-file limit: %s\n", strerror(errno));
    }
    signal(SIGPIPE, SIG_IGN);
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    sigprocmask(SIG_BLOCK, &stop_signals, NULL);

    ep = epoll_create1(EPOLL_CLOEXEC);
    signals.fd = signalfd(-1, &stop_signals, SFD_NONBLOCK | SFD_CLOEXEC);
    if (ep < 0 || signals.fd < 0)
        die("epoll/signalfd: %s", strerror(errno));
    http_listener.fd = listen_on(cfg.http_port);
    ingest_listener.fd = listen_on(cfg.ingest_port);
    spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    epoll_add(&http_listener, EPOLLIN);
    epoll_add(&ingest_listener, EPOLLIN);
    epoll_add(&signals, EPOLLIN);

    topics.mask = 1023;
    topics.slots = xcalloc(topics.mask + 1, sizeof *topics.slots);
    stream_head = stream_head_encode();
    epoch_id = next_id = (uint64_t)clock_ms(CLOCK_REALTIME) * 1000;  /* ids never repeat across restarts */
    now_ms = clock_ms(CLOCK_MONOTONIC_COARSE);
    getrlimit(RLIMIT_NOFILE, &nofile);
    fprintf(stderr, "sse_ref: http 127.0.0.1:%d, ingest 127.0.0.1:%d, epochId %llu, history %u, max queue %zu bytes, "
            "open files %llu\n", cfg.http_port, cfg.ingest_port, (unsigned long long)epoch_id, cfg.history,
            cfg.max_queue_bytes, (unsigned long long)nofile.rlim_cur);

    run();

    shut_down();
    fprintf(stderr, "sse_ref: stopped: %llu events, %llu deliveries, %llu sendmsg to subscribers, %llu streams, "
            "%llu dropped as slow\n", (unsigned long long)stats.events, (unsigned long long)stats.deliveries,
            (unsigned long long)stats.sends, (unsigned long long)stats.subscribers,
            (unsigned long long)stats.dropped_slow);
    return 0;
}
