'use strict';
// Scenario dgram_emsgsize: a datagram larger than UDP allows.
//
// Over IPv4 a UDP payload is at most 65,507 bytes (65,535 minus the 20-byte IP header
// and the 8-byte UDP header). The client first sends 65,508 bytes: sendto(2) fails with
// EMSGSIZE, and the send callback gets the error (syscall 'send', the address and port
// as given, errno -90) and no byte count. Then 65,507 bytes: the callback gets the
// count and the server's 'message' the whole datagram.
const dgram = require('dgram');

const server = dgram.createSocket('udp4');
const client = dgram.createSocket('udp4');

function send(size, port, next) {
  client.send(Buffer.alloc(size), 0, size, port, '127.0.0.1', (err, bytes) => {
    if (err) {
      console.log(`client send ${size} error ${err.code} ${err.syscall} errno=${err.errno} bytes=${bytes}`);
      console.log(`client send ${size} error message "${err.message.replace(String(port), 'PORT')}"`);
      console.log(`client send ${size} error address=${err.address} port=${err.port === port ? 'PORT' : err.port}`);
    } else {
      console.log(`client send ${size} ok bytes=${bytes}`);
    }
    if (next) next();
  });
}

server.on('message', (msg, rinfo) => {
  console.log(`server message ${msg.length} rinfo.size=${rinfo.size}`);
  client.close();
  server.close();
});
server.on('close', () => console.log('server close'));
client.on('close', () => console.log('client close'));
server.bind(0, '127.0.0.1', () => {
  const port = server.address().port;
  console.log('server listening');
  send(65508, port, () => send(65507, port));
});
