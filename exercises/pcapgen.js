'use strict';
// pcapgen.js: the capture files lesson 05's exercises decode (not an exercise itself).
//
//   node exercises/pcapgen.js frag|handshake|ends SEED OUT.pcap
//
// Writes OUT.pcap, a classic libpcap file (the format `tcpdump -w` writes: a 24-byte
// file header, then per packet a 16-byte record header and the Ethernet frame), made
// up from SEED: different addresses, ports, sizes, MTUs, MSS values and orders for
// each seed, with unrelated packets mixed in (ARP, IPv6, plain UDP). Prints on stdout
// what a correct decoder prints for it (the exercise's check compares the two). The
// same seed always gives the same file. No root and no network needed: the packets
// are built here byte by byte, as a kernel would have put them on the wire.
//
// tcpdump reads the files too: `tcpdump -n -v -r OUT.pcap`.

const fs = require('node:fs');

const [mode, seedArg, out] = process.argv.slice(2);
if (!['frag', 'handshake', 'ends'].includes(mode) || !out) {
  console.error('usage: pcapgen.js frag|handshake|ends SEED OUT.pcap');
  process.exit(2);
}

// A small deterministic PRNG (mulberry32), so a seed is a reproducible file.
let state = Number(seedArg) >>> 0 || 1;
function rand() {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const int = (lo, hi) => lo + Math.floor(rand() * (hi - lo + 1));
const pick = (xs) => xs[int(0, xs.length - 1)];

// ---------------------------------------------------------------- packet building
const packets = [];
let clock = 1765000000 + int(0, 1e6);
let usec = 0;
function push(frame) {
  usec += int(5, 400);
  packets.push({ sec: clock + Math.floor(usec / 1e6), usec: usec % 1e6, frame });
}

function ether(type, payload) {
  const h = Buffer.alloc(14);
  Buffer.from([0x02, 0, 0, 0, 0, 2]).copy(h, 0);
  Buffer.from([0x02, 0, 0, 0, 0, 1]).copy(h, 6);
  h.writeUInt16BE(type, 12);
  return Buffer.concat([h, payload]);
}
const ipBytes = (s) => Buffer.from(s.split('.').map(Number));
function checksum(buf) {
  let sum = 0;
  for (let i = 0; i < buf.length; i += 2) sum += (buf[i] << 8) + (buf[i + 1] || 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}
// ipv4(src, dst, proto, payload, {id, offset8, mf}): offset in units of 8 bytes.
function ipv4(src, dst, proto, payload, { id = int(1, 65535), offset8 = 0, mf = false, df = false } = {}) {
  const h = Buffer.alloc(20);
  h[0] = 0x45;
  h.writeUInt16BE(20 + payload.length, 2);
  h.writeUInt16BE(id, 4);
  h.writeUInt16BE((mf ? 0x2000 : 0) | (df ? 0x4000 : 0) | offset8, 6);
  h[8] = 64;
  h[9] = proto;
  ipBytes(src).copy(h, 12);
  ipBytes(dst).copy(h, 16);
  h.writeUInt16BE(checksum(h), 10);
  return ether(0x0800, Buffer.concat([h, payload]));
}
function udp(sport, dport, data) {
  const h = Buffer.alloc(8);
  h.writeUInt16BE(sport, 0);
  h.writeUInt16BE(dport, 2);
  h.writeUInt16BE(8 + data.length, 4);
  return Buffer.concat([h, data]);
}
const F = { FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10 };
function tcp(sport, dport, seq, ack, flags, { mss = null, data = Buffer.alloc(0), win = 502 } = {}) {
  // SYNs carry options as Linux sends them: MSS, SACK permitted, timestamps, NOP, window scale.
  const opts = mss === null ? Buffer.alloc(0)
    : Buffer.from([2, 4, mss >> 8, mss & 0xff, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7]);
  const h = Buffer.alloc(20);
  h.writeUInt16BE(sport, 0);
  h.writeUInt16BE(dport, 2);
  h.writeUInt32BE(seq >>> 0, 4);
  h.writeUInt32BE(ack >>> 0, 8);
  h[12] = ((20 + opts.length) / 4) << 4;
  h[13] = flags;
  h.writeUInt16BE(win, 14);
  return Buffer.concat([h, opts, data]);
}
function noise() {
  const k = int(0, 2);
  if (k === 0) { // ARP request
    const a = Buffer.alloc(28);
    a.writeUInt16BE(1, 0); a.writeUInt16BE(0x0800, 2); a[4] = 6; a[5] = 4; a.writeUInt16BE(1, 6);
    push(ether(0x0806, a));
  } else if (k === 1) { // an IPv6 header and a few bytes: not IPv4, to be skipped
    const v6 = Buffer.alloc(48);
    v6[0] = 0x60; v6.writeUInt16BE(8, 4); v6[6] = 17; v6[7] = 64;
    push(ether(0x86dd, v6));
  } else { // a small, whole UDP datagram (no fragment: MF clear, offset 0)
    push(ipv4(`10.0.${int(0, 9)}.${int(1, 250)}`, '10.0.0.53', 17, udp(int(1024, 65000), 53, Buffer.alloc(int(10, 80)))));
  }
}

const expected = [];

// ---------------------------------------------------------------- frag
// One to three datagrams, each cut into IP fragments for a random MTU, fragments of
// two datagrams sometimes interleaved, noise between them.
function genFrag() {
  const n = int(1, 3);
  const dgrams = [];
  for (let d = 0; d < n; d++) {
    const mtu = pick([576, 1006, 1280, 1492, 1500]);
    const size = int(mtu, 65507);                 // UDP data bytes
    const per = Math.floor((mtu - 20) / 8) * 8;   // data bytes per fragment, a multiple of 8
    const whole = udp(int(1024, 65000), pick([8124, 9000, 5000]), Buffer.alloc(size, d + 1));
    const id = int(1, 65535);
    const src = `192.168.${int(0, 9)}.${int(1, 250)}`;
    const frags = [];
    for (let off = 0; off < whole.length; off += per) {
      const piece = whole.subarray(off, Math.min(off + per, whole.length));
      frags.push(ipv4(src, '192.168.1.2', 17, piece, { id, offset8: off / 8, mf: off + per < whole.length }));
    }
    dgrams.push({ id, frags, offsets: frags.map((_, k) => k * per), bytes: whole.length });
  }
  // Interleave: take the next fragment of a random datagram that has some left.
  const left = dgrams.map((g) => [...g.frags]);
  const order = [];  // the datagrams in the order their first fragment appears
  noise();
  while (left.some((l) => l.length)) {
    const k = pick(left.map((l, i) => (l.length ? i : -1)).filter((i) => i >= 0));
    if (!order.includes(dgrams[k])) order.push(dgrams[k]);
    push(left[k].shift());
    if (rand() < 0.1) noise();
  }
  noise();
  for (const g of order) {
    expected.push(`id ${g.id}: ${g.frags.length} fragments, ${g.bytes} bytes, offsets ${g.offsets.join(',')}`);
  }
}

// ---------------------------------------------------------------- handshake, ends
// Two to four TCP connections from different clients to a server, their packets
// interleaved: handshake (SYN with the client's MSS, SYN+ACK with the server's),
// some data and ACKs, then a FIN exchange, an RST from either side, or nothing yet.
// One more SYN goes to a closed port and gets RST+ACK: no handshake.
function genConnections() {
  const server = `10.1.${int(0, 9)}.${int(1, 250)}`;
  const conns = [];
  const n = int(2, 4);
  for (let c = 0; c < n; c++) {
    conns.push({
      client: `10.2.${int(0, 9)}.${int(1, 250)}`,
      cport: int(32768, 60999),
      sport: pick([8124, 8124, 80, 5000]),
      cmss: pick([1460, 1448, 1400, 536, 8960, 1360]),
      smss: pick([1460, 1400, 1380, 536, 1220]),
      end: pick(['fin-client', 'fin-server', 'rst-client', 'rst-server', 'open']),
      cseq: int(0, 0xffffffff), sseq: int(0, 0xffffffff),
    });
  }
  const steps = conns.map((k) => connSteps(server, k));
  // The refused SYN.
  const rc = { client: `10.2.${int(0, 9)}.${int(1, 250)}`, cport: int(32768, 60999), sport: 9, cseq: int(0, 0xffffffff) };
  steps.push([
    () => push(ipv4(rc.client, server, 6, tcp(rc.cport, 9, rc.cseq, 0, F.SYN, { mss: 1460 }))),
    () => push(ipv4(server, rc.client, 6, tcp(9, rc.cport, 0, rc.cseq + 1, F.RST | F.ACK))),
  ]);
  noise();
  while (steps.some((s) => s.length)) {
    const k = pick(steps.map((s, i) => (s.length ? i : -1)).filter((i) => i >= 0));
    steps[k].shift()();
    if (rand() < 0.1) noise();
  }
  const who = (k) => `${k.client}:${k.cport} -> ${server}:${k.sport}`;
  if (mode === 'handshake') {
    // In the order the handshakes complete (the client's ACK), which the steps above
    // interleave; recorded as they are pushed (see connSteps).
    for (const k of doneOrder) expected.push(`handshake ${who(k)} mss ${k.cmss}/${k.smss}`);
  } else {
    for (const k of synOrder) {
      const how = k.end === 'open' ? 'still open'
        : `${k.end.startsWith('fin') ? 'FIN' : 'RST'} from ${k.end.endsWith('client') ? 'client' : 'server'}`;
      expected.push(`${who(k)}: ${how}`);
    }
  }
}
const doneOrder = [];
const synOrder = [];
function connSteps(server, k) {
  const c2s = (seq, ack, flags, opt) => push(ipv4(k.client, server, 6, tcp(k.cport, k.sport, seq, ack, flags, opt), { df: true }));
  const s2c = (seq, ack, flags, opt) => push(ipv4(server, k.client, 6, tcp(k.sport, k.cport, seq, ack, flags, opt), { df: true }));
  let c = k.cseq, s = k.sseq;
  const steps = [
    () => { c2s(c, 0, F.SYN, { mss: k.cmss }); synOrder.push(k); },
    () => s2c(s, c + 1, F.SYN | F.ACK, { mss: k.smss }),
    () => { c += 1; s += 1; c2s(c, s, F.ACK); doneOrder.push(k); },
  ];
  for (let i = int(0, 3); i > 0; i--) {
    const len = int(1, 1400);
    steps.push(() => { c2s(c, s, F.PSH | F.ACK, { data: Buffer.alloc(len, 0x61) }); c += len; });
    steps.push(() => s2c(s, c, F.ACK));
  }
  if (k.end === 'fin-client' || k.end === 'fin-server') {
    const [first, second] = k.end === 'fin-client' ? [c2s, s2c] : [s2c, c2s];
    const mine = k.end === 'fin-client';
    steps.push(() => (mine ? first(c, s, F.FIN | F.ACK) : first(s, c, F.FIN | F.ACK)));
    steps.push(() => (mine ? second(s, c + 1, F.FIN | F.ACK) : second(c, s + 1, F.FIN | F.ACK)));
    steps.push(() => (mine ? first(c + 1, s + 1, F.ACK) : first(s + 1, c + 1, F.ACK)));
  } else if (k.end === 'rst-client') {
    steps.push(() => c2s(c, s, F.RST | F.ACK));
  } else if (k.end === 'rst-server') {
    steps.push(() => s2c(s, c, F.RST | F.ACK));
  }
  return steps;
}

if (mode === 'frag') genFrag(); else genConnections();

// ---------------------------------------------------------------- the file
const head = Buffer.alloc(24);
head.writeUInt32LE(0xa1b2c3d4, 0);
head.writeUInt16LE(2, 4);
head.writeUInt16LE(4, 6);
head.writeUInt32LE(65535, 16);
head.writeUInt32LE(1, 20); // LINKTYPE_ETHERNET
const parts = [head];
for (const p of packets) {
  const r = Buffer.alloc(16);
  r.writeUInt32LE(p.sec, 0);
  r.writeUInt32LE(p.usec, 4);
  r.writeUInt32LE(p.frame.length, 8);
  r.writeUInt32LE(p.frame.length, 12);
  parts.push(r, p.frame);
}
fs.writeFileSync(out, Buffer.concat(parts));
for (const line of expected) console.log(line);
