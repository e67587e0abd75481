'use strict';
// Scenario tcp_listen_retry: the document's EADDRINUSE retry (lesson 01):
// on 'error', close() the server and listen() again after a delay.
//
// `a` holds a port (no host: '::'). `b` wants it too and retries every 50 ms; after
// b's second failure `a` lets the port go, so b's third attempt succeeds. What the
// trace shows: close() on a server that is not listening still emits 'close' (on the
// next tick), and that 'close' comes before the 'error' of the listen() called right
// after it. Once b listens it closes, and the program ends.
const net = require('net');

const a = net.createServer();
a.on('close', () => console.log('a close'));
a.listen(0, () => {
  const port = a.address().port;
  console.log('a listening');
  const b = net.createServer();
  let attempts = 1;
  b.on('error', (err) => {
    console.log(`b error ${err.code} ${err.syscall} attempt=${attempts}`);
    if (attempts === 2) a.close();
    setTimeout(() => {
      b.close();
      attempts++;
      b.listen(port);
      console.log(`b listen() again, attempt=${attempts}`);
    }, 50);
  });
  b.on('close', () => console.log('b close'));
  b.on('listening', () => {
    console.log(`b listening attempt=${attempts} port=${b.address().port === port ? 'PORT' : '?'}`);
    b.close();
  });
  b.listen(port);
});
