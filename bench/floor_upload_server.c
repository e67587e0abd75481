// floor_upload_server.c: the floor of lesson 06's upload (make bench, issue 16, item 8).
//
// The least an upload server can do, in plain C with no kit code, no event loop, no
// thread, no framing and no hash: accept(2) one client at a time, read(2) the socket
// in 64 KiB pieces and write(2) each one to a file in --dir, until the client's FIN;
// close(2) the file, print "saved NAME (SIZE bytes)", close the connection. With
// bench/floor_client.c (read the file in 64 KiB pieces, write the socket) it is the
// floor the lesson 06 pair is measured against: whatever lesson 06 spends beyond it
// is framing, SHA-256, the event loop and the thread pool.
//
// --splice (issue 16: "try splice(2)/sendfile(2) and say what each gave"): no copy
// through user space. splice(2) moves up to 64 KiB from the socket into a pipe (page
// references, not bytes), then from the pipe into the file, until the client's FIN.
// The bytes are never in this process's memory, so nothing could hash them: this is
// what the raw protocol alone could reach, not the framed one. --pipe-kib N sets the
// pipe's size (F_SETPIPE_SZ; default 64 KiB, the kernel's) and the piece with it.
//
// Usage: floor_upload_server --port N [--host 127.0.0.1] [--dir ./server_files]
//          [--splice [--pipe-kib 64]]
//        (no error handling beyond a message and exit 1: a bench tool, not a lesson)
#define _GNU_SOURCE  // accept4(2), splice(2), F_SETPIPE_SZ
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

enum { kPiece = 64 * 1024 };

static void die(const char* what) {
  fprintf(stderr, "floor_upload_server: %s: %s\n", what, strerror(errno));
  exit(1);
}

static void say(const char* line) {
  size_t n = strlen(line);
  if (write(STDOUT_FILENO, line, n) != (ssize_t)n) die("write stdout");
}

// The socket's bytes to fd through a pipe, kernel to kernel; returns the byte count.
static long long spliceAll(int c, int fd, size_t piece) {
  static int pipeFd[2] = {-1, -1};
  if (pipeFd[0] < 0) {
    if (pipe2(pipeFd, O_CLOEXEC) < 0) die("pipe2");
    if (piece != 64 * 1024 && fcntl(pipeFd[1], F_SETPIPE_SZ, (int)piece) < 0) die("F_SETPIPE_SZ");
  }
  long long total = 0;
  for (;;) {
    ssize_t n = splice(c, NULL, pipeFd[1], NULL, piece, SPLICE_F_MOVE | SPLICE_F_MORE);
    if (n < 0) {
      if (errno == EINTR) continue;
      break;  // a reset: stop as the read(2) loop does
    }
    if (n == 0) break;  // the client's FIN
    total += n;
    while (n > 0) {  // drain the pipe into the file, so the next splice starts empty
      ssize_t w = splice(pipeFd[0], NULL, fd, NULL, (size_t)n, SPLICE_F_MOVE | SPLICE_F_MORE);
      if (w < 0) {
        if (errno == EINTR) continue;
        die("splice to file");
      }
      n -= w;
    }
  }
  return total;
}

static void writeAll(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      die("write file");
    }
    p += w;
    n -= (size_t)w;
  }
}

int main(int argc, char** argv) {
  int port = 8124;
  const char* host = "127.0.0.1";
  const char* dir = "./server_files";
  int useSplice = 0;
  size_t pipeBytes = 64 * 1024;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--splice") == 0) {
      useSplice = 1;
      continue;
    }
    if (i + 1 >= argc) break;
    if (strcmp(argv[i], "--port") == 0) port = atoi(argv[i + 1]);
    else if (strcmp(argv[i], "--host") == 0) host = argv[i + 1];
    else if (strcmp(argv[i], "--dir") == 0) dir = argv[i + 1];
    else if (strcmp(argv[i], "--pipe-kib") == 0) pipeBytes = (size_t)atoi(argv[i + 1]) * 1024;
    i++;
  }
  int ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (ls < 0) die("socket");
  int one = 1;
  setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
  if (inet_pton(AF_INET, host, &a.sin_addr) != 1) die("inet_pton");
  if (bind(ls, (struct sockaddr*)&a, sizeof a) < 0) die("bind");
  if (listen(ls, 511) < 0) die("listen");
  char line[512];
  snprintf(line, sizeof line, "listening on %s:%d\n", host, port);
  say(line);
  static char piece[kPiece];
  for (unsigned counter = 1;; counter++) {
    int c = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
    if (c < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      die("accept4");
    }
    char name[64], path[4096];
    snprintf(name, sizeof name, "floor-%d-%u.bin", (int)getpid(), counter);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) die(path);
    long long total = 0;
    if (useSplice) total = spliceAll(c, fd, pipeBytes);
    for (; !useSplice;) {
      ssize_t n = read(c, piece, sizeof piece);
      if (n > 0) {
        writeAll(fd, piece, (size_t)n);
        total += n;
        continue;
      }
      if (n == 0) break;
      if (errno == EINTR) continue;
      break;
    }
    if (close(fd) != 0) die("close file");
    snprintf(line, sizeof line, "saved %s (%lld bytes)\n", name, total);
    say(line);
    close(c);
  }
}
