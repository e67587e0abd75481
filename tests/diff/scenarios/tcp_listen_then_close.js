'use strict';
// Scenario tcp_listen_then_close: close() right after listen(port, host), while the
// host is still being looked up, cancels the listen.
//
// Node's lookupAndListen remembers the server's _listeningId before dns.lookup();
// close() increments it, so when the lookup answers, the server neither binds nor
// emits 'listening' (nor calls listen's callback): 'close' comes on the next tick and
// the process exits. Both a literal address (answered on a tick) and a name (answered
// by getaddrinfo on the thread pool) are cancelled. (Found by the randomized
// differential test, seed 24: the kit listened anyway and never exited.)
const net = require('net');

const server = net.createServer();
server.on('listening', () => console.log('server listening (unexpected)'));
server.on('close', () => console.log(`server close listening=${server.listening}`));
server.listen(0, '127.0.0.1', () => console.log('server listen callback (unexpected)'));
server.close();
console.log(`server close() called listening=${server.listening}`);

const server2 = net.createServer();
server2.on('listening', () => console.log('server2 listening (unexpected)'));
server2.on('close', () => console.log(`server2 close listening=${server2.listening}`));
server2.listen(0, 'localhost', () => console.log('server2 listen callback (unexpected)'));
server2.close();
console.log(`server2 close() called listening=${server2.listening}`);
