/*
 * The load client of `npm run bench concurrency`, wrk-like: the same method
 * as load-client.ts (read that file for the why), in C on Linux epoll, so
 * that the client costs far less CPU per round trip than the servers it
 * measures on the same cores.
 *
 *   load-client PORT CONNECTIONS HEAVY WARMUP_MS MEASURE_MS
 *
 * opens CONNECTIONS (+1 if HEAVY is 1) connections in one burst to
 * 127.0.0.1:PORT (never any other address), TCP_NODELAY. Then each sends
 * "hello <i>\n" (the heavy one "HASH secret <i>\n") and the next request
 * when a read ends in a newline: one request in flight per connection.
 * Warm-up until every connection has had a reply and WARMUP_MS passed;
 * then MEASURE_MS of timed round trips (the heavy one's are counted, not
 * timed). On stdout, one line each, so that the harness can measure the
 * server around the right moments:
 *   connected            after the burst (the harness reads SYN drops)
 *   measuring            just before the measured window
 *   measured             just after it
 *   {"connectMs":...}    the result, after the drain (5 s at most)
 * Its CPU time is nearly all the kernel's (97% in one profile): send()
 * carries the request through loopback TCP into the server's socket, and
 * that is the floor for any TCP client; the user-space part is under 1 us.
 * Errors counted: a failed connect, a reset or other socket error, a close
 * with a request in flight, a reply of 64 KiB without a newline. Exit
 * status 2 with a message on bad arguments, 1 on a system failure.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define CONNECT_CAP_MS 20000.0
#define ANSWER_CAP_MS 20000.0
#define DRAIN_CAP_MS 5000.0
#define MAX_REPLY 65536

enum state { CONNECTING, OPEN, CLOSED };

struct conn {
  int fd;
  enum state state;
  int heavy, waiting, answered;
  size_t pending; /* bytes of the current reply so far */
  double sent_at;
  char request[48];
  size_t request_len;
};

static struct conn *conns;
static long total;
static int epfd;
static long errors, in_flight, silent, connecting, timed, hashes;
static int measuring, stopping;
static double *latencies;
static long capacity;

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static void fail(const char *what) {
  fprintf(stderr, "load-client: %s: %s\n", what, strerror(errno));
  exit(1);
}

static long argument(const char *text, const char *name, long min, long max) {
  char *end;
  errno = 0;
  long value = strtol(text, &end, 10);
  if (errno || end == text || *end || value < min || value > max) {
    fprintf(stderr, "load-client: %s must be a whole number from %ld to %ld, got \"%s\"\n", name, min, max, text);
    exit(2);
  }
  return value;
}

static void close_conn(struct conn *c, int is_error) {
  if (c->state == CLOSED) return;
  if (is_error) errors++;
  if (c->state == CONNECTING) connecting--;
  if (c->waiting) { /* its reply will never come: stop waiting for it */
    c->waiting = 0;
    in_flight--;
  }
  if (!c->answered) {
    c->answered = 1;
    silent--;
  }
  close(c->fd); /* also removes it from the epoll set */
  c->state = CLOSED;
}

static void send_next(struct conn *c, double now) {
  if (stopping || c->state != OPEN) return;
  c->sent_at = now;
  c->waiting = 1;
  in_flight++;
  /* Nothing else is in flight, so the send buffer is empty: a short write
   * means the socket is broken. MSG_NOSIGNAL: a reset gives EPIPE, not SIGPIPE. */
  if (send(c->fd, c->request, c->request_len, MSG_NOSIGNAL) != (ssize_t)c->request_len) close_conn(c, 1);
}

static void on_readable(struct conn *c) {
  static char buffer[MAX_REPLY];
  ssize_t n = recv(c->fd, buffer, sizeof buffer, 0);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (n <= 0) { /* a reset (n < 0), or the server closed (n == 0) */
    close_conn(c, n < 0 || c->waiting);
    return;
  }
  c->pending += (size_t)n;
  if (buffer[n - 1] != '\n') {
    if (c->pending >= MAX_REPLY) close_conn(c, 1);
    return;
  }
  double now = now_ms();
  if (measuring && c->waiting) {
    if (c->heavy) hashes++;
    else if (timed < capacity) latencies[timed++] = now - c->sent_at;
  }
  c->pending = 0;
  if (!c->answered) {
    c->answered = 1;
    silent--;
  }
  if (c->waiting) {
    c->waiting = 0;
    in_flight--;
  }
  send_next(c, now);
}

static void on_writable(struct conn *c) { /* only while connecting */
  int error = 0;
  socklen_t len = sizeof error;
  if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &error, &len) < 0 || error) {
    close_conn(c, 1);
    return;
  }
  c->state = OPEN;
  connecting--;
  struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
  if (epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev) < 0) fail("epoll_ctl");
}

