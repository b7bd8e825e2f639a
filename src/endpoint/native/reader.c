/*
 * agentdyno-reader: the native reader of the opt-in `native` transport (src/endpoint/native/).
 *
 * Why it exists: at hundreds of streams a Node event loop pays one epoll wake-up, one read()
 * syscall and one JavaScript callback per socket read, and that is most of the client's CPU per
 * token event (bench/client-overhead). This program does the socket reads for the Node process
 * and hands it every read of one epoll_wait round in as few pipe writes as possible, so Node
 * handles one pipe read for many socket reads. Each read is stamped with CLOCK_MONOTONIC right
 * after read() returns (the clock of Node's process.hrtime.bigint() on Linux; the hello frame
 * lets Node check that).
 *
 * Protocol (little-endian; every frame: u8 type, u32 id, u32 payload length, payload):
 *   Node -> helper (stdin):  CONNECT(id; u16 port, IPv4/IPv6 literal)  WRITE(id; bytes)  CLOSE(id)
 *   helper -> Node (stdout): HELLO(0; u64 clock ns, u32 version)  CONNECTED(id)
 *                            DATA(id; u64 stamp ns, bytes)  CLOSED(id; u8 kind, i32 errno)
 * Every id gets exactly one CLOSED (also after CLOSE), so Node can reuse an id only once the
 * helper is done with it. Exits when stdin closes (the Node process went away).
 * Plain TCP only: no TLS, no DNS (Node resolves names first).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { F_CONNECT = 1, F_WRITE = 2, F_CLOSE = 3, F_HELLO = 10, F_CONNECTED = 11, F_DATA = 12, F_CLOSED = 13 };
enum { K_EOF = 0, K_RESET = 1, K_REFUSED = 2, K_ERROR = 3, K_LOCAL = 4 };
#define VERSION 1
#define HDR 9
#define READ_MAX 65536            /* one socket read */
#define OUT_HIGH (8u << 20)       /* stdout backlog at which socket reads pause (TCP flow control holds the rest) */
#define CONN_OUT_MAX (64u << 20)  /* unsent request bytes per connection */
#define FRAME_MAX (256u << 20)    /* a bigger frame from Node is a protocol error */
#define TAG_STDIN 0
#define TAG_STDOUT 1

typedef struct { char *p; size_t off, len, cap; } buf_t; /* bytes [off, len) are pending */
typedef struct { int fd; uint32_t gen; int connecting; uint32_t events; buf_t out; } conn_t;

static conn_t **conns;
static uint32_t nconns;
static uint32_t gen_next = 1;
static int ep;
static buf_t in, out;
static int out_armed; /* stdout registered for EPOLLOUT */

static void die(const char *what) {
  fprintf(stderr, "agentdyno-reader: %s: %s\n", what, strerror(errno));
  exit(2);
}

static size_t pending(const buf_t *b) { return b->len - b->off; }

/* Make room for n more bytes at b->len (compacting consumed bytes first). */
static void reserve(buf_t *b, size_t n) {
  if (b->off == b->len) b->off = b->len = 0;
  if (b->cap - b->len >= n) return;
  if (b->off > 0) {
    memmove(b->p, b->p + b->off, b->len - b->off);
    b->len -= b->off;
    b->off = 0;
    if (b->cap - b->len >= n) return;
  }
  size_t cap = b->cap ? b->cap : 65536;
  while (cap - b->len < n) cap *= 2;
  char *p = realloc(b->p, cap);
  if (!p) die("out of memory");
  b->p = p;
  b->cap = cap;
}

static void put32(char *p, uint32_t v) { for (int i = 0; i < 4; i++) p[i] = (char)(v >> (8 * i)); }
static void put64(char *p, uint64_t v) { for (int i = 0; i < 8; i++) p[i] = (char)(v >> (8 * i)); }
static uint32_t get32(const char *p) { uint32_t v = 0; for (int i = 3; i >= 0; i--) v = (v << 8) | (uint8_t)p[i]; return v; }

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Queue one frame for Node (sent at the end of the round, or when stdout drains). */
static char *frame(uint8_t type, uint32_t id, uint32_t len) {
  reserve(&out, HDR + len);
  char *p = out.p + out.len;
  p[0] = (char)type;
  put32(p + 1, id);
  put32(p + 5, len);
  out.len += HDR + len;
  return p + HDR;
}

static void flush_stdout(void) {
  while (pending(&out) > 0) {
    ssize_t w = write(1, out.p + out.off, pending(&out));
    if (w > 0) out.off += (size_t)w;
    else if (w < 0 && errno == EINTR) continue;
    else if (w < 0 && errno == EAGAIN) break;
    else exit(0); /* EPIPE: Node is gone */
  }
  if (out.off == out.len) out.off = out.len = 0;
  int want = pending(&out) > 0;
  if (want != out_armed) {
    struct epoll_event ev = { .events = want ? EPOLLOUT : 0, .data.u64 = TAG_STDOUT };
    if (epoll_ctl(ep, EPOLL_CTL_MOD, 1, &ev) < 0) die("epoll_ctl stdout");
    out_armed = want;
  }
}

