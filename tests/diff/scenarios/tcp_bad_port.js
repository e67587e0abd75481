'use strict';
// Scenario tcp_bad_port: an integer port outside 0..65535 is refused at once.
//
// Node validates the port before anything else: server.listen(70000) and
// socket.connect(-61072) throw RangeError [ERR_SOCKET_BAD_PORT] synchronously (the
// kernel would otherwise take the low 16 bits: 70000 is port 4464). Nothing is left
// open: the program ends by itself.
const net = require('net');

for (const port of [70000, 65536, -1, -61072]) {
  const server = net.createServer();
  try {
    server.listen(port);
    console.log(`server listen(${port}) returned listening=${server.listening}`);
  } catch (err) {
    console.log(`server listen(${port}) threw ${err.name} ${err.code} "${err.message}"`);
  }
  const client = new net.Socket();
  try {
    client.connect(port, '127.0.0.1');
    console.log(`client connect(${port}) returned connecting=${client.connecting}`);
  } catch (err) {
    console.log(`client connect(${port}) threw ${err.name} ${err.code} "${err.message}"`);
  }
}
