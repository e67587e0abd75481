'use strict';
// Scenario pipe_slow_reader: fs.createReadStream(file).pipe(socket) into a slow reader.
//
// The file is 8 MiB. The server pauses its `conn` and does not read until pipe() has
// paused the file stream: the kernel's socket buffers fill up, a write is left
// waiting in the socket, write() returns false and pipe() pauses the stream (the
// client checks every 5 ms). Only then does the server resume. Node's rules, which the
// trace checks:
//   - socket.write() returns false once 16 KiB or more wait to be sent (its
//     highWaterMark); a chunk the kernel takes whole at once does not count, so
//     write() returns true for the first chunks, until the kernel's buffers are full;
//     then pipe() pauses the file stream, and resumes it on the socket's 'drain'
//     (at least one 'drain', and the stream is paused whenever it fires);
//   - the file stream reads 64 KiB chunks: 8 MiB is exactly 128 'data' events;
//   - the stream had not finished when the reader resumed (the kernel's buffers hold
//     far less than 8 MiB);
//   - at the file's end pipe() calls socket.end(): 'finish' on the client, then the
//     server sees 'end' with every byte.
// How many bytes the kernel took before it pushed back, and so the exact number of
// 'drain' events, is timing: not printed. The file stream's 'close' comes after an
// asynchronous close(2) in Node, in the same turn in the kit (docs/differences.md):
// compared per object.
// @diff compare per-object
const fs = require('fs');
const net = require('net');
const os = require('os');
const path = require('path');

const SIZE = 8 * 1024 * 1024;
const file = path.join(os.tmpdir(), `kit-diff-pipe-${process.pid}.bin`);
fs.writeFileSync(file, Buffer.alloc(SIZE, 0x61));

let streamEnded = false;
let resumeReader = null;
const server = net.createServer((conn) => {
  let received = 0;
  conn.pause();
  console.log('conn paused');
  resumeReader = () => {
    console.log(`conn resume() streamEnded=${streamEnded}`);
    conn.resume();
  };
  conn.on('data', (d) => { received += d.length; });
  conn.on('end', () => {
    console.log(`conn end received=${received} all=${received === SIZE}`);
    server.close();
  });
  conn.on('close', (hadError) => console.log(`conn close ${hadError}`));
});

server.listen(0, '127.0.0.1', () => {
  const client = net.connect(server.address().port, '127.0.0.1', () => {
    console.log('client connect');
    const stream = fs.createReadStream(file);
    let chunks = 0;
    let drains = 0;
    let pausedAtEveryDrain = true;
    stream.on('open', () => console.log('stream open'));
    stream.on('data', (d) => { chunks++; if (d.length !== 65536) console.log(`stream data ${d.length}`); });
    stream.on('end', () => {
      streamEnded = true;
      console.log(`stream end chunks=${chunks}`);
    });
    stream.on('close', () => {
      console.log('stream close');
      fs.unlinkSync(file);
    });
    client.on('drain', () => {
      drains++;
      if (!stream.isPaused()) pausedAtEveryDrain = false;
    });
    client.on('finish', () => console.log(`client finish drained=${drains > 0} pausedAtEveryDrain=${pausedAtEveryDrain}`));
    stream.pipe(client);
    const watch = setInterval(() => {
      if (!stream.isPaused() || resumeReader === null) return;
      clearInterval(watch);
      console.log(`stream paused by pipe() writableLength>0=${client.writableLength > 0}`);
      resumeReader();
    }, 5);
  });
  client.on('end', () => console.log('client end'));
  client.on('close', (hadError) => console.log(`client close ${hadError} bytesWritten=${client.bytesWritten}`));
});
