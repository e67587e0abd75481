'use strict';
// Scenario tcp_write_return: what socket.write() returns, and when 'drain' comes.
//
// Node v20 decides write()'s answer after trying the write: it returns false only if
// 16 KiB or more (the highWaterMark) are still waiting in the socket afterwards. A chunk
// the kernel takes whole leaves nothing waiting, so write() returns true even for a
// 64 KiB chunk (on an idle loopback connection the kernel takes that much at once). A
// chunk of 8 MiB cannot be taken whole: false, and one 'drain' once it has all gone.
// The server reads everything.
// @diff compare per-object
const net = require('net');

const server = net.createServer((conn) => {
  let received = 0;
  conn.on('data', (d) => { received += d.length; });
  conn.on('end', () => {
    console.log(`conn end received=${received}`);
    server.close();
  });
});
server.listen(0, '127.0.0.1', () => {
  const client = net.connect(server.address().port, '127.0.0.1', () => {
    let drains = 0;
    client.on('drain', () => {
      drains++;
      console.log(`client drain #${drains} writableLength=${client.writableLength}`);
      if (drains === 1) client.end();
    });
    for (const size of [10, 65536, 8 * 1024 * 1024]) {
      const ok = client.write(Buffer.alloc(size, 0x62));
      console.log(`client write ${size} returned ${ok} nothingWaiting=${client.writableLength === 0}`);
    }
  });
  client.on('close', (hadError) => console.log(`client close ${hadError}`));
});
