'use strict';
// Scenario tcp_write_to_gone_peer: write to a peer that has closed its socket.
//
// Once the client is connected and the server has its `conn`, the server destroys
// `conn` (close(2): a FIN goes out) and, in the same callback, the client writes 10
// bytes again and again. Nothing reads in between, so the client never sees that FIN
// (reading it would make the client end its own side, and a later write would then
// fail with "write after end" instead). The first write succeeds: the kernel sends the
// bytes, and the peer, which has no socket any more, answers with RST. A later write
// fails in send(2): EPIPE on Linux (the RST came after the FIN), ECONNRESET on some
// systems. write() returns false at once; the 'error' (syscall 'write') comes on the
// next tick, then 'close' with hadError true.
// The kernel's choice between EPIPE and ECONNRESET is not the kit's, so both are
// printed as EPIPE|ECONNRESET on both sides.
// @diff compare per-object
// @diff replace /\b(EPIPE|ECONNRESET)\b/g EPIPE|ECONNRESET
// @diff replace /errno=-(32|104)\b/g errno=EPIPE|ECONNRESET
const net = require('net');

let conn = null;
let client = null;
let clientConnected = false;

function writeToGonePeer() {
  if (!conn || !clientConnected) return;
  conn.destroy();
  console.log(`conn destroy() returned destroyed=${conn.destroyed}`);
  let writes = 0;
  let ok = true;
  const deadline = Date.now() + 2000;
  while (ok && Date.now() < deadline) {
    ok = client.write('0123456789');
    writes++;
  }
  console.log(`client write() returned ${ok}, first write succeeded: ${writes > 1}`);
}

const server = net.createServer((c) => {
  console.log('server connection');
  conn = c;
  conn.on('error', (err) => console.log(`conn error ${err.code} (unexpected)`));
  conn.on('close', (hadError) => console.log(`conn close ${hadError}`));
  server.close(() => console.log('server close'));
  writeToGonePeer();
});
server.listen(0, '127.0.0.1', () => {
  client = net.connect(server.address().port, '127.0.0.1');
  client.on('connect', () => {
    console.log('client connect');
    clientConnected = true;
    writeToGonePeer();
  });
  client.on('data', (d) => console.log(`client data ${d.length} (unexpected)`));
  client.on('end', () => console.log('client end (unexpected)'));
  client.on('error', (err) => {
    console.log(`client error ${err.code} ${err.syscall} errno=${err.errno}`);
    console.log(`client error message "${err.message}"`);
  });
  client.on('close', (hadError) => console.log(`client close ${hadError} destroyed=${client.destroyed}`));
});
