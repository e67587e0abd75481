'use strict';
// Scenario tcp_listen_twice: listen() on a server that already listens throws.
//
// Node's Server.prototype.listen throws ERR_SERVER_ALREADY_LISTEN synchronously when
// the server has a handle, both right after the first listen() and from its
// 'listening' listener; the server goes on listening, and no 'error' is emitted.
const net = require('net');

const server = net.createServer();
server.on('error', (err) => console.log(`server error ${err.code} (unexpected)`));
server.listen(0, () => {
  console.log('server listening');
  try {
    server.listen(0);
    console.log('server listen() again returned');
  } catch (err) {
    console.log(`server listen() again threw ${err.name} ${err.code} "${err.message}"`);
  }
  console.log(`server listening=${server.listening}`);
  server.close(() => console.log('server close'));
});
try {
  server.listen(0);
  console.log('server listen() at once returned');
} catch (err) {
  console.log(`server listen() at once threw ${err.name} ${err.code} "${err.message}"`);
}
