'use strict';
// Scenario dgram_udp6: UDP over IPv6, and a udp6 socket meeting IPv4.
//
// A udp6 socket bound with no address binds '::' with IPV6_V6ONLY off: it receives
// IPv6 datagrams and IPv4 ones too, the latter from an IPv4-mapped address
// (::ffff:127.0.0.1). Steps, each after the previous one's callback:
//   1. a udp4 client sends to 127.0.0.1      -> rinfo ::ffff:127.0.0.1, family IPv6
//   2. a udp6 client sends to ::1            -> rinfo ::1
//   3. the udp6 client sends to '127.0.0.1'  -> EINVAL: an IPv4 literal is not an
//      address of the socket's family (Node's message: "send EINVAL 127.0.0.1:PORT")
//   4. the udp6 client sends 65,527 bytes    -> ok (IPv6 loopback limit: 65,535 - 8)
//   5. the udp6 client sends 65,528 bytes    -> EMSGSIZE
const dgram = require('dgram');

const server = dgram.createSocket('udp6');
const c4 = dgram.createSocket('udp4');
const c6 = dgram.createSocket('udp6');
let port = 0;
const fix = (s) => s.replace(String(port), 'PORT');

function reportSend(name, size, next) {
  return (err, bytes) => {
    if (err) console.log(`${name} send ${size} error ${err.code} ${err.syscall} message "${fix(err.message)}"`);
    else console.log(`${name} send ${size} ok bytes=${bytes}`);
    if (next) next();
  };
}

const steps = [
  () => c4.send(Buffer.from('from udp4'), port, '127.0.0.1', reportSend('c4', 9)),
  () => c6.send(Buffer.from('from udp6'), port, '::1', reportSend('c6', 9)),
  () => c6.send(Buffer.from('x'), port, '127.0.0.1', reportSend('c6', 1, () => next())),
  () => c6.send(Buffer.alloc(65527), port, '::1', reportSend('c6', 65527)),
  () => c6.send(Buffer.alloc(65528), port, '::1', reportSend('c6', 65528, () => next())),
  () => {
    c4.close();
    c6.close();
    server.close();
  },
];
function next() {
  steps.shift()();
}

server.on('message', (msg, rinfo) => {
  console.log(`server message ${msg.length} rinfo ${rinfo.address} ${rinfo.family} size=${rinfo.size}`);
  next();
});
server.on('close', () => console.log('server close'));
c4.on('close', () => console.log('c4 close'));
c6.on('close', () => console.log('c6 close'));
server.bind(0, () => {
  const a = server.address();
  port = a.port;
  console.log(`server listening ${a.address} ${a.family}`);
  next();
});
