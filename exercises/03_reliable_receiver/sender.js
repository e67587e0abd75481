'use strict';
// sender.js -- the sending side of the stop-and-wait protocol, with loss on purpose,
// run by exercises/03_reliable_receiver/check.sh against the student's server.
//
//   node exercises/03_reliable_receiver/sender.js PORT FILE SEED [HOST]
//
// Sends FILE to HOST (127.0.0.1):PORT as the protocol's blocks, one at a time, each
// again after 20 ms without its ACK, up to 50 sends. On purpose, drawn from a generator
// seeded with SEED, it loses on its own side 20-30% of its DATA datagrams (never sent)
// and 20-30% of the ACKs that come back (ignored), and sends some DATA twice. So the
// server sees blocks again that it has already received (it must acknowledge them
// again, and not write them twice). Block 0 is always sent twice the first time, and
// its first ACK is always lost, so that each of those mistakes shows in every run. Exit 0 with `enviado: N blocos, R retransmissoes`
// once the last block is acknowledged; exit 1 with a line on stderr when a block gets
// no ACK after 50 sends, or when the server acknowledges a block not sent yet.
const dgram = require('dgram');
const fs = require('fs');
const saw = require('../stop_and_wait.js');

const [portText, file, seedText, host = '127.0.0.1'] = process.argv.slice(2);
const port = Number(portText);
const rnd = saw.random(Number(seedText));
const dropData = 0.2 + 0.1 * rnd();
const dropAck = 0.2 + 0.1 * rnd();
const blocks = saw.blocks(fs.readFileSync(file));
const sock = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
let seq = 0;
let sends = 0;
let retransmissions = 0;
let timer = null;
let trapped = false;

function fail(why) {
  console.error(why);
  process.exitCode = 1;
  clearTimeout(timer);
  sock.close();
}

function sendBlock() {
  if (sends === 50) return fail(`bloco ${seq} sem ACK depois de 50 envios (o servidor nao confirma)`);
  if (sends++ > 0) retransmissions++;
  const msg = saw.encodeData(seq, seq === blocks.length - 1, blocks[seq]);
  const r = rnd();
  const first = seq === 0 && sends === 1;         // block 0's first send: always twice
  if (first || r >= dropData) sock.send(msg, port, host);  // else: lost on the way
  if (first || r > 0.9) sock.send(msg, port, host);        // twice
  timer = setTimeout(sendBlock, 20);
}

sock.on('message', (msg, rinfo) => {
  if (rinfo.port !== port) return;
  const acked = saw.decodeAck(msg);
  if (acked === null) return fail(`an ACK of ${msg.length} bytes (4 expected: the sequence number)`);
  if (acked > seq) return fail(`an ACK for block ${acked}, while block ${seq} is the last one sent`);
  if (acked === 0 && !trapped) return void (trapped = true);  // block 0's first ACK: always lost
  if (rnd() < dropAck) return;  // lost on the way
  if (acked < seq) return;      // stale
  clearTimeout(timer);
  if (++seq === blocks.length) {
    console.log(`enviado: ${blocks.length} blocos, ${retransmissions} retransmissoes`);
    return sock.close();
  }
  sends = 0;
  sendBlock();
});

sendBlock();
