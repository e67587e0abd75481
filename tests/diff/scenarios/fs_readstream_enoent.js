'use strict';
// Scenario fs_readstream_enoent: fs.createReadStream() on a file that does not exist.
//
// open(2) runs on the thread pool; it fails, so the stream emits 'error' (ENOENT,
// syscall 'open', errno -2, the path as given) and then 'close'; never 'open',
// 'ready', 'data' or 'end'. The message is libuv's: "ENOENT: no such file or
// directory, open '<path>'".
const fs = require('fs');

const path = './no-such-dir/no-such-file.txt';
const stream = fs.createReadStream(path);
for (const ev of ['open', 'ready', 'data', 'end']) stream.on(ev, () => console.log(`stream ${ev} (unexpected)`));
stream.on('error', (err) => {
  console.log(`stream error ${err.code} ${err.syscall} errno=${err.errno}`);
  console.log(`stream error message "${err.message}"`);
  console.log(`stream error path=${err.path}`);
});
stream.on('close', () => console.log('stream close'));
console.log('createReadStream() returned');
