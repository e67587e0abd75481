'use strict';
// Scenario tcp_listen: a server's 'listening' event, and what it bound.
//
// Three servers: `a` on an IP literal, `b` with no host (Node's default: '::'
// dual-stack), `c` on the name 'localhost' (resolved by getaddrinfo on the thread
// pool). listen() never emits synchronously: `listening` is false right after a
// listen() that must first look its host up, and true after one with no host, whose
// bind(2) and listen(2) happened inside the call; the event comes on a later tick
// either way. Each server closes itself once listening, and 'close' follows.
// Ports: 0 (the kernel picks), so the trace prints "port>0" instead of the number.
const net = require('net');

function trace(name, server, host) {
  server.on('listening', () => {
    const { address, family, port } = server.address();
    console.log(`${name} listening ${address} ${family} port>0=${port > 0}`);
    server.close();
    console.log(`${name} close() returned listening=${server.listening}`);
  });
  server.on('close', () => console.log(`${name} close`));
  server.on('error', (err) => console.log(`${name} error ${err.code} ${err.syscall}`));
  server.listen(0, host);
  console.log(`${name} listen() returned listening=${server.listening}`);
}

trace('a', net.createServer(), '127.0.0.1');
trace('b', net.createServer(), undefined);
trace('c', net.createServer(), 'localhost');
