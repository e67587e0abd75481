'use strict';
// Scenario tcp_enotfound: connect to a host name that does not resolve.
//
// 'nosuchhost.invalid' (the .invalid top-level domain never resolves, RFC 2606).
// getaddrinfo(3) runs on the thread pool; its failure becomes 'error' with code
// ENOTFOUND (EAI_NONAME), syscall 'getaddrinfo' and a `hostname` property instead of
// address/port, then 'close' with hadError true. No connection is ever attempted.
// Where no DNS server is reachable at all, getaddrinfo fails with EAI_AGAIN instead;
// that depends on the machine, not on the kit, so the runner accepts it on both sides.
// @diff replace /EAI_AGAIN/g ENOTFOUND
// @diff replace /errno=-3001/g errno=-3008
const net = require('net');

const client = net.connect(80, 'nosuchhost.invalid');
console.log(`client connect() returned connecting=${client.connecting}`);
for (const ev of ['connect', 'ready', 'data', 'end', 'finish']) {
  client.on(ev, () => console.log(`client ${ev} (unexpected)`));
}
client.on('error', (err) => {
  console.log(`client error ${err.code} ${err.syscall} errno=${err.errno}`);
  console.log(`client error message "${err.message}"`);
  console.log(`client error hostname=${err.hostname} address=${err.address} port=${err.port}`);
});
client.on('close', (hadError) => console.log(`client close ${hadError} destroyed=${client.destroyed}`));