static void set_events(conn_t *c, uint32_t id) {
  uint32_t want = EPOLLIN | (c->connecting || pending(&c->out) ? EPOLLOUT : 0);
  if (want == c->events) return;
  struct epoll_event ev = { .events = want, .data.u64 = ((uint64_t)c->gen << 32) | id };
  if (epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev) < 0) die("epoll_ctl conn");
  c->events = want;
}

/* The connection is over: tell Node once, free everything (close() also leaves the epoll set). */
static void closed(uint32_t id, uint8_t kind, int err) {
  conn_t *c = conns[id];
  char *p = frame(F_CLOSED, id, 5);
  p[0] = (char)kind;
  put32(p + 1, (uint32_t)err);
  close(c->fd);
  free(c->out.p);
  free(c);
  conns[id] = NULL;
}

static uint8_t kind_of(int err) { return err == ECONNRESET || err == EPIPE ? K_RESET : err == ECONNREFUSED ? K_REFUSED : K_ERROR; }

/* Send what the connection has queued; partial writes stay queued for EPOLLOUT. */
static void flush_conn(uint32_t id) {
  conn_t *c = conns[id];
  while (pending(&c->out) > 0) {
    ssize_t w = send(c->fd, c->out.p + c->out.off, pending(&c->out), MSG_NOSIGNAL);
    if (w > 0) c->out.off += (size_t)w;
    else if (w < 0 && errno == EINTR) continue;
    else if (w < 0 && errno == EAGAIN) break;
    else return closed(id, kind_of(errno), errno);
  }
  if (c->out.off == c->out.len) {
    c->out.off = c->out.len = 0;
    if (c->out.cap > (1u << 20)) { free(c->out.p); c->out.p = NULL; c->out.cap = 0; } /* a big prompt: give it back */
  }
  set_events(c, id);
}

static void on_connect(uint32_t id, const char *p, uint32_t len) {
  if (id >= nconns) {
    uint32_t n = nconns ? nconns : 1024;
    while (n <= id) n *= 2;
    conn_t **t = realloc(conns, n * sizeof *t);
    if (!t) die("out of memory");
    memset(t + nconns, 0, (n - nconns) * sizeof *t);
    conns = t;
    nconns = n;
  }
  if (conns[id] || len < 3 || len > 2 + 63) { fprintf(stderr, "agentdyno-reader: bad CONNECT for id %u\n", id); exit(2); }
  char host[64];
  memcpy(host, p + 2, len - 2);
  host[len - 2] = 0;
  uint16_t port = (uint16_t)((uint8_t)p[0] | ((uint8_t)p[1] << 8));
  struct sockaddr_storage sa;
  memset(&sa, 0, sizeof sa);
  socklen_t salen;
  struct sockaddr_in *s4 = (struct sockaddr_in *)&sa;
  struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&sa;
  if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) { s4->sin_family = AF_INET; s4->sin_port = htons(port); salen = sizeof *s4; }
  else if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) { s6->sin6_family = AF_INET6; s6->sin6_port = htons(port); salen = sizeof *s6; }
  else { fprintf(stderr, "agentdyno-reader: CONNECT %u: not an IP literal: %s\n", id, host); exit(2); }
  conn_t *c = calloc(1, sizeof *c);
  if (!c) die("out of memory");
  conns[id] = c;
  c->gen = gen_next++;
  if (gen_next == 0) gen_next = 1; /* gen 0 is the stdin/stdout tags' */
  c->fd = socket(sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (c->fd < 0) { int e = errno; c->fd = -1; conns[id] = c; return closed(id, K_ERROR, e); }
  int one = 1;
  setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one); /* requests go out whole, now */
  int r = connect(c->fd, (struct sockaddr *)&sa, salen);
  if (r < 0 && errno != EINPROGRESS) return closed(id, kind_of(errno), errno);
  c->connecting = r < 0;
  c->events = EPOLLIN | EPOLLOUT;
  struct epoll_event ev = { .events = c->events, .data.u64 = ((uint64_t)c->gen << 32) | id };
  if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) < 0) die("epoll_ctl add");
  if (!c->connecting) { frame(F_CONNECTED, id, 0); flush_conn(id); }
}

static void on_frame(uint8_t type, uint32_t id, const char *p, uint32_t len) {
  if (type == F_CONNECT) return on_connect(id, p, len);
  conn_t *c = id < nconns ? conns[id] : NULL;
  if (!c) return; /* already CLOSED from our side: Node learns it from that frame */
  if (type == F_CLOSE) return closed(id, K_LOCAL, 0);
  if (type != F_WRITE) { fprintf(stderr, "agentdyno-reader: unknown frame type %u\n", type); exit(2); }
  if (pending(&c->out) + len > CONN_OUT_MAX) return closed(id, K_ERROR, ENOBUFS);
  reserve(&c->out, len);
  memcpy(c->out.p + c->out.len, p, len);
  c->out.len += len;
  if (!c->connecting) flush_conn(id);
}

