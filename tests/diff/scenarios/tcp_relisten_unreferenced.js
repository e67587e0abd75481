'use strict';
// Scenario tcp_relisten_unreferenced: server.close() then server.listen(port, host) in
// one callback, on a server that only a timer's closure holds (the document's
// EADDRINUSE retry, and the pattern in Node's docs for server.listen()).
//
// `a` holds a port on 127.0.0.1; `b` wants it too and gets EADDRINUSE. Its 'error'
// listener lets `a` go and, 20 ms later, closes `b` and listens again with a host, so
// the listen waits for a lookup while the 'close' of close() is emitted. Node keeps the
// server: 'close' (not listening), then 'listening' on the port, a client connects,
// and everything closes.
// @diff compare per-object
const net = require('net');

function retry() {
  const a = net.createServer();
  a.on('close', () => console.log('a close'));
  a.listen(0, '127.0.0.1', () => {
    const port = a.address().port;
    console.log('a listening');
    const b = net.createServer((conn) => {
      console.log('b connection');
      conn.on('close', () => {
        console.log('b conn close');
        b.close();
      });
      conn.end();
    });
    b.on('error', (err) => {
      console.log(`b error ${err.code} ${err.syscall}`);
      a.close();
      setTimeout(() => {
        b.close();
        b.listen(port, '127.0.0.1');
        console.log(`b listen() again listening=${b.listening}`);
      }, 20);
    });
    b.on('close', () => console.log(`b close listening=${b.listening}`));
    b.on('listening', () => {
      console.log(`b listening port=${b.address().port === port ? 'PORT' : '?'}`);
      const client = net.connect(port, '127.0.0.1');
      client.resume();
      client.on('end', () => console.log('client end'));
      client.on('close', () => console.log('client close'));
    });
    b.listen(port, '127.0.0.1');
  });
}
retry();
