'use strict';
// stop_and_wait.js -- the stop-and-wait protocol of exercises 03.5 (03_reliable_receiver)
// and 04.5 (04_stop_and_wait), for the Node peers their checks run against the student's
// program (04_stop_and_wait/receiver.js, 03_reliable_receiver/sender.js). Not run by
// itself. The protocol, with a byte-level example, is in exercises/README.md:
//
//   DATA = sequence number (4 bytes, big-endian, from 0) + flag (1 byte: 1 = last block)
//          + payload (at most 1,024 bytes; every block but the last holds exactly 1,024)
//   ACK  = the sequence number of the DATA it acknowledges (4 bytes, big-endian)
//
// And the loss the checks inject: a seeded generator, so that a failing run can be
// repeated with the seed its FAIL line prints.

const BLOCK = 1024;

// The blocks of a file: ceil(n / 1024) of them, and one empty last block for an empty file.
function blocks(file) {
  const out = [];
  for (let off = 0; off < file.length || out.length === 0; off += BLOCK) {
    out.push(file.subarray(off, Math.min(off + BLOCK, file.length)));
  }
  return out;
}

function encodeData(seq, last, payload) {
  const b = Buffer.alloc(5 + payload.length);
  b.writeUInt32BE(seq, 0);
  b[4] = last ? 1 : 0;
  payload.copy(b, 5);
  return b;
}

// -> { seq, last, payload } or { error }
function decodeData(msg) {
  if (msg.length < 5) return { error: `a DATA datagram of ${msg.length} bytes (at least 5: sequence number and flag)` };
  if (msg.length > 5 + BLOCK) return { error: `a DATA datagram of ${msg.length} bytes: the payload is at most ${BLOCK} bytes` };
  if (msg[4] > 1) return { error: `flag byte ${msg[4]} (0, or 1 for the last block)` };
  return { seq: msg.readUInt32BE(0), last: msg[4] === 1, payload: msg.subarray(5) };
}

function encodeAck(seq) {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(seq, 0);
  return b;
}

// -> the sequence number, or null when the datagram is not 4 bytes
function decodeAck(msg) {
  return msg.length === 4 ? msg.readUInt32BE(0) : null;
}

// mulberry32: a small seeded generator of floats in [0, 1).
function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

module.exports = { BLOCK, blocks, encodeData, decodeData, encodeAck, decodeAck, random };
