'use strict';
// bench/c10k_server.js: the Node twin of c10k_server.cpp (make bench's C10K part,
// project issue 18, item 3). An echo server: every 'data' chunk a connection receives
// is written back to it, as is. libuv watches its descriptors with epoll(7) on Linux.
// Node raises the soft RLIMIT_NOFILE to the hard limit itself at start-up.
//
// Usage: node bench/c10k_server.js --port N [--host 127.0.0.1]
const net = require('node:net');

const argv = process.argv.slice(2);
const flag = (name, dflt) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : dflt);
const PORT = Number(flag('--port', 8124));
const HOST = flag('--host', '127.0.0.1');

const server = net.createServer((conn) => {
  conn.on('data', (data) => conn.write(data));  // the echo
  // The client resets its connections when it is done (no TIME_WAIT left behind):
  // ECONNRESET is expected, not worth a crash.
  conn.on('error', () => {});
});
server.listen(PORT, HOST, () => console.log('escutando porta ' + PORT));
