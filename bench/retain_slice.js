'use strict';
// bench/retain_slice.js: the Node twin of retain_slice.cpp (make bench, project issue
// 20, item 5). A server that keeps a 16-byte slice of the first 'data' chunk of a
// connection (a header, say) and drops every later chunk, as a student's exercise
// solution might. The bench streams hundreds of MiB through it and compares its peak
// RSS with the C++ twin's: a slice must not keep the chunks after it resident.
//
// Usage: node bench/retain_slice.js --port N [--host 127.0.0.1]
const net = require('node:net');

const argv = process.argv.slice(2);
const flag = (name, dflt) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : dflt);
const PORT = Number(flag('--port', 8124));
const HOST = flag('--host', '127.0.0.1');

const server = net.createServer((conn) => {
  console.log('conectado!');
  let header = null;
  let total = 0;
  conn.on('data', (data) => {
    if (header === null) header = data.subarray(0, 16);  // a view: it keeps its chunk's memory
    total += data.length;
  });
  conn.on('end', () => {
    console.log(`recebidos ${total} bytes, cabecalho ${header ? header.toString('hex') : '-'}`);
    conn.end();
  });
});
server.listen(PORT, HOST, () => console.log('escutando porta ' + PORT));