static void read_stdin(void) {
  reserve(&in, 65536);
  ssize_t r = read(0, in.p + in.len, in.cap - in.len);
  if (r == 0) exit(0); /* Node closed our stdin (or exited): we are done */
  if (r < 0) { if (errno == EAGAIN || errno == EINTR) return; die("read stdin"); }
  in.len += (size_t)r;
  while (pending(&in) >= HDR) {
    const char *h = in.p + in.off;
    uint32_t len = get32(h + 5);
    if (len > FRAME_MAX) { fprintf(stderr, "agentdyno-reader: frame of %u bytes\n", len); exit(2); }
    if (pending(&in) < HDR + (size_t)len) { reserve(&in, HDR + len - pending(&in)); break; }
    in.off += HDR + len;
    on_frame((uint8_t)h[0], get32(h + 1), h + HDR, len); /* h stays valid: nothing reserves `in` meanwhile */
  }
}

/* One read per ready socket per round (level-triggered: a busy socket is served again next round). */
static void read_conn(uint32_t id) {
  conn_t *c = conns[id];
  reserve(&out, HDR + 8 + READ_MAX);
  char *p = out.p + out.len;
  ssize_t r = read(c->fd, p + HDR + 8, READ_MAX);
  if (r > 0) {
    uint64_t t = now_ns(); /* the stamp: right after the bytes arrived, before anything else */
    p[0] = F_DATA;
    put32(p + 1, id);
    put32(p + 5, (uint32_t)(8 + r));
    put64(p + HDR, t);
    out.len += HDR + 8 + (size_t)r;
  } else if (r == 0) closed(id, K_EOF, 0);
  else if (errno != EAGAIN && errno != EINTR) closed(id, kind_of(errno), errno);
}

static void on_conn_event(uint32_t id, uint32_t gen, uint32_t events) {
  conn_t *c = id < nconns ? conns[id] : NULL;
  if (!c || c->gen != gen) return; /* closed (or replaced) earlier in this round */
  if (c->connecting) {
    if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) return;
    int err = 0;
    socklen_t l = sizeof err;
    getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &l);
    if (err) return closed(id, kind_of(err), err);
    c->connecting = 0;
    frame(F_CONNECTED, id, 0);
    flush_conn(id);
    if (!conns[id]) return;
  } else if ((events & EPOLLOUT) && pending(&c->out)) {
    flush_conn(id);
    if (!conns[id]) return;
  }
  if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) read_conn(id);
}

int main(int argc, char **argv) {
  /* argv[1]: linger in microseconds after each round, so the next one finds more sockets ready
     (fewer wake-ups per read for both processes, ~19% of this process's CPU was context switches
     without it; stamps stay per read(), up to that much later). */
  long linger_us = argc > 1 ? atol(argv[1]) : 0;
  struct timespec linger = { .tv_sec = linger_us / 1000000, .tv_nsec = (linger_us % 1000000) * 1000 };
  signal(SIGPIPE, SIG_IGN);
  fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK);
  fcntl(1, F_SETFL, fcntl(1, F_GETFL) | O_NONBLOCK); /* never block on Node: buffer instead */
  ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) die("epoll_create1");
  struct epoll_event ev = { .events = EPOLLIN, .data.u64 = TAG_STDIN };
  if (epoll_ctl(ep, EPOLL_CTL_ADD, 0, &ev) < 0) die("epoll_ctl stdin");
  ev.events = 0;
  ev.data.u64 = TAG_STDOUT;
  if (epoll_ctl(ep, EPOLL_CTL_ADD, 1, &ev) < 0) die("epoll_ctl stdout");
  char *h = frame(F_HELLO, 0, 12);
  put64(h, now_ns());
  put32(h + 8, VERSION);
  flush_stdout();
  struct epoll_event evs[1024];
  for (;;) {
    /* Node is behind: stop reading sockets (the kernel and TCP hold their bytes) until it catches up. */
    while (pending(&out) > OUT_HIGH) {
      struct pollfd pf[2] = { { .fd = 1, .events = POLLOUT }, { .fd = 0, .events = POLLIN } };
      if (poll(pf, 2, -1) < 0 && errno != EINTR) die("poll");
      if (pf[1].revents) read_stdin();
      if (pf[0].revents) flush_stdout();
    }
    int n = epoll_wait(ep, evs, 1024, -1);
    if (n < 0) { if (errno == EINTR) continue; die("epoll_wait"); }
    for (int i = 0; i < n; i++) {
      uint64_t tag = evs[i].data.u64;
      if (tag == TAG_STDIN) read_stdin();
      else if (tag == TAG_STDOUT) flush_stdout();
      else on_conn_event((uint32_t)tag, (uint32_t)(tag >> 32), evs[i].events);
    }
    flush_stdout(); /* the whole round's frames in one write, as far as the pipe takes them */
    if (linger_us > 0) nanosleep(&linger, NULL);
  }
}
