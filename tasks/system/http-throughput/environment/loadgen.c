/* Harness (not editable): a bounded HTTP/1.1 load client for loopback.
 * usage: loadgen PORT CONNECTIONS REQUESTS SEED
 * Each connection (one thread) sends GET /sum?a=A&b=B and checks the body is A+B in decimal.
 * It keeps the connection open unless the server closes it (HTTP/1.0 without keep-alive, or
 * "Connection: close"), then reconnects. Prints {"value": <requests per second>} when every
 * response was right, after a line "responses N sum S": how many responses it checked and the sum of
 * their (checked) bodies, the same for every correct server on that SEED (measure.sh hands it to
 * agentdyno, which compares it with the baseline's); exits 1 on a wrong response and 3 on a socket
 * error or a 5 s stall. */
#define _GNU_SOURCE /* memmem */
#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

struct job { int port, count, status, checked; unsigned long long seed, sum; char err[256]; };

static int dial(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct timeval tv = { 5, 0 };
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) { close(fd); return -1; }
  return fd;
}

static void *worker(void *arg) {
  struct job *j = arg;
  unsigned long long s = j->seed;
  char req[160], buf[8192];
  int fd = -1, have = 0;
  for (int k = 0; k < j->count; k++) {
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    long long a = (long long)(s >> 20) % 2000000001LL - 1000000000LL;
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    long long b = (long long)(s >> 20) % 2000000001LL - 1000000000LL;
    if (fd < 0) { fd = dial(j->port); have = 0; if (fd < 0) { j->status = 3; snprintf(j->err, sizeof j->err, "connect failed"); return 0; } }
    int len = snprintf(req, sizeof req, "GET /sum?a=%lld&b=%lld HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", a, b);
    if (write(fd, req, len) != len) { j->status = 3; snprintf(j->err, sizeof j->err, "write failed"); return 0; }
    char *end = 0;
    while (!(end = memmem(buf, have, "\r\n\r\n", 4))) {
      if (have == (int)sizeof buf) { j->status = 1; snprintf(j->err, sizeof j->err, "header too long"); return 0; }
      int r = read(fd, buf + have, sizeof buf - have);
      if (r <= 0) { j->status = 3; snprintf(j->err, sizeof j->err, "connection closed or stalled before a response (request %d)", k); return 0; }
      have += r;
    }
    int hlen = (int)(end - buf) + 4, clen = -1, keep = strncmp(buf, "HTTP/1.1", 8) == 0, code = atoi(buf + 9);
    for (char *p = buf; p < end; p++) {
      if (*p != '\n') continue;
      if (strncasecmp(p + 1, "content-length:", 15) == 0) clen = atoi(p + 16);
      else if (strncasecmp(p + 1, "connection:", 11) == 0) {
        char *v = p + 12; while (*v == ' ') v++;
        if (strncasecmp(v, "close", 5) == 0) keep = 0; else if (strncasecmp(v, "keep-alive", 10) == 0) keep = 1;
      }
    }
    if (clen < 0 || clen > 4000) { j->status = 1; snprintf(j->err, sizeof j->err, "missing or bad Content-Length"); return 0; }
    while (have < hlen + clen) {
      int r = read(fd, buf + have, sizeof buf - have);
      if (r <= 0) { j->status = 3; snprintf(j->err, sizeof j->err, "body cut short"); return 0; }
      have += r;
    }
    char want[32];
    int wl = snprintf(want, sizeof want, "%lld", a + b), bl = clen;
    while (bl > 0 && isspace((unsigned char)buf[hlen + bl - 1])) bl--;
    if (code != 200 || bl != wl || memcmp(buf + hlen, want, wl) != 0) {
      j->status = 1;
      snprintf(j->err, sizeof j->err, "GET /sum?a=%lld&b=%lld: status %d body \"%.*s\", want 200 \"%s\"", a, b, code, clen > 40 ? 40 : clen, buf + hlen, want);
      return 0;
    }
    j->checked++;
    j->sum += (unsigned long long)(a + b);
    memmove(buf, buf + hlen + clen, have - hlen - clen);
    have -= hlen + clen;
    if (!keep) { close(fd); fd = -1; }
  }
  if (fd >= 0) close(fd);
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 5) { fprintf(stderr, "usage: loadgen PORT CONNECTIONS REQUESTS SEED\n"); return 2; }
  int port = atoi(argv[1]), conns = atoi(argv[2]), total = atoi(argv[3]);
  if (conns < 1 || conns > 64 || total < conns) { fprintf(stderr, "bad arguments\n"); return 2; }
  struct job *jobs = calloc(conns, sizeof *jobs);
  pthread_t *th = calloc(conns, sizeof *th);
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (int c = 0; c < conns; c++) {
    jobs[c] = (struct job){ .port = port, .count = total / conns + (c < total % conns), .seed = strtoull(argv[4], 0, 10) * 1000 + c };
    pthread_create(&th[c], 0, worker, &jobs[c]);
  }
  int status = 0;
  for (int c = 0; c < conns; c++) {
    pthread_join(th[c], 0);
    if (jobs[c].status) { fprintf(stderr, "connection %d: %s\n", c, jobs[c].err); if (!status || jobs[c].status == 1) status = jobs[c].status; }
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  if (status) { printf("%s\n", status == 1 ? "WRONG response" : "socket error"); return status; }
  long checked = 0;
  unsigned long long sum = 0;
  for (int c = 0; c < conns; c++) checked += jobs[c].checked, sum += jobs[c].sum;
  printf("responses %ld sum %llu\n", checked, sum);
  double s = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
  printf("{\"value\": %.1f}\n", total / s);
  return 0;
}
