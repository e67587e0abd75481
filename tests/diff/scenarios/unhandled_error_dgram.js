'use strict';
// Scenario unhandled_error_dgram: a UDP bind failure with no 'error' listener.
//
// `holder` binds argv[2] (a free port the runner picked); `second` then binds the same
// port. Node's dgram sockets do not set SO_REUSEADDR by default, so bind(2) fails with
// EADDRINUSE, which dgram reports as an 'error' event ("bind EADDRINUSE
// 0.0.0.0:PORT"). `second` has no 'error' listener: the process prints the
// unhandled-'error' report and exits with status 1, although `holder` is still open.
// @diff ports 1
const dgram = require('dgram');

const port = Number(process.argv[2]);
const holder = dgram.createSocket('udp4');
holder.bind(port, () => {
  console.log('holder listening');
  const second = dgram.createSocket('udp4');
  second.on('listening', () => console.log('second listening (unexpected)'));
  second.on('close', () => console.log('second close (never printed)'));
  second.bind(port);
  console.log('second bind() returned');
});
