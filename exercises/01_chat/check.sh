#!/usr/bin/env bash
# check.sh -- exercise 01_chat: a smallchat server on lesson 01's code.
#
#   bash exercises/01_chat/check.sh [starter|solution|wrong_*]   (or: make check-exercise E=01_chat)
#
# Starts the exercise's server on a free port, then a Node driver with four clients,
# A, B, C and D, each step waiting for the one before it to be seen:
#   1. A, B and C connect: each is welcomed ("bem-vindo, voce e <id>", ids read from
#      there, not assumed) and the ones already there hear "* <id> entrou";
#   2. A sends a random line (with accents) in 3 or 4 pieces, 60 ms apart, cut at
#      random bytes (maybe inside a UTF-8 character): B and C receive "<A>> line" whole,
#      once; A receives nothing back;
#   3. B sends two random lines in one write (the second ending in "\r\n"): A and C
#      receive both, in order;
#   4. C sends half a line, then resets its connection (RST): A and B hear
#      "* <C> saiu", and never the half line; the server must survive;
#   5. D connects (a new id) and A sends one more line: B and D receive it.
# Then every client's lines must be exactly what the protocol gives (no extra line,
# nothing twice), and the server must still be running.
source "$(dirname "$0")/../lib.sh"
ex_init 01_chat "$@"

ex_start_server server tcp "escutando porta {PORT}" "$EX_BIN" --host 127.0.0.1

cat > driver.js <<'JS'
const net = require('net');
const crypto = require('crypto');
const port = Number(process.argv[2]);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const all = [];
const words = ['ação', 'olá', 'pão', 'vovô', 'coração', 'maçã', 'socket', 'buffer', 'loop'];
const rand = (n) => crypto.randomInt(n);
const sentence = () => Array.from({ length: 3 + rand(4) }, () =>
  rand(2) ? words[rand(words.length)] : crypto.randomBytes(3).toString('hex')).join(' ');

let L = {}; let ids = {};
function report(reason) {
  console.log(`FAIL: ${reason}`);
  for (const c of all) console.log(`  ${c.name} (id ${c.id}) received: ${JSON.stringify(c.lines)}`);
  process.exit(0);
}
// Specific reasons first, from what the clients received so far.
function diagnose() {
  for (const c of all) {
    for (const [key, text] of Object.entries(L)) {
      const from = key[0];
      if (c.name === from && c.lines.includes(`${ids[from]}> ${text}`))
        report(`${c.name} received its own line back ("${ids[from]}> ${text}"): a line goes to every OTHER client`);
    }
    for (const line of c.lines) {
      if (line.includes('meia linha')) report(`${c.name} received C's unfinished line ("${line}"): only complete lines (ended by \\n) are sent`);
      const m = /^(\d+)> (.*)$/.exec(line);
      if (m && !Object.values(L).includes(m[2]))
        report(`${c.name} received "${line}", which is not a line that was sent: a line cut across several writes arrives in several 'data' events; send it once, whole, when its \\n has arrived`);
    }
  }
}
async function waitFor(c, line, what, ms = 3000) {
  const t0 = Date.now();
  while (!c.lines.includes(line)) {
    if (Date.now() - t0 > ms) { diagnose(); report(`${c.name} did not receive "${line}" (${what}) within ${ms} ms`); }
    if (c.closed && !c.lines.includes(line)) { diagnose(); report(`${c.name}'s connection was closed before it received "${line}" (${what}): did the server end?`); }
    await sleep(10);
  }
}
async function connect(name) {
  const c = { name, lines: [], buf: Buffer.alloc(0), closed: false };
  all.push(c);
  await new Promise((resolve) => {
    c.sock = net.connect(port, '127.0.0.1', resolve);
    c.sock.on('error', (e) => { c.error = e.code; if (!c.reset) report(`${name}: ${e.message}`); });
  });
  c.sock.setNoDelay(true);
  c.sock.on('data', (d) => {
    c.buf = Buffer.concat([c.buf, d]);
    let i;
    while ((i = c.buf.indexOf(10)) >= 0) { c.lines.push(c.buf.subarray(0, i).toString('utf8')); c.buf = c.buf.subarray(i + 1); }
  });
  c.sock.on('close', () => { c.closed = true; });
  const t0 = Date.now();
  while (c.lines.length === 0) {
    if (Date.now() - t0 > 3000) report(`${name} connected but received no welcome line within 3 s ("bem-vindo, voce e <id>")`);
    await sleep(10);
  }
  const m = /^bem-vindo, voce e (\d+)$/.exec(c.lines[0]);
  if (!m) report(`the first line a client receives should be "bem-vindo, voce e <id>", ${name} got "${c.lines[0]}"`);
  c.id = ids[name] = Number(m[1]);
  if (all.filter((o) => o.id === c.id).length > 1) report(`two clients got the same id ${c.id}`);
  return c;
}
async function joined(c, others) { for (const o of others) await waitFor(o, `* ${c.id} entrou`, `${c.name} joined`); }

