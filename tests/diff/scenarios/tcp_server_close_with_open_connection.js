'use strict';
// Scenario tcp_server_close_with_open_connection: server.close() while a connection
// is still open.
//
// close() stops accepting at once (the listening socket is closed: a second client is
// refused) but does not touch the connections already accepted. The server's 'close'
// event waits until the last of them is destroyed: Node emits it on the tick after
// that connection's destroy, so before the connection's own 'close' event (which comes
// in the loop's close phase). The lines carry that cross-object order
// (connClosed=false) since the comparison is per object.
// @diff compare per-object
const net = require('net');

let connClosed = false;
let conn = null;
const server = net.createServer((c) => {
  conn = c;
  console.log('server connection');
  server.close(() => console.log(`server close conn.destroyed=${conn.destroyed} connClosed=${connClosed}`));
  console.log(`server close() returned listening=${server.listening}`);
  conn.on('data', (d) => console.log(`conn data ${d.length}`));
  conn.on('end', () => console.log('conn end'));
  conn.on('finish', () => console.log('conn finish'));
  conn.on('close', (hadError) => {
    connClosed = true;
    console.log(`conn close ${hadError}`);
  });
  // A second client: the listening socket is gone, so it is refused.
  const client2 = net.connect(port, '127.0.0.1');
  client2.on('error', (err) => console.log(`client2 error ${err.code} ${err.syscall}`));
  client2.on('close', (hadError) => {
    console.log(`client2 close ${hadError}`);
    client1.end('0123456789');
  });
});
let port = 0;
let client1 = null;
server.listen(0, '127.0.0.1', () => {
  port = server.address().port;
  console.log('server listening');
  client1 = net.connect(port, '127.0.0.1', () => console.log('client1 connect'));
  client1.on('end', () => console.log('client1 end'));
  client1.on('finish', () => console.log('client1 finish'));
  client1.on('close', (hadError) => console.log(`client1 close ${hadError}`));
});
