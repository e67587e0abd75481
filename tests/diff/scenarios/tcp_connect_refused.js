'use strict';
// Scenario tcp_connect_refused: connect to a port where nobody listens.
//
// argv[2] is a port the runner found free (on '::' dual-stack, so on 127.0.0.1 and ::1
// too). Three clients, one after the other: an IPv4 literal, an IPv6 literal, and the
// name 'localhost' (one address, 127.0.0.1, on the reference machine). Each gets
// 'error' (ECONNREFUSED, syscall 'connect', the address and port it tried), then
// 'close' with hadError true; never 'connect', 'ready', 'end' or 'finish'. Where
// 'localhost' is ::1 and 127.0.0.1, client3's error is an AggregateError with only a
// code and an empty message (its syscall, errno, address and port are undefined).
// @diff ports 1
const net = require('net');

const port = Number(process.argv[2]);
const hosts = ['127.0.0.1', '::1', 'localhost'];

function next(i) {
  if (i === hosts.length) return;
  const name = `client${i + 1}`;
  const client = net.connect(port, hosts[i]);
  console.log(`${name} connect() to ${hosts[i]} returned connecting=${client.connecting}`);
  for (const ev of ['connect', 'ready', 'data', 'end', 'finish']) {
    client.on(ev, () => console.log(`${name} ${ev} (unexpected)`));
  }
  client.on('error', (err) => {
    console.log(`${name} error ${err.code} ${err.syscall} errno=${err.errno}`);
    console.log(`${name} error message "${err.message.replace(String(port), 'PORT')}"`);
    console.log(`${name} error address=${err.address} port=${err.port === port ? 'PORT' : err.port}`);
  });
  client.on('close', (hadError) => {
    console.log(`${name} close ${hadError} connecting=${client.connecting} destroyed=${client.destroyed}`);
    next(i + 1);
  });
}
next(0);
