/* bench/c10k_client.c: the load generator of `make bench`'s C10K part (project issue 18,
 * item 3; bench/c10k.js runs it against each server). Plain C, no kit code: it must hold
 * up to ~20,000 connections for less than the servers it measures.
 *
 *  1. Opens N connections to an echo server (bench/c10k_server.{cpp,js}), at most
 *     --window of them in flight at a time, so the server's accept queue (backlog 511)
 *     never overflows (a dropped SYN is sent again only after 1 s). Each sends one
 *     line as soon as it is connected and counts as accepted when the echo is back:
 *     the server accepted it and served it once. "accept seconds" run from the first
 *     connect(2) to the N-th echo. Then the N connections stay open and idle: the
 *     server's poller still watches all of them.
 *     Sources are spread over 127.0.0.2, .3, ... (--sources): each address has its own
 *     ephemeral ports (28,232 by default), bound with IP_BIND_ADDRESS_NO_PORT so the
 *     port is picked at connect(2) time, per destination.
 *  2. One more connection does --rounds request/response round trips (--size bytes
 *     each way; stops early after --max-seconds), after --warmup uncounted ones (at
 *     most --warmup-seconds of them: Node's JIT compiles its 'data' listener only after
 *     a few thousand calls, and a cold listener would be Node's handicap, not libuv's).
 *     Each round trip is timed (CLOCK_MONOTONIC, write to the whole echo read).
 *  3. The server's CPU time over phase 1 and over the round trips (--server-pid): the sum of the
 *     first field of /proc/PID/task/TID/schedstat (nanoseconds on CPU, every thread),
 *     and utime + stime of /proc/PID/stat (clock ticks: 10 ms steps), before and after.
 *  4. Checks that none of the N idle connections was closed or reset meanwhile
 *     (epoll_wait(2) with timeout 0 must find none readable).
 *  5. Prints one JSON object on stdout, then resets every connection (SO_LINGER 0:
 *     an RST, so neither side keeps N sockets in TIME_WAIT) and exits 0. Any failure:
 *     a line on stderr, exit 1.
 *
 * The soft RLIMIT_NOFILE is raised to the hard limit first.
 *
 * Usage: c10k_client --port P --n N [--host 127.0.0.1] [--rounds 2000] [--warmup 10000]
 *                    [--warmup-seconds 1] [--max-seconds 20] [--size 64] [--sources 4] [--window 256]
 *                    [--server-pid PID] [--timeout 120] [--commands 1]
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

static void die(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("c10k_client: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  exit(1);
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Server CPU: nanoseconds on CPU summed over its threads (schedstat), and utime+stime. */
struct cpu {
  double schedSeconds;
  double tickSeconds;
};

static struct cpu serverCpu(long pid) {
  struct cpu c = {NAN, NAN};
  if (pid <= 0) return c;
  char path[128];
  snprintf(path, sizeof path, "/proc/%ld/task", pid);
  DIR *d = opendir(path);
  if (d) {
    double sum = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
      if (e->d_name[0] == '.') continue;
      char p[300];
      snprintf(p, sizeof p, "/proc/%ld/task/%s/schedstat", pid, e->d_name);
      FILE *f = fopen(p, "r");
      if (!f) continue;  /* the thread exited meanwhile */
      unsigned long long ns = 0;
      if (fscanf(f, "%llu", &ns) == 1) sum += (double)ns / 1e9;
      fclose(f);
    }
    closedir(d);
    c.schedSeconds = sum;
  }
  snprintf(path, sizeof path, "/proc/%ld/stat", pid);
  FILE *f = fopen(path, "r");
  if (f) {
    char buf[2048];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char *p = strrchr(buf, ')'); /* the command name may hold spaces */
    unsigned long utime = 0, stime = 0;
    /* after ") ": state(3) ... utime is field 14, stime 15: skip 11 fields after state */
    if (p && sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime, &stime) == 2)
      c.tickSeconds = (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
  }
  return c;
}

