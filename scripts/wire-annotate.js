'use strict';
// wire-annotate.js: lesson 05's annotated captures (scripts/wire.sh calls it).
//
//   node scripts/wire-annotate.js tcp|udp CAPTURE.txt [LABEL=PROGRAM.log ...]
//   node scripts/wire-annotate.js frag CAPTURE.txt
//
// CAPTURE.txt is `tcpdump -r FILE.pcap -n -tt` (with -v for frag): one packet per
// line, its time in seconds first. Each PROGRAM.log is a program's stdout and stderr
// (KIT_TRACE=1 lines included) stamped by scripts/wire.sh with the same clock.
// tcp/udp: packets and the programs' events merged in time order, each packet with a
// note saying what it is (handshake, data, ACK, FIN, RST, datagram, ICMP), times in
// milliseconds from the first line. frag: the IP fragments of each datagram: how many,
// their offsets and lengths.

const fs = require('node:fs');

const [mode, capFile, ...logs] = process.argv.slice(2);
if (!['tcp', 'udp', 'frag'].includes(mode) || !capFile) {
  console.error('usage: wire-annotate.js tcp|udp|frag CAPTURE.txt [LABEL=LOG ...]');
  process.exit(2);
}
const capture = fs.readFileSync(capFile, 'utf8').split('\n').filter(Boolean);

if (mode === 'frag') {
  frag();
} else {
  merged();
}

// ---------------------------------------------------------------- tcp, udp
function merged() {
  const rows = [];
  let server = null;  // "addr.port" of the server: the one the first packet goes to
  const seen = { synack: false, handshakeDone: false };
  for (const line of capture) {
    const m = /^(\d+\.\d+) IP (\S+) > (\S+?):? (.*)$/.exec(line);
    if (!m) continue;
    const [, t, src, dst, rest] = m;
    if (!server) server = dst;
    const who = (a) => (a.startsWith(server.replace(/\.\d+$/, '')) ? 'b' : 'a');
    const text = `${who(src)} > ${who(dst)}  ${shorten(rest)}`;
    rows.push({ t: Number(t), who: 'wire', text, note: note(rest, who(src) === 'a' ? 'client' : 'server', seen) });
  }
  for (const spec of logs) {
    const eq = spec.indexOf('=');
    const label = spec.slice(0, eq);
    for (const line of fs.readFileSync(spec.slice(eq + 1), 'utf8').split('\n')) {
      const m = /^(\d+\.\d+) (.*)$/.exec(line);
      if (!m || !interesting(m[2])) continue;
      rows.push({ t: Number(m[1]), who: label, text: m[2].replace(/^\[trace\] /, '') });
    }
  }
  // Stable sort by time: a program's lines keep their order.
  rows.forEach((r, i) => { r.i = i; });
  rows.sort((x, y) => x.t - y.t || x.i - y.i);
  const t0 = rows.length ? rows[0].t : 0;
  console.log('    ms  who     what (a = 10.55.0.1, the client; b = 10.55.0.2, the server)');
  for (const r of rows) {
    const ms = ((r.t - t0) * 1000).toFixed(3).padStart(8);
    if (r.who === 'wire') {
      console.log(`${ms}  wire    ${r.text}`);
      if (r.note) console.log(`${' '.repeat(18)}^ ${r.note}`);
    } else {
      console.log(`${ms}  ${r.who.padEnd(6)}  ${r.who === 'wire' ? '' : '* '}${r.text}`);
    }
  }
}