(async () => {
  const A = await connect('A');
  const B = await connect('B'); await joined(B, [A]);
  const C = await connect('C'); await joined(C, [A, B]);

  // 2. A's line, cut at random bytes.
  L.A1 = sentence();
  const bytes = Buffer.from(L.A1 + '\n');
  const cuts = [...new Set(Array.from({ length: 2 + rand(2) }, () => 1 + rand(bytes.length - 1)))].sort((x, y) => x - y);
  let from = 0;
  for (const cut of [...cuts, bytes.length]) { A.sock.write(bytes.subarray(from, cut)); from = cut; await sleep(60); }
  await waitFor(B, `${A.id}> ${L.A1}`, "A's line sent in pieces");
  await waitFor(C, `${A.id}> ${L.A1}`, "A's line sent in pieces");

  // 3. Two lines in one write.
  L.B1 = sentence(); L.B2 = sentence();
  B.sock.write(`${L.B1}\n${L.B2}\r\n`);
  for (const c of [A, C]) { await waitFor(c, `${B.id}> ${L.B1}`, "B's first line"); await waitFor(c, `${B.id}> ${L.B2}`, "B's second line"); }

  // 4. C: half a line, then RST.
  C.sock.write('meia linha ' + crypto.randomBytes(4).toString('hex'));
  await sleep(100);
  C.reset = true;
  C.sock.resetAndDestroy();
  for (const c of [A, B]) await waitFor(c, `* ${C.id} saiu`, 'C reset its connection');

  // 5. A newcomer, one more line.
  const D = await connect('D'); await joined(D, [A, B]);
  L.A2 = sentence();
  A.sock.write(L.A2 + '\n');
  for (const c of [B, D]) await waitFor(c, `${A.id}> ${L.A2}`, "A's last line");
  await sleep(300);
  diagnose();

  const want = {
    A: [`bem-vindo, voce e ${A.id}`, `* ${B.id} entrou`, `* ${C.id} entrou`, `${B.id}> ${L.B1}`, `${B.id}> ${L.B2}`, `* ${C.id} saiu`, `* ${D.id} entrou`],
    B: [`bem-vindo, voce e ${B.id}`, `* ${C.id} entrou`, `${A.id}> ${L.A1}`, `* ${C.id} saiu`, `* ${D.id} entrou`, `${A.id}> ${L.A2}`],
    C: [`bem-vindo, voce e ${C.id}`, `${A.id}> ${L.A1}`, `${B.id}> ${L.B1}`, `${B.id}> ${L.B2}`],
    D: [`bem-vindo, voce e ${D.id}`, `${A.id}> ${L.A2}`],
  };
  for (const c of all) {
    if (JSON.stringify(c.lines) !== JSON.stringify(want[c.name]))
      report(`${c.name} should have received exactly ${JSON.stringify(want[c.name])}`);
  }
  console.log('OK');
  for (const c of [A, B, D]) c.sock.end();
  await sleep(100);
  process.exit(0);
})();
JS

ex_start driver node driver.js "$EX_PORT"
ex_wait_exit "$EX_LAST_PID" 30 || ex_fail "the driver did not finish within 30 s"
verdict=$(grep -m1 -E '^(OK|FAIL: )' "$EX_TMP/driver.out")
[[ -n $verdict ]] || ex_fail "the driver failed: $(head -c 400 "$EX_TMP/driver.err")"
[[ $verdict == OK ]] || ex_fail "${verdict#FAIL: }"
sleep 0.2
ex_alive "$EX_SERVER_PID" || ex_fail "the server ended (a client's reset must not kill it: an 'error' listener per connection)"

ex_pass "4 clients: lines whole and only to the others, joins and leaves announced, a reset survived"
