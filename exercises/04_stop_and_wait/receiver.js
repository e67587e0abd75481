'use strict';
// receiver.js -- the receiving side of the stop-and-wait protocol, with loss on purpose,
// run by exercises/04_stop_and_wait/check.sh against the student's client.
//
//   node exercises/04_stop_and_wait/receiver.js OUT SEED [HOST]
//
// Binds a free UDP port on HOST (127.0.0.1), prints `port N`, and receives one file
// into OUT. On purpose, drawn from a generator seeded with SEED: it ignores 20-30% of
// the DATA datagrams (as if lost), drops 20-30% of its ACKs, sends some ACKs twice and
// delays some by 30-80 ms (so that they arrive after the client has retransmitted, or
// moved on: a stale ACK); and once, the first copy of block 1 is lost and a late ACK 0
// comes instead. It writes OUT once, when the last block is in, and on SIGTERM
// writes OUT.json: { data, blocks, done, errors } (data: every DATA datagram that
// arrived, lost ones included; blocks: how many distinct blocks it took in order;
// errors: what the client did wrong, e.g. a block that came before the one expected).
const dgram = require('dgram');
const fs = require('fs');
const saw = require('../stop_and_wait.js');

const [out, seedText, host = '127.0.0.1'] = process.argv.slice(2);
const rnd = saw.random(Number(seedText));
const dropData = 0.2 + 0.1 * rnd();
const dropAck = 0.2 + 0.1 * rnd();
const stats = { data: 0, blocks: 0, done: false, errors: [], dropData, dropAck };
const parts = [];

const sock = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');

function ack(seq, rinfo) {
  const r = rnd();
  if (r < dropAck) return;
  const send = () => sock.send(saw.encodeAck(seq), rinfo.port, rinfo.address);
  if (r < dropAck + 0.1) return setTimeout(send, 30 + 50 * rnd());  // late: after a retransmission
  send();
  if (r > 0.9) send();  // twice
}

let trapped = false;

sock.on('message', (msg, rinfo) => {
  stats.data++;
  // Once per transfer, for sure: the first copy of block 1 is lost, and a late copy of
  // ACK 0 arrives instead. A client that takes any ACK for its block moves on to
  // block 2, and block 1 never comes.
  if (!trapped && msg.length >= 5 && msg.readUInt32BE(0) === 1 && stats.blocks === 1) {
    trapped = true;
    return void sock.send(saw.encodeAck(0), rinfo.port, rinfo.address);
  }
  if (rnd() < dropData) return;  // lost on the way
  const d = saw.decodeData(msg);
  if (d.error) return void stats.errors.push(d.error);
  if (d.seq < stats.blocks) return ack(d.seq, rinfo);  // a duplicate: acknowledge it again
  if (d.seq > stats.blocks) {
    return void stats.errors.push(`block ${d.seq} arrived while block ${stats.blocks} had not been received: ` +
      'the client moved on without an ACK for the block it was sending');
  }
  if (stats.done) return void stats.errors.push(`block ${d.seq} after the last block`);
  if (!d.last && d.payload.length !== saw.BLOCK) {
    stats.errors.push(`block ${d.seq} holds ${d.payload.length} bytes but is not the last: every block but the last holds ${saw.BLOCK}`);
  }
  parts.push(Buffer.from(d.payload));
  stats.blocks++;
  if (d.last) {
    stats.done = true;
    fs.writeFileSync(out, Buffer.concat(parts));
  }
  ack(d.seq, rinfo);
});

// The statistics, on SIGTERM, once the datagrams already queued have been read: the
// client may have sent its last block again just before the ACK came, and that copy
// counts as a retransmission. A timer, then the check phase, which comes after a poll
// phase that reads what the kernel holds.
process.on('SIGTERM', () => setTimeout(() => setImmediate(() => {
  fs.writeFileSync(`${out}.json`, JSON.stringify(stats));
  process.exit(0);
}), 50));

sock.bind(0, host, () => console.log(`port ${sock.address().port}`));
