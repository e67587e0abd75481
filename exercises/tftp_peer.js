'use strict';
// tftp_peer.js -- a small TFTP client in Node for the checks of the lesson 07 exercises
// (07_netascii, 07_duplicate_ack, 07_windowsize): it plays the other side of the
// student's server and reports, as one JSON line on stdout, what it saw on the wire.
//
//   node exercises/tftp_peer.js request PORT MODE FILENAME
//       one RRQ; prints {op, code, message, sameSocket, raw} of the first answer
//   node exercises/tftp_peer.js get PORT FILENAME OUT [--windowsize N] [--dup-acks]
//                               [--drop-acks P] [--drop-data P] [--seed S] [--limit SECONDS]
//       a whole get (octet; windowsize only if asked), written to OUT; prints
//       {ok, error, blocks, dataPackets, acksSent, maxBurst, oack, seed}
//       --dup-acks: every ACK is sent twice (what made atftpd send 17,612 DATA for 101
//       blocks: the sorcerer's apprentice); --drop-acks/--drop-data: seeded losses.
// The client retransmits its last ACK after 300 ms of silence and gives up after 20 s
// (--limit).

const dgram = require('node:dgram');
const fs = require('node:fs');

function rng(seed) {  // mulberry32: the same seed, the same losses
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function rrq(filename, mode, options = {}) {
  const parts = [Buffer.from([0, 1]), Buffer.from(filename + '\0' + mode + '\0')];
  for (const [k, v] of Object.entries(options)) parts.push(Buffer.from(`${k}\0${v}\0`));
  return Buffer.concat(parts);
}
const ack = (n) => Buffer.from([0, 4, (n >> 8) & 0xff, n & 0xff]);

function decode(msg) {
  const op = msg.length >= 2 ? msg.readUInt16BE(0) : -1;
  const out = { op, raw: msg.toString('hex').slice(0, 200) };
  if (op === 5 && msg.length >= 4) {
    out.code = msg.readUInt16BE(2);
    const nul = msg.indexOf(0, 4);
    out.message = msg.subarray(4, nul < 0 ? msg.length : nul).toString('latin1');
    out.terminated = nul === msg.length - 1;
  } else if ((op === 3 || op === 4) && msg.length >= 4) {
    out.block = msg.readUInt16BE(2);
    out.data = msg.subarray(4);
  } else if (op === 6) {
    const f = msg.subarray(2).toString('latin1').split('\0');
    out.options = {};
    for (let i = 0; i + 1 < f.length; i += 2) out.options[f[i].toLowerCase()] = f[i + 1];
  }
  return out;
}

const [cmd, portText, ...rest] = process.argv.slice(2);
const port = Number(portText);
const sock = dgram.createSocket('udp4');
// One JSON line, then exit: 100 ms later, so that the final ACK, still queued in
// the socket (sends are asynchronous), leaves before the process ends.
const finish = (result) => { console.log(JSON.stringify(result)); setTimeout(() => process.exit(0), 100); };
const limitAt = process.argv.indexOf('--limit');
const limitMs = limitAt > 0 ? Number(process.argv[limitAt + 1]) * 1000 : cmd === 'request' ? 3000 : 20000;
const giveUp = setTimeout(() => finish({ ok: false, error: 'no end within the time limit' }), limitMs);

if (cmd === 'request') {
  const [mode, filename] = rest;
  sock.on('message', (msg, rinfo) => {
    clearTimeout(giveUp);
    const d = decode(msg);
    delete d.data;
    finish({ ...d, fromPort: rinfo.port, serverPort: port });
  });
  sock.send(rrq(filename, mode), port, '127.0.0.1');
} else if (cmd === 'get') {
  const [filename, out, ...flags] = rest;
  const flag = (name) => { const i = flags.indexOf(name); return i < 0 ? undefined : flags[i + 1]; };
  let windowsize = Number(flag('--windowsize') || 1);
  const dupAcks = flags.includes('--dup-acks');
  const seed = Number(flag('--seed') || Math.floor(Math.random() * 1e9));
  const rand = rng(seed);
  const dropAcks = Number(flag('--drop-acks') || 0);
  const dropData = Number(flag('--drop-data') || 0);
  const chunks = [];
  let tid = null, expected = 1, blocks = 0, dataPackets = 0, acksSent = 0;
  let burst = 0, maxBurst = 0, inWindow = 0, last = null, timer = null, oack = null;
  const send = (buf, drop) => {
    if (drop && rand() < drop) return;
    sock.send(buf, tid ?? port, '127.0.0.1');
    if (buf.readUInt16BE(0) === 4) {
      acksSent++;
      burst = 0;
      if (dupAcks) sock.send(buf, tid ?? port, '127.0.0.1');
    }
  };
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => { if (last) send(last, 0); arm(); }, 300);
  };
  const done = (result) => {
    clearTimeout(timer);
    clearTimeout(giveUp);
    fs.writeFileSync(out, Buffer.concat(chunks));
    finish({ blocks, dataPackets, acksSent, maxBurst, oack, seed, ...result });
  };
  sock.on('message', (msg, rinfo) => {
    if (tid === null) tid = rinfo.port;
    if (rinfo.port !== tid) return;
    const d = decode(msg);
    if (d.op === 5) return done({ ok: false, error: `ERROR ${d.code}: ${d.message}` });
    if (d.op === 6) {
      oack = d.options;
      last = ack(0);
      send(last, 0);
      return arm();
    }
    if (d.op !== 3) return done({ ok: false, error: `unexpected packet ${d.raw}` });
    if (oack === null) windowsize = 1;  // DATA without an OACK: the options were declined
    dataPackets++;
    maxBurst = Math.max(maxBurst, ++burst);
    if (d.block !== (expected & 0xffff)) {  // a duplicate or a gap: say where we are
      last = ack((expected - 1) & 0xffff);
      send(last, 0);
      inWindow = 0;
      return arm();
    }
    if (rand() < dropData) return;  // as if this DATA were lost
    chunks.push(Buffer.from(d.data));
    blocks++;
    expected++;
    const final = d.data.length < 512;
    if (final || ++inWindow >= windowsize) {
      inWindow = 0;
      last = ack(d.block);
      send(last, final ? 0 : dropAcks);
    }
    if (final) return done({ ok: true });
    arm();
  });
  send(rrq(filename, 'octet', windowsize > 1 ? { windowsize } : {}), 0);
} else {
  console.error('usage: tftp_peer.js request|get ...');
  process.exit(2);
}