static int cmpDouble(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* Nearest rank: the ceil(q n)-th smallest of sorted xs. */
static double rank(const double *xs, long n, double q) {
  long k = (long)ceil(q * (double)n);
  if (k < 1) k = 1;
  if (k > n) k = n;
  return xs[k - 1];
}

enum state { CONNECTING, WAITING_ECHO, IDLE };
struct conn {
  int fd;
  enum state state;
  int got; /* bytes of the greeting's echo received */
};

static const char GREETING[] = "hello\n";
#define GREETING_LEN (sizeof GREETING - 1)

static int openSocket(const char *host, int port, int source, int sources, int blocking) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | (blocking ? 0 : SOCK_NONBLOCK), 0);
  if (fd < 0) die("socket: %s (connections so far: see RLIMIT_NOFILE)", strerror(errno));
  if (sources > 0) {
    int one = 1;
    if (setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one) < 0)
      die("setsockopt(IP_BIND_ADDRESS_NO_PORT): %s", strerror(errno));
    struct sockaddr_in src = {.sin_family = AF_INET};
    src.sin_addr.s_addr = htonl((127u << 24) | (uint32_t)(2 + source % sources)); /* 127.0.0.2... */
    if (bind(fd, (struct sockaddr *)&src, sizeof src) < 0) die("bind 127.0.0.%d: %s", 2 + source % sources, strerror(errno));
  }
  struct sockaddr_in dst = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  if (inet_pton(AF_INET, host, &dst.sin_addr) != 1) die("bad --host %s (an IPv4 address)", host);
  if (connect(fd, (struct sockaddr *)&dst, sizeof dst) < 0 && errno != EINPROGRESS)
    die("connect %s:%d: %s", host, port, strerror(errno));
  return fd;
}

static void ctl(int ep, int op, int fd, uint32_t events, uint64_t index) {
  struct epoll_event e = {.events = events, .data.u64 = index};
  if (epoll_ctl(ep, op, fd, &e) < 0) die("epoll_ctl: %s", strerror(errno));
}

static void writeAll(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) die("write: %s", w < 0 ? strerror(errno) : "0 bytes");
    p += w;
    n -= (size_t)w;
  }
}

static void readAll(int fd, char *p, size_t n) {
  while (n > 0) {
    ssize_t r = read(fd, p, n);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) die("read (active connection): %s", strerror(errno));
    if (r == 0) die("the server closed the active connection");
    p += r;
    n -= (size_t)r;
  }
}

/* Round trips on fd until `rounds` are done or `seconds` have passed (at least one);
 * each one's time goes to rtt[]. Returns how many were done. */
static long roundTrips(int fd, char *msg, char *echo, int size, double *rtt, long rounds, double seconds, long *serial) {
  const double t0 = now();
  long done = 0;
  while (done < rounds) {
    msg[0] = (char)('A' + (*serial)++ % 26); /* each round's request differs from the last */
    const double a = now();
    writeAll(fd, msg, (size_t)size);
    readAll(fd, echo, (size_t)size);
    const double b = now();
    if (memcmp(msg, echo, (size_t)size) != 0) die("round trip %ld: the echo differs from the request", *serial);
    rtt[done++] = b - a;
    if (b - t0 > seconds) break;
  }
  return done;
}

