'use strict';
// Scenario dgram_basic: one datagram over udp4, and every event on the way.
//
// The server binds 127.0.0.1 on a port the kernel picks: 'listening' on a later tick.
// The client never calls bind(): send() binds it implicitly (0.0.0.0, any port), so
// the client gets a 'listening' of its own before the datagram leaves. The send
// callback gets (null, 5). The server's 'message' carries the bytes and `rinfo`:
// the sender's address, family, port (the client's port) and size. Then both close:
// 'close' comes on the next tick, in the order close() was called.
const dgram = require('dgram');

const server = dgram.createSocket('udp4');
const client = dgram.createSocket('udp4');

server.on('listening', () => {
  const a = server.address();
  console.log(`server listening ${a.address} ${a.family} port>0=${a.port > 0}`);
  client.on('listening', () => {
    const c = client.address();
    console.log(`client listening (implicit bind) ${c.address} ${c.family} port>0=${c.port > 0}`);
  });
  client.send(Buffer.from('hello'), a.port, '127.0.0.1', (err, bytes) => {
    console.log(`client send callback err=${err} bytes=${bytes}`);
  });
  console.log('client send() returned');
});
server.on('message', (msg, rinfo) => {
  const fromClient = rinfo.port === client.address().port;
  console.log(`server message ${msg.length} "${msg}"`);
  console.log(`server rinfo address=${rinfo.address} family=${rinfo.family} size=${rinfo.size} port=${fromClient ? 'CLIENT' : rinfo.port}`);
  client.close(() => console.log('client close callback'));
  server.close();
  console.log('server and client close() returned');
});
server.on('close', () => console.log('server close'));
client.on('close', () => console.log('client close'));
server.on('error', (err) => console.log(`server error ${err.code} (unexpected)`));
server.bind(0, '127.0.0.1');
console.log('server bind() returned');
