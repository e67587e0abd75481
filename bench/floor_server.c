// floor_server.c: the design floor for lesson 01 (make bench, project issue 21).
//
// The document's server design done the simplest way C allows, with no kit code, no
// event loop and no thread: accept(2) one client, read(2) its upload in pieces of at
// most 64 KiB and keep every piece in memory (the 'data' chunks), and only at EOF (the
// client's FIN: 'close') write the whole file at once (fs.writeFile) under a
// timestamped name in ./server_files/. It prints the lesson's lines, one write(2) per
// piece as console.log does, because the bench's clock reads them. Whatever lesson 01
// spends beyond this is the price of the kit, not of the design.
//
// Usage: floor_server --port N [--host 127.0.0.1]      (no error handling beyond a
// message and exit 1: a bench tool, not a lesson)
#define _GNU_SOURCE  // accept4(2), IOV_MAX
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

enum { kPiece = 64 * 1024 };

static void die(const char* what) {
  fprintf(stderr, "floor_server: %s: %s\n", what, strerror(errno));
  exit(1);
}

static void say(const char* line) {  // console.log: one write(2) per line
  size_t n = strlen(line);
  if (write(STDOUT_FILENO, line, n) != (ssize_t)n) die("write stdout");
}

// Every piece of one upload, in order (the 'data' chunks the document keeps).
struct Pieces {
  struct iovec* v;
  size_t n, cap;
};

static void keep(struct Pieces* p, void* data, size_t len) {
  if (p->n == p->cap) {
    p->cap = p->cap ? 2 * p->cap : 1024;
    p->v = realloc(p->v, p->cap * sizeof *p->v);
    if (!p->v) die("realloc");
  }
  p->v[p->n].iov_base = data;
  p->v[p->n].iov_len = len;
  p->n++;
}

// fs.writeFile: open, write everything (writev(2), IOV_MAX pieces per call), close.
// Works on a copy of the list: a short write trims the copy, the pieces stay whole.
static int save(const char* path, const struct Pieces* pieces) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd < 0) return -1;
  struct Pieces copy = {malloc((pieces->n + 1) * sizeof *pieces->v), pieces->n, pieces->n};
  if (!copy.v) die("malloc");
  memcpy(copy.v, pieces->v, pieces->n * sizeof *pieces->v);
  struct Pieces* p = &copy;
  size_t i = 0;
  while (i < p->n) {
    int count = p->n - i < IOV_MAX ? (int)(p->n - i) : IOV_MAX;
    ssize_t w = writev(fd, p->v + i, count);
    if (w < 0) {
      if (errno == EINTR) continue;
      free(copy.v);
      close(fd);
      return -1;
    }
    // A short write: skip the pieces written, trim the first one not finished.
    while (i < p->n && (size_t)w >= p->v[i].iov_len) w -= (ssize_t)p->v[i++].iov_len;
    if (i < p->n) {
      p->v[i].iov_base = (char*)p->v[i].iov_base + w;
      p->v[i].iov_len -= (size_t)w;
    }
  }
  free(copy.v);
  return close(fd);
}

int main(int argc, char** argv) {
  int port = 8124;
  const char* host = "127.0.0.1";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (strcmp(argv[i], "--port") == 0) port = atoi(argv[i + 1]);
    else if (strcmp(argv[i], "--host") == 0) host = argv[i + 1];
  }
  int ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (ls < 0) die("socket");
  int one = 1;
  setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
  if (inet_pton(AF_INET, host, &a.sin_addr) != 1) die("inet_pton");
  if (bind(ls, (struct sockaddr*)&a, sizeof a) < 0) die("bind");
  if (listen(ls, 511) < 0) die("listen");
  char line[64];
  snprintf(line, sizeof line, "escutando porta %d\n", port);
  say(line);
  for (;;) {
    int c = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
    if (c < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      die("accept4");
    }
    say("conectado!\n");
    struct Pieces pieces = {0};
    for (;;) {
      void* piece = malloc(kPiece);  // Node: a fresh 64 KiB buffer per read
      if (!piece) die("malloc");
      ssize_t n = read(c, piece, kPiece);
      if (n > 0) {
        keep(&pieces, piece, (size_t)n);  // the unused tail of a short read stays allocated, as in Node
        say("recebendo dados...\n");
        continue;
      }
      free(piece);
      if (n == 0) break;
      if (errno == EINTR) continue;
      break;  // ECONNRESET...: save what came, as the document's 'close' does
    }
    close(c);
    char path[128];
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    strftime(path, sizeof path, "./server_files/server_%d-%m-%Y %I-%M-%S_TCP.txt", &tm);
    int err = save(path, &pieces);
    say("conexao com o cliente encerrada\n");
    if (err != 0) say("erro ao salvar arquivo\n");
    say("arquivo salvo com sucesso!\n");
    for (size_t i = 0; i < pieces.n; i++) free(pieces.v[i].iov_base);
    free(pieces.v);
  }
}
