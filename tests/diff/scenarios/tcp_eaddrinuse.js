'use strict';
// Scenario tcp_eaddrinuse: listen() on a port that is already taken.
//
// `a` holds a port the kernel picked on 127.0.0.1. Then `b` asks for the same port on
// 127.0.0.1 and `c` for it with no host ('::' dual-stack, which overlaps 127.0.0.1).
// Neither throws: each gets an 'error' event on a later tick, with syscall 'listen'
// (even though bind(2) is the call that failed) and the address it tried. The port
// number is printed as PORT so that both twins print the same line.
const net = require('net');

const a = net.createServer();
a.listen(0, '127.0.0.1', () => {
  const port = a.address().port;
  console.log('a listening');
  let failures = 0;
  for (const [name, host] of [['b', '127.0.0.1'], ['c', undefined]]) {
    const s = net.createServer();
    s.on('listening', () => console.log(`${name} listening (unexpected)`));
    s.on('error', (err) => {
      console.log(`${name} error ${err.code} ${err.syscall} errno=${err.errno}`);
      console.log(`${name} error message "${err.message.replace(String(port), 'PORT')}"`);
      console.log(`${name} error address=${err.address} port=${err.port === port ? 'PORT' : err.port}`);
      console.log(`${name} listening=${s.listening}`);
      if (++failures === 2) a.close(() => console.log('a close'));
    });
    s.listen(port, host);
  }
});