/* Handles events until done() or the deadline (bounded either way). */
static void run_until(int (*done)(void), double deadline) {
  struct epoll_event events[1024];
  for (;;) {
    if (done && done()) return;
    double left = deadline - now_ms();
    if (left <= 0) return;
    int n = epoll_wait(epfd, events, 1024, (int)left + 1);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("epoll_wait");
    }
    for (int i = 0; i < n; i++) {
      struct conn *c = events[i].data.ptr;
      if (c->state == CONNECTING) on_writable(c);
      else if (c->state == OPEN) on_readable(c);
    }
  }
}

static int all_connected(void) { return connecting == 0; }
static int all_answered(void) { return silent == 0; }
static int none_in_flight(void) { return in_flight == 0; }

static int by_value(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static void print_ms(const char *name, double value, int have) {
  if (have) printf("\"%s\":%.4f,", name, value);
  else printf("\"%s\":null,", name); /* JSON has no NaN */
}

static double cpu_us(void) {
  struct rusage u;
  if (getrusage(RUSAGE_SELF, &u) < 0) fail("getrusage");
  return (u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e6 + u.ru_utime.tv_usec + u.ru_stime.tv_usec;
}

int main(int argc, char **argv) {
  if (argc != 6) {
    fprintf(stderr, "usage: load-client PORT CONNECTIONS HEAVY(0|1) WARMUP_MS MEASURE_MS\n");
    return 2;
  }
  int port = (int)argument(argv[1], "PORT", 1, 65535);
  long connections = argument(argv[2], "CONNECTIONS", 1, 100000);
  int heavy = (int)argument(argv[3], "HEAVY", 0, 1);
  long warmup_ms = argument(argv[4], "WARMUP_MS", 0, 600000);
  long measure_ms = argument(argv[5], "MEASURE_MS", 1, 600000);
  total = connections + heavy;

  /* One fd per connection, plus epoll and stdio: raise the soft limit to the hard one (Node does too). */
  struct rlimit limit;
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
  capacity = (long)(measure_ms / 1000.0 * 400000) + 1;
  conns = calloc((size_t)total, sizeof *conns);
  latencies = malloc((size_t)capacity * sizeof *latencies);
  if (!conns || !latencies) fail("malloc");
  epfd = epoll_create1(EPOLL_CLOEXEC);
  if (epfd < 0) fail("epoll_create1");

  struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  double start = now_ms();
  for (long i = 0; i < total; i++) {
    struct conn *c = &conns[i];
    c->heavy = heavy && i == connections;
    c->request_len = (size_t)snprintf(c->request, sizeof c->request, c->heavy ? "HASH secret %ld\n" : "hello %ld\n", i);
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0) fail("socket");
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c->state = CONNECTING;
    connecting++;
    silent++;
    if (connect(c->fd, (struct sockaddr *)&to, sizeof to) < 0 && errno != EINPROGRESS) {
      close_conn(c, 1);
      continue;
    }
    struct epoll_event ev = {.events = EPOLLOUT, .data.ptr = c};
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &ev) < 0) fail("epoll_ctl");
  }
  run_until(all_connected, start + CONNECT_CAP_MS);
  for (long i = 0; i < total; i++) /* still connecting after 20 s: an error */
    if (conns[i].state == CONNECTING) close_conn(&conns[i], 1);
  double connect_ms = now_ms() - start;
  printf("connected\n");
  fflush(stdout);

  double warm = now_ms();
  for (long i = 0; i < total; i++) send_next(&conns[i], warm);
  run_until(all_answered, warm + ANSWER_CAP_MS); /* bounded: 20 s for every first reply */
  run_until(NULL, warm + warmup_ms);             /* and at least warmup_ms of round trips */

  printf("measuring\n");
  fflush(stdout);
  double cpu_before = cpu_us();
  double measure_start = now_ms();
  measuring = 1;
  run_until(NULL, measure_start + measure_ms);
  measuring = 0;
  double elapsed_s = (now_ms() - measure_start) / 1000;
  double cpu_used = cpu_us() - cpu_before;
  printf("measured\n");
  fflush(stdout);

  stopping = 1; /* send no more; wait (5 s at most) for the replies in flight */
  run_until(none_in_flight, now_ms() + DRAIN_CAP_MS);
  for (long i = 0; i < total; i++) close_conn(&conns[i], 0);
  close(epfd);

  qsort(latencies, (size_t)timed, sizeof *latencies, by_value);
  long per = timed + hashes > 0 ? timed + hashes : 1;
  printf("{\"connectMs\":%.3f,\"roundTrips\":%ld,\"perSecond\":%.3f,", connect_ms, timed, timed / elapsed_s);
  long p50 = timed / 2 < timed - 1 ? timed / 2 : timed - 1;
  long p99 = timed * 99 / 100 < timed - 1 ? timed * 99 / 100 : timed - 1;
  print_ms("p50", timed ? latencies[p50] : 0, timed > 0);
  print_ms("p99", timed ? latencies[p99] : 0, timed > 0);
  printf("\"clientCpuUs\":%.3f,\"hashes\":%ld,\"errors\":%ld}\n", cpu_used / per, hashes, errors);
  free(latencies);
  free(conns);
  return 0;
}