int main(int argc, char **argv) {
  const char *host = "127.0.0.1";
  int port = 0, size = 64, sources = 4, window = 256, timeout = 120, commands = 0;
  long n = 100, rounds = 2000, warmup = 10000, pid = 0;
  double maxSeconds = 20, warmupSeconds = 1;
  for (int i = 1; i + 1 < argc; i += 2) {
    const char *k = argv[i], *v = argv[i + 1];
    if (!strcmp(k, "--host")) host = v;
    else if (!strcmp(k, "--port")) port = atoi(v);
    else if (!strcmp(k, "--n")) n = atol(v);
    else if (!strcmp(k, "--rounds")) rounds = atol(v);
    else if (!strcmp(k, "--warmup")) warmup = atol(v);
    else if (!strcmp(k, "--max-seconds")) maxSeconds = atof(v);
    else if (!strcmp(k, "--warmup-seconds")) warmupSeconds = atof(v);
    else if (!strcmp(k, "--size")) size = atoi(v);
    else if (!strcmp(k, "--sources")) sources = atoi(v);
    else if (!strcmp(k, "--window")) window = atoi(v);
    else if (!strcmp(k, "--server-pid")) pid = atol(v);
    else if (!strcmp(k, "--timeout")) timeout = atoi(v);
    else if (!strcmp(k, "--commands")) commands = atoi(v);
    else die("unknown option %s", k);
  }
  if (argc % 2 == 0) die("options come in pairs: --name value");
  if (port <= 0 || port > 65535 || n < 0 || rounds < 1 || size < 1 || size > 65536 || window < 1 || sources < 0)
    die("usage: c10k_client --port P --n N [--rounds R] [--size B] [--sources K] [--window W] [--server-pid PID]");

  struct rlimit lim;
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
  }
  getrlimit(RLIMIT_NOFILE, &lim);
  if ((rlim_t)n + 16 > lim.rlim_cur)
    die("%ld connections need %ld descriptors; RLIMIT_NOFILE is %lu", n, n + 16, (unsigned long)lim.rlim_cur);

  int ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) die("epoll_create1: %s", strerror(errno));
  struct conn *conns = calloc((size_t)(n > 0 ? n : 1), sizeof *conns);
  struct epoll_event *events = calloc(1024, sizeof *events);
  if (!conns || !events) die("out of memory");

  /* 1. N connections, --window in flight at a time; each one echoed once. */
  const struct cpu acceptCpu0 = serverCpu(pid);
  const double start = now();
  long opened = 0, accepted = 0, inflight = 0;
  while (accepted < n) {
    while (opened < n && inflight < window) {
      conns[opened].fd = openSocket(host, port, (int)opened, sources, 0);
      conns[opened].state = CONNECTING;
      ctl(ep, EPOLL_CTL_ADD, conns[opened].fd, EPOLLOUT, (uint64_t)opened);
      opened++;
      inflight++;
    }
    int k = epoll_wait(ep, events, 1024, 1000);
    if (k < 0 && errno == EINTR) continue;
    if (k < 0) die("epoll_wait: %s", strerror(errno));
    if (now() - start > timeout) die("timeout (%d s): %ld of %ld connections accepted and echoed", timeout, accepted, n);
    for (int j = 0; j < k; j++) {
      struct conn *c = &conns[events[j].data.u64];
      if (c->state == CONNECTING) {
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err) die("connect (connection %ld of %ld): %s", (long)events[j].data.u64 + 1, n, strerror(err));
        writeAll(c->fd, GREETING, GREETING_LEN); /* 6 bytes into an empty send buffer */
        c->state = WAITING_ECHO;
        ctl(ep, EPOLL_CTL_MOD, c->fd, EPOLLIN, events[j].data.u64);
      } else if (c->state == WAITING_ECHO) {
        char buf[64];
        ssize_t r = read(c->fd, buf, sizeof buf);
        if (r < 0 && (errno == EAGAIN || errno == EINTR)) continue;
        if (r <= 0) die("connection %ld of %ld: %s before its echo", (long)events[j].data.u64 + 1, n,
                        r < 0 ? strerror(errno) : "closed by the server");
        c->got += (int)r;
        if (c->got >= (int)GREETING_LEN) {
          c->state = IDLE;
          ctl(ep, EPOLL_CTL_DEL, c->fd, 0, 0); /* idle from now on: nobody watches it here */
          accepted++;
          inflight--;
        }
      }
    }
  }
  const double acceptSeconds = now() - start;
  const struct cpu acceptCpu1 = serverCpu(pid);
  struct rusage self;
  getrusage(RUSAGE_SELF, &self); /* this client's CPU so far: nearly all of it is phase 1 */
  const double clientAcceptCpu = (double)(self.ru_utime.tv_sec + self.ru_stime.tv_sec) +
                                 (double)(self.ru_utime.tv_usec + self.ru_stime.tv_usec) / 1e6;

  /* 2. One active connection: round trips. */
  int fd = openSocket(host, port, (int)n, sources, 1);
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  char *msg = malloc((size_t)size), *echo = malloc((size_t)size);
  double *rtt = calloc((size_t)rounds, sizeof *rtt);
  if (!msg || !echo || !rtt) die("out of memory");
  for (int i = 0; i < size - 1; i++) msg[i] = (char)('a' + i % 26);
  msg[size - 1] = '\n';
  long warm = 0;
  for (const double w0 = now(); warm < warmup && now() - w0 < warmupSeconds; warm++) {
    writeAll(fd, msg, (size_t)size);
    readAll(fd, echo, (size_t)size);
  }
  long serial = 0;
  if (commands) {
    /* --commands 1: the caller runs blocks of round trips, interleaved with other
     * clients' (bench/c10k.js runs one per server, so that all three servers are
     * measured in the same seconds). One JSON line now; then, per line on stdin,
     * "R rounds seconds": that block's round trips, as one JSON line of times (us)
     * and the server's CPU over it; "Q" (or end of input): the checks below, exit. */
    printf("{\"n\":%ld,\"acceptSeconds\":%.6f,\"serverAcceptCpuSeconds\":%.6f,\"clientAcceptCpuSeconds\":%.6f,"
           "\"warmup\":%ld}\n", n, acceptSeconds, acceptCpu1.schedSeconds - acceptCpu0.schedSeconds, clientAcceptCpu, warm);
    fflush(stdout);
    char line[128];
    while (fgets(line, sizeof line, stdin) && line[0] == 'R') {
      long k = 0;
      double secs = 0;
      if (sscanf(line + 1, "%ld %lf", &k, &secs) != 2 || k < 1 || k > rounds) die("bad command: %s", line);
      const struct cpu c0 = serverCpu(pid);
      const long got = roundTrips(fd, msg, echo, size, rtt, k, secs, &serial);
      const struct cpu c1 = serverCpu(pid);
      printf("{\"serverCpuSeconds\":%.9f,\"rttUs\":[", c1.schedSeconds - c0.schedSeconds);
      for (long i = 0; i < got; i++) printf("%s%.2f", i ? "," : "", 1e6 * rtt[i]);
      printf("]}\n");
      fflush(stdout);
    }
  }
  const struct cpu before = serverCpu(pid);
  const double t0 = now();
  const long done = commands ? 0 : roundTrips(fd, msg, echo, size, rtt, rounds, maxSeconds, &serial);
  const double elapsed = now() - t0;
  const struct cpu after = serverCpu(pid);

  /* 4. Were the N idle connections still open? None may be readable (data, FIN, RST). */
  long broken = 0;
  for (long i = 0; i < n; i++) ctl(ep, EPOLL_CTL_ADD, conns[i].fd, EPOLLIN | EPOLLRDHUP, (uint64_t)i);
  for (;;) {
    int k = epoll_wait(ep, events, 1024, 0);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) break;
    broken += k;
    for (int j = 0; j < k; j++) ctl(ep, EPOLL_CTL_DEL, conns[events[j].data.u64].fd, 0, 0);
  }
  if (broken) die("%ld of the %ld idle connections were closed or reset during the round trips", broken, n);

  if (!commands) { /* (with --commands, every block was reported already) */
  qsort(rtt, (size_t)done, sizeof *rtt, cmpDouble);
  double sum = 0;
  for (long i = 0; i < done; i++) sum += rtt[i];
  printf("{\"n\":%ld,\"sources\":%d,\"acceptSeconds\":%.6f,\"serverAcceptCpuSeconds\":%.6f,\"clientAcceptCpuSeconds\":%.6f,\"warmup\":%ld,\"rounds\":%ld,\"size\":%d,\"seconds\":%.6f,"
         "\"rttMedianUs\":%.2f,\"rttP99Us\":%.2f,\"rttMeanUs\":%.2f,\"rttMinUs\":%.2f,\"rttMaxUs\":%.2f,"
         "\"serverCpuUsPerRtt\":%.3f,\"serverTickCpuUsPerRtt\":%.3f,\"nofile\":%lu}\n",
         n, sources, acceptSeconds, acceptCpu1.schedSeconds - acceptCpu0.schedSeconds, clientAcceptCpu, warm, done, size, elapsed, 1e6 * rank(rtt, done, 0.5), 1e6 * rank(rtt, done, 0.99),
         1e6 * sum / (double)done, 1e6 * rtt[0], 1e6 * rtt[done - 1],
         1e6 * (after.schedSeconds - before.schedSeconds) / (double)done,
         1e6 * (after.tickSeconds - before.tickSeconds) / (double)done, (unsigned long)lim.rlim_cur);
  fflush(stdout);
  }

  /* 5. Reset every connection: no TIME_WAIT on either side. */
  struct linger lg = {.l_onoff = 1, .l_linger = 0};
  for (long i = 0; i < n; i++) {
    setsockopt(conns[i].fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    close(conns[i].fd);
  }
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  close(fd);
  return 0;
}
