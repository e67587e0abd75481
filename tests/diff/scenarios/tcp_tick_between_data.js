'use strict';
// Scenario tcp_tick_between_data: nextTick runs between two 'data' events of one
// wake-up.
//
// The client sends 256 KiB; the server's first 'data' listener blocks for 100 ms, so
// the next wake-up finds more than one 64 KiB read waiting. Node calls onStreamRead once per
// read(2), each a callback from C++ followed by the nextTick queue: a tick queued in
// one 'data' listener runs before the next 'data'. How many chunks arrive depends on
// the kernel, so the trace prints whether any 'data' came with a tick still pending.
const net = require('net');

function block(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

const server = net.createServer((conn) => {
  let total = 0;
  let tickPending = false;
  let overtaken = 0;
  let chunks = 0;
  conn.on('data', (chunk) => {
    // Hold the loop while the rest of the client's bytes reach the kernel buffer.
    if (chunks === 0) block(100);
    if (tickPending) overtaken++;
    chunks++;
    total += chunk.length;
    tickPending = true;
    process.nextTick(() => { tickPending = false; });
  });
  conn.on('end', () => {
    console.log(`server end total=${total} severalChunks=${chunks > 1} dataBeforeTick=${overtaken}`);
    server.close();
  });
});
server.listen(0, '127.0.0.1', () => {
  const client = net.connect(server.address().port, '127.0.0.1', () => {
    client.end(Buffer.alloc(256 * 1024));
  });
  client.on('close', () => console.log('client close'));
});
