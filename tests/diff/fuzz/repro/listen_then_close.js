'use strict';
// NEW defect found by the randomized differential test (tests/diff/fuzz, seeds 24, 50,
// 92, ... after the missing port check of defect 8 let listen(65536) go ahead):
// server.listen(0, host) followed by server.close() in the same callback. Node emits
// 'close' and never listens: the process exits. The kit emits 'close', then, when the
// host lookup completes, listens anyway ('listening'), and the loop never exits.
const net = require('net');

const server = net.createServer();
server.on('listening', () => console.log('server listening'));
server.on('close', () => console.log('server close'));
server.listen(0, '127.0.0.1');
server.close();
