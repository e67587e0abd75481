// floor_client.c: the design floor for lesson 02 (make bench, project issue 21).
//
// The document's client design done the simplest way C allows, with no kit code, no
// event loop and no thread pool: connect(2), then read(2) the file in 64 KiB pieces
// (createReadStream's highWaterMark) and write(2) each one to the socket (pipe), then
// close(2) (end). Whatever lesson 02 spends beyond this is the price of the kit.
//
// --sendfile (lesson 06, issue 16: "try splice(2)/sendfile(2) and say what each gave"):
// sendfile(2) from the file to the socket instead of read(2) + write(2), no copy
// through user space (the page cache's pages go to the socket). The bytes never reach
// this process, so nothing could hash them: what a raw-protocol client could reach.
//
// Usage: floor_client --port N [--host 127.0.0.1] [--file ./client_files/client.txt]
//          [--sendfile]
//        floor_client --port N --bytes COUNT     (COUNT bytes of a pattern from memory,
//                                                 no file: the retained-slice bench)
#define _GNU_SOURCE  // SOCK_CLOEXEC, O_CLOEXEC under -std=c11
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

enum { kPiece = 64 * 1024 };

static void die(const char* what) {
  fprintf(stderr, "floor_client: %s: %s\n", what, strerror(errno));
  exit(1);
}

static void sendAll(int s, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = write(s, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      die("write");
    }
    p += w;
    n -= (size_t)w;
  }
}

int main(int argc, char** argv) {
  int port = 8124;
  const char* host = "127.0.0.1";
  const char* file = "./client_files/client.txt";
  long long bytes = -1;
  int useSendfile = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--sendfile") == 0) {
      useSendfile = 1;
      continue;
    }
    if (i + 1 >= argc) break;
    if (strcmp(argv[i], "--port") == 0) port = atoi(argv[i + 1]);
    else if (strcmp(argv[i], "--host") == 0) host = argv[i + 1];
    else if (strcmp(argv[i], "--file") == 0) file = argv[i + 1];
    else if (strcmp(argv[i], "--bytes") == 0) bytes = atoll(argv[i + 1]);
    i++;
  }
  int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0) die("socket");
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
  if (inet_pton(AF_INET, host, &a.sin_addr) != 1) die("inet_pton");
  while (connect(s, (struct sockaddr*)&a, sizeof a) < 0) {
    if (errno != EINTR) die("connect");
  }
  static char piece[kPiece];
  if (bytes >= 0) {
    for (size_t i = 0; i < sizeof piece; i++) piece[i] = (char)('a' + i % 26);
    while (bytes > 0) {
      size_t n = bytes < kPiece ? (size_t)bytes : kPiece;
      sendAll(s, piece, n);
      bytes -= (long long)n;
    }
  } else if (useSendfile) {
    int fd = open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0) die(file);
    struct stat st;
    if (fstat(fd, &st) < 0) die("fstat");
    off_t left = st.st_size;
    while (left > 0) {  // one call may move less than asked (at most 0x7ffff000 bytes)
      ssize_t n = sendfile(s, fd, NULL, left < (1 << 30) ? (size_t)left : (size_t)1 << 30);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) die("sendfile");
      if (n == 0) break;  // the file shrank
      left -= n;
    }
    close(fd);
  } else {
    int fd = open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0) die(file);
    for (;;) {
      ssize_t n = read(fd, piece, sizeof piece);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) die("read");
      if (n == 0) break;
      sendAll(s, piece, (size_t)n);
    }
    close(fd);
  }
  // end(): FIN, then wait for the server's FIN as Node's client does before 'close'.
  shutdown(s, SHUT_WR);
  while (read(s, piece, sizeof piece) > 0) {
  }
  close(s);
  return 0;
}
