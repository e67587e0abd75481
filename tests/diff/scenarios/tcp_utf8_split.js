'use strict';
// Scenario tcp_utf8_split: socket.setEncoding('utf8') when a multi-byte character is
// split across TCP reads (docs/node-oracle.md section 6).
//
// For each case the server writes the parts one at a time, each only once the client
// has read the previous one (its bytesRead, which counts bytes read from the kernel
// whether or not a 'data' event followed, has caught up), so each part arrives in its
// own read(2). Then the server ends. The client reads with setEncoding('utf8') and
// prints each 'data' string as code points. Expected, as in Node's StringDecoder:
//   a  61 E2 82 | AC 62     -> "a", then "€b" (the two lead bytes are held back)
//   b  E2 | 82 | AC         -> one "€"; no 'data' at all while it is incomplete
//   c  78 E2 82, then FIN   -> "x", then one U+FFFD for the cut tail, just before 'end'
//   d  F0 9F 98 | 80        -> one U+1F600 (a 4-byte character)
//   e  E2 82 AC E2 82 AC    -> "€€" (no split: one event)
const net = require('net');

const cases = [
  ['a', [[0x61, 0xe2, 0x82], [0xac, 0x62]]],
  ['b', [[0xe2], [0x82], [0xac]]],
  ['c', [[0x78, 0xe2, 0x82]]],
  ['d', [[0xf0, 0x9f, 0x98], [0x80]]],
  ['e', [[0xe2, 0x82, 0xac, 0xe2, 0x82, 0xac]]],
];

const codePoints = (s) =>
  Array.from(s, (ch) => 'U+' + ch.codePointAt(0).toString(16).toUpperCase().padStart(4, '0')).join(' ');

let current = 0;
let client = null;
const server = net.createServer((conn) => {
  const parts = cases[current][1].slice();
  let sent = 0;
  const next = () => {
    if (client.bytesRead < sent) return setTimeout(next, 5);  // not read yet: wait
    if (parts.length === 0) return conn.end();
    const part = Buffer.from(parts.shift());
    sent += part.length;
    conn.write(part);
    setTimeout(next, 5);
  };
  next();
});

function runCase() {
  if (current === cases.length) return server.close();
  const name = 'client' + cases[current][0];
  client = net.connect(server.address().port, '127.0.0.1');
  client.setEncoding('utf8');
  client.on('data', (s) => console.log(`${name} data ${typeof s} [${codePoints(s)}]`));
  client.on('end', () => console.log(`${name} end`));
  client.on('close', () => {
    current++;
    runCase();
  });
}
server.listen(0, '127.0.0.1', runCase);