// Keep the program's own lines and the trace lines that match a packet: the events and
// the system calls that make packets. Leave out the loop's phases and polls.
function interesting(text) {
  if (!text.startsWith('[trace]')) return text.trim() !== '';
  return /emit \S+ '(connect|connection|data|end|finish|close|message|error)'|shutdown|accept4|connect\(|connecting|sendto|sendmsg|send\(|bound|listening on/.test(text);
}

// tcpdump's TCP options without the timestamps and padding, which say nothing here.
function shorten(rest) {
  return rest
    .replace(/options \[([^\]]*)\]/, (_, o) => {
      const kept = o.split(',').filter((x) => /^(mss|wscale|sackOK)/.test(x));
      return kept.length ? `options [${kept.join(',')}]` : '';
    })
    .replace(/\s+,/g, ',').replace(/,\s*,/g, ',').replace(/\s+/g, ' ').trim();
}

function note(rest, from, seen) {
  let m = /ICMP \S+ (udp|tcp) port (\d+) unreachable/.exec(rest);
  if (m) return `ICMP port unreachable: nobody listens on ${m[1]} port ${m[2]} there; b's kernel says so, in one packet`;
  m = /^UDP, length (\d+)/.exec(rest);
  if (m) return `one datagram, ${m[1]} byte${m[1] === '1' ? '' : 's'} of data: no handshake before it, no ACK after it`;
  m = /Flags \[([^\]]*)\]/.exec(rest);
  if (!m) return '';
  const flags = m[1];
  const num = (re) => { const x = re.exec(rest); return x ? Number(x[1]) : null; };
  const len = num(/length (\d+)/) || 0;
  const win = num(/win (\d+)/);
  const mss = num(/mss (\d+)/);
  const ack = num(/ack (\d+)/);
  const ws = num(/wscale (\d+)/);
  seen.scale ||= {};
  seen.fin ||= {};
  // After the handshake, the window field counts units of 2^wscale bytes (RFC 7323).
  const bytes = (w) => (seen.scale[from] ? `${w} x ${2 ** seen.scale[from]} = ${w * 2 ** seen.scale[from]} bytes` : `${w} bytes`);
  if (flags === 'S' || flags === 'S.') {
    if (ws !== null) seen.scale[from] = ws;
    if (flags === 'S.') seen.synack = true;
    return `handshake ${flags === 'S' ? '1/3' : '2/3'}: the ${from}'s SYN${flags === 'S.' ? '+ACK' : ''}; ` +
      `MSS ${mss}${mss === 1460 ? ' (1500 - 20 IP - 20 TCP)' : ''}, window ${win} bytes` +
      (ws !== null ? `, scale 2^${ws} from now on` : '');
  }
  if (flags.includes('R')) return `RST from the ${from}: the connection is torn down at once, no FIN, nothing more`;
  const other = from === 'client' ? 'server' : 'client';
  const acksFin = seen.fin[other] !== undefined && ack === seen.fin[other] + 1 ? `; ACKs the ${other}'s FIN` : '';
  if (flags.includes('F')) {
    seen.fin[from] = num(/seq (\d+)/);
    return `FIN from the ${from}: "no more data from me"${len ? ` (with the last ${len} bytes)` : ''}${acksFin}`;
  }
  if (len > 0) return `data: ${len} byte${len === 1 ? '' : 's'} from the ${from}${flags.includes('P') ? ' (PSH: the sender has nothing more queued now)' : ''}`;
  if (seen.synack && !seen.handshakeDone) { seen.handshakeDone = true; return `handshake 3/3: the ${from}'s ACK: connected`; }
  if (acksFin) return `ACK from the ${from}${acksFin}: the connection is closed both ways`;
  return `ACK from the ${from}: has the first ${ack - 1} byte${ack === 2 ? '' : 's'}; room for ${bytes(win)} more`;
}

// ---------------------------------------------------------------- frag
function frag() {
  // -v prints each packet's IP header on the first line and its transport on the second.
  const frags = [];
  for (let i = 0; i < capture.length; i++) {
    const m = /^(\d+\.\d+) IP \(.*?id (\d+), offset (\d+), flags \[([^\]]*)\], proto (\w+) .*?length (\d+)\)/.exec(capture[i]);
    if (!m) continue;
    const next = capture[i + 1] || '';
    frags.push({ t: Number(m[1]), id: m[2], offset: Number(m[3]), flags: m[4], proto: m[5], length: Number(m[6]), next: next.trim() });
  }
  const byId = new Map();
  for (const f of frags) {
    if (!byId.has(f.id)) byId.set(f.id, []);
    byId.get(f.id).push(f);
  }
  for (const [id, list] of byId) {
    const t0 = list[0].t;
    const data = list.reduce((s, f) => s + f.length - 20, 0);
    console.log(`datagram IP id ${id}: ${list.length} packets on the wire (IP fragments), ${data} bytes after their IP headers`);
    console.log('   #      ms  offset  flags  IP length  what');
    list.forEach((f, k) => {
      const show = list.length <= 8 || k < 3 || k >= list.length - 2;
      if (!show) {
        if (k === 3) console.log(`   ... ${list.length - 5} more fragments, each 1480 bytes further on ...`);
        return;
      }
      const what = f.offset === 0
        ? `first: the IP header, then the UDP header (8 bytes: ${f.next.replace(/^.*?: /, '')}), then data`
        : f.flags.includes('+') ? 'middle: data only, no UDP header' : 'last: MF flag off, the end of the datagram';
      console.log(`${String(k + 1).padStart(4)} ${((f.t - t0) * 1000).toFixed(3).padStart(7)}  ${String(f.offset).padStart(6)}  ${(f.flags.includes('+') ? 'MF' : '--').padEnd(5)}  ${String(f.length).padStart(9)}  ${what}`);
    });
    const offs = list.map((f) => f.offset);
    const regular = offs.every((o, k) => o === k * 1480);
    console.log(`offsets: ${offs.slice(0, 4).join(', ')}, ..., ${offs[offs.length - 1]}${regular ? ' (each 1480 = 1500 - 20 bytes of IP header further on)' : ''}`);
    console.log(`fragments: ${list.length} = ceil((65507 + 8) / 1480); the receiver's kernel joins them again before UDP sees the datagram`);
  }
}
