'use strict';
// tftp.test.js: lesson 07's TFTP server and client against the real TFTP tools of
// Debian 12, and against hostile or broken peers.
//
// Runs build/lessons/07_tftp_server and 07_tftp_client (`make` first) on loopback, each
// server on a free UDP port in its own temporary directory, with:
//   - tftp (tftp-hpa; `-m binary`: its default mode is netascii), atftp (with blksize,
//     windowsize and tsize options) and curl (`tftp://`, always with --connect-timeout)
//     as clients of the kit's server, for get and put;
//   - in.tftpd (tftpd-hpa) and atftpd, in the foreground, as servers: both unpacked by
//     scripts/deps.sh into build/peers/ (installed, either would start a TFTP daemon on
//     port 69 for the whole machine, and the two conflict as packages)
//     for the kit's client;
//   - raw datagrams from this file for what no polite client sends: malformed packets,
//     a stray TID, duplicated ACKs, an upload cut short;
//   - random loss (5% and 20%) in a network namespace, for the kit's server and client.
// Files of 0 B, 1 B, 512 B, 512 x N and over 32 MiB (block numbers roll over past
// 65,535) must arrive byte-exact. The tools' exit codes are not trusted (tftp-hpa exits
// 0 after an error): the files are compared. Every process is reaped (after(killAll)).

const { test, describe, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const dgram = require('node:dgram');
const fs = require('node:fs');
const path = require('node:path');
const { ROOT, requireBuilt, freeUdpPort, deadUdpPort, workDir, spawnProc, killAll, run, startServer, until, sameFileBytes: sameBytes, tmpfsWrap } = require('./helpers');
const { impairedTransfers } = require('./tftp-impair');

const SERVER = path.join(ROOT, 'build', 'lessons', '07_tftp_server');
const CLIENT = path.join(ROOT, 'build', 'lessons', '07_tftp_client');
// The kit's own tree, also when scripts/check-integration.sh runs this file from a
// shadow copy (make check: ROOT/build/lessons is then the ASan+UBSan build, and
// ROOT/lessons a link to the real lessons/).
const KIT = path.dirname(fs.realpathSync(path.join(ROOT, 'lessons')));
const PEER = path.join(KIT, 'exercises', 'tftp_peer.js');
const ATFTPD = path.join(KIT, 'build', 'peers', 'atftpd', 'usr', 'sbin', 'atftpd');
const IN_TFTPD = path.join(KIT, 'build', 'peers', 'tftpd-hpa', 'usr', 'sbin', 'in.tftpd');
// Each server switches to the user it is told to run as: the one running the test
// (root or a student's own account), so that no privilege is needed or taken.
const me = require('node:os').userInfo().username;
const myGroup = require('node:child_process').execFileSync('id', ['-gn'], { encoding: 'utf8' }).trim();

after(killAll);

// A file of `size` random bytes at dir/name; returns its path.
function randomFile(dir, name, size) {
  const p = path.join(dir, name);
  fs.writeFileSync(p, crypto.randomBytes(size));
  return p;
}

// A server may still be writing a put's last block after its final ACK (atftpd flushes
// its stdio buffer when it closes the file): wait until the size is there.
async function arrived(src, dst, what) {
  const want = fs.statSync(src).size;
  await until(() => fs.existsSync(dst) && fs.statSync(dst).size === want, 3000, `${what}: ${dst} to reach ${want} bytes`)
    .catch(() => {});
  sameBytes(src, dst, what);
}

// The kit's server on a free port in a fresh directory: { proc, port, dir, files }.
async function kitServer(extra = []) {
  const dir = workDir({ serverFiles: true, clientFiles: true });
  const files = path.join(dir, 'server_files');
  const { proc, port } = await startServer(SERVER, (p) => ['--port', String(p), '--host', '127.0.0.1', '--dir', files, ...extra], {
    cwd: dir, pickPort: freeUdpPort, ready: (p) => `TFTP server on 127.0.0.1:${p}, directory ${files}`,
  });
  return { proc, port, dir, files, client: path.join(dir, 'client_files') };
}

// One datagram to 127.0.0.1:port from a fresh socket; resolves with the first answer
// { msg, rinfo } or null after `ms`.
function exchange(port, bytes, ms = 1500) {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    const timer = setTimeout(() => { s.close(); resolve(null); }, ms);
    s.on('message', (msg, rinfo) => { clearTimeout(timer); s.close(); resolve({ msg, rinfo }); });
    s.send(bytes, port, '127.0.0.1');
  });
}
const rrq = (name, mode = 'octet', opts = []) =>
  Buffer.concat([Buffer.from([0, 1]), Buffer.from([name, mode, ...opts].map((x) => `${x}\0`).join(''), 'latin1')]);
const wrq = (name, mode = 'octet') => Buffer.concat([Buffer.from([0, 2]), Buffer.from(`${name}\0${mode}\0`)]);
const opcode = (m) => m.readUInt16BE(0);
const errorOf = (m) => ({ code: m.readUInt16BE(2), message: m.subarray(4, m.indexOf(0, 4)).toString() });

requireBuilt(SERVER, CLIENT);

describe('the kit\'s server with tftp-hpa, atftp and curl', () => {
  const SIZES = [0, 1, 512, 512 * 7, 100000];

  test('tftp-hpa gets files of 0, 1, 512, 512x7 and 100,000 bytes byte-exact', async () => {
    const s = await kitServer();
    for (const size of SIZES) {
      randomFile(s.files, `g${size}.bin`, size);
      await run('tftp', ['-m', 'binary', '127.0.0.1', String(s.port), '-c', 'get', `g${size}.bin`], { cwd: s.client });
      sameBytes(path.join(s.files, `g${size}.bin`), path.join(s.client, `g${size}.bin`), `tftp get ${size} B`);
    }
  });

  test('tftp-hpa puts files of 0, 1, 512, 512x7 and 100,000 bytes byte-exact, and no temporary file stays', async () => {
    const s = await kitServer();
    for (const size of SIZES) {
      randomFile(s.client, `p${size}.bin`, size);
      await run('tftp', ['-m', 'binary', '127.0.0.1', String(s.port), '-c', 'put', `p${size}.bin`], { cwd: s.client });
      await until(() => fs.existsSync(path.join(s.files, `p${size}.bin`)), 3000, `p${size}.bin on the server`);
      sameBytes(path.join(s.client, `p${size}.bin`), path.join(s.files, `p${size}.bin`), `tftp put ${size} B`);
    }
    assert.deepEqual(fs.readdirSync(s.files).filter((f) => f.startsWith('.')), []);
  });

  test('atftp gets and puts with blksize 1428, windowsize 8 and tsize, byte-exact', async () => {
    const s = await kitServer();
    const src = randomFile(s.files, 'a.bin', 1428 * 20 + 5);
    const opts = ['--option', 'blksize 1428', '--option', 'windowsize 8', '--option', 'tsize 0'];
    const g = await run('atftp', [...opts, '-g', '-r', 'a.bin', '-l', 'a.bin', '127.0.0.1', String(s.port)], { cwd: s.client });
    sameBytes(src, path.join(s.client, 'a.bin'), 'atftp get');
    assert.match(g.stdout + g.stderr, /windowsize = 8/, 'atftp should report the windowsize the server agreed to');
    const up = randomFile(s.client, 'b.bin', 65464 * 2);
    await run('atftp', ['--option', 'blksize 65464', '--option', 'windowsize 4', '-p', '-l', 'b.bin', '-r', 'b.bin', '127.0.0.1', String(s.port)], { cwd: s.client });
    await until(() => fs.existsSync(path.join(s.files, 'b.bin')), 3000, 'b.bin on the server');
    sameBytes(up, path.join(s.files, 'b.bin'), 'atftp put');
  });

  test('curl gets and puts over tftp:// (tsize, blksize and timeout options) byte-exact', async () => {
    const s = await kitServer();
    const src = randomFile(s.files, 'c.bin', 512 * 3 + 100);
    const url = `tftp://127.0.0.1:${s.port}`;
    await run('curl', ['-s', '--connect-timeout', '5', '-o', path.join(s.client, 'c.bin'), `${url}/c.bin`]);
    sameBytes(src, path.join(s.client, 'c.bin'), 'curl get');
    const up = randomFile(s.client, 'd.bin', 512 * 4);
    await run('curl', ['-s', '--connect-timeout', '5', '-T', up, `${url}/d.bin`]);
    await until(() => fs.existsSync(path.join(s.files, 'd.bin')), 3000, 'd.bin on the server');
    sameBytes(up, path.join(s.files, 'd.bin'), 'curl put');
  });

  test('a file over 32 MiB crosses block 65,535 (rollover) and arrives byte-exact through tftp-hpa', async () => {
    const s = await kitServer();
    const src = randomFile(s.files, 'big.bin', 33 * 1024 * 1024 + 77);
    await run('tftp', ['-m', 'binary', '127.0.0.1', String(s.port), '-c', 'get', 'big.bin'], { cwd: s.client, ms: 30000 });
    sameBytes(src, path.join(s.client, 'big.bin'), 'tftp get 33 MiB');
  });

  test('over IPv6 (--host ::1): the kit\'s client and tftp-hpa get byte-exact', async () => {
    const dir = workDir({ serverFiles: true, clientFiles: true });
    const files = path.join(dir, 'server_files');
    const src = randomFile(files, 'six.bin', 5000);
    const { proc, port } = await startServer(SERVER, (p) => ['--port', String(p), '--host', '::1', '--dir', files], {
      cwd: dir, pickPort: () => freeUdpPort('udp6'), ready: (p) => `TFTP server on ::1:${p}, directory ${files}`,
    });
    const k = await run(CLIENT, ['get', 'six.bin', path.join(dir, 'client_files', 'k.bin'), '--port', String(port), '--host', '::1']);
    assert.equal(k.code, 0, k.stderr);
    sameBytes(src, path.join(dir, 'client_files', 'k.bin'), 'kit client over IPv6');
    await run('tftp', ['-m', 'binary', '::1', String(port), '-c', 'get', 'six.bin', 'h.bin'], { cwd: path.join(dir, 'client_files') });
    sameBytes(src, path.join(dir, 'client_files', 'h.bin'), 'tftp-hpa over IPv6');
    assert.match(proc.stdout, /RRQ six\.bin from ::1:\d+: done/);
  });

  test('tftp-hpa asking netascii (its default) is refused with an ERROR that says to use octet', async () => {
    const s = await kitServer();
    randomFile(s.files, 'n.bin', 10);
    const r = await run('tftp', ['127.0.0.1', String(s.port), '-c', 'get', 'n.bin'], { cwd: s.client });
    assert.match(r.stdout + r.stderr, /netascii is not supported: use octet/);
  });
});

// in.tftpd cannot start without root: it calls setgroups(2) before it switches to the
// -u user, even when that user is the one running it. As another user these cases are
// skipped, saying so; CI runs make test as root and runs them.
const HPA_NEEDS_ROOT = process.getuid() === 0 ? false
  : 'in.tftpd must start as root (it calls setgroups(2) before switching to -u USER): run make test as root to include it';

describe('the kit\'s client against in.tftpd (tftpd-hpa) and atftpd', () => {
  async function peerServer(kind) {
    const dir = workDir({ serverFiles: true, clientFiles: true });
    const files = path.join(dir, 'server_files');
    const bin = kind === 'hpa' ? IN_TFTPD : ATFTPD;
    assert.ok(fs.existsSync(bin), `${bin} is missing: run make deps (scripts/deps.sh unpacks it)`);
    for (let attempt = 0; attempt < 5; attempt++) {
      const port = await freeUdpPort();
      const proc = kind === 'hpa'
        ? spawnProc(IN_TFTPD, ['-L', '-s', '-c', '-p', '-U', '000', '-u', me, '-a', `:${port}`, files], { name: 'in.tftpd' })
        : spawnProc(ATFTPD, ['--daemon', '--no-fork', '--bind-address', '127.0.0.1', '--port', String(port),
          '--user', me, '--group', myGroup, '--logfile', '-', files], { name: 'atftpd' });
      // Ready when something answers a request on the port (a missing file: ERROR 1).
      for (let i = 0; i < 20 && proc.alive; i++) {
        const a = await exchange(port, rrq('no-such-file'), 250);
        if (a && opcode(a.msg) === 5) return { proc, port, files, client: path.join(dir, 'client_files') };
      }
      await proc.stop();
    }
    throw new Error(`${kind} did not start`);
  }

  test('gets and puts 0, 1, 512 and 512x5 bytes from in.tftpd byte-exact', { skip: HPA_NEEDS_ROOT }, async () => {
    const s = await peerServer('hpa');
    for (const size of [0, 1, 512, 2560]) {
      const src = randomFile(s.files, `g${size}`, size);
      const g = await run(CLIENT, ['get', `g${size}`, path.join(s.client, `g${size}`), '--port', String(s.port)]);
      assert.equal(g.code, 0, g.stderr);
      sameBytes(src, path.join(s.client, `g${size}`), `get ${size} B`);
      const up = randomFile(s.client, `p${size}`, size);
      const p = await run(CLIENT, ['put', `p${size}`, up, '--port', String(s.port), '--blksize', '1024']);
      assert.equal(p.code, 0, p.stderr);
      await arrived(up, path.join(s.files, `p${size}`), `put ${size} B`);
    }
  });

  test('puts a file over 32 MiB to in.tftpd (block numbers roll over) byte-exact', { skip: HPA_NEEDS_ROOT }, async () => {
    const s = await peerServer('hpa');
    const up = randomFile(s.client, 'big', 32 * 1024 * 1024 + 512 * 3 + 9);
    const p = await run(CLIENT, ['put', 'big', up, '--port', String(s.port)], { ms: 30000 });
    assert.equal(p.code, 0, p.stderr);
    await arrived(up, path.join(s.files, 'big'), 'put 32 MiB');
  });

  test('a missing file on in.tftpd: exit status 1, the TFTP code and message, no local file left', { skip: HPA_NEEDS_ROOT }, async () => {
    const s = await peerServer('hpa');
    const local = path.join(s.client, 'missing');
    const g = await run(CLIENT, ['get', 'missing', local, '--port', String(s.port)]);
    assert.equal(g.code, 1);
    assert.match(g.stderr, /^tftp error 1: /m);
    assert.deepEqual(fs.readdirSync(s.client), []);
  });

  test('gets and puts with windowsize 8 and blksize 1428 from atftpd byte-exact', async () => {
    assert.ok(fs.existsSync(ATFTPD), `${ATFTPD} is missing: run make deps (scripts/deps.sh unpacks it)`);
    const s = await peerServer('atftpd');
    const src = randomFile(s.files, 'w.bin', 1428 * 30 + 3);
    const g = await run(CLIENT, ['get', 'w.bin', path.join(s.client, 'w.bin'), '--port', String(s.port), '--blksize', '1428', '--windowsize', '8']);
    assert.equal(g.code, 0, g.stderr);
    sameBytes(src, path.join(s.client, 'w.bin'), 'get from atftpd');
    const up = randomFile(s.client, 'u.bin', 512 * 9);
    const p = await run(CLIENT, ['put', 'u.bin', up, '--port', String(s.port), '--windowsize', '4']);
    assert.equal(p.code, 0, p.stderr);
    await arrived(up, path.join(s.files, 'u.bin'), 'put to atftpd');
  });
});

describe('the kit\'s server against broken and hostile peers', () => {
  test('malformed requests get an ERROR (or nothing) and the server keeps serving', async () => {
    const s = await kitServer();
    const src = randomFile(s.files, 'ok.bin', 700);
    const bad = [
      Buffer.from([0]),                                   // shorter than an opcode
      Buffer.from([0, 9, 1, 2]),                          // unknown opcode
      Buffer.from([0, 1, 0x61, 0x62]),                    // filename without its NUL
      Buffer.concat([Buffer.from([0, 1]), Buffer.from('ok.bin\0octet')]),  // mode without its NUL
      Buffer.from([0, 3, 0, 1, 1, 2, 3]),                 // DATA on the well-known port
      Buffer.from([0, 5, 0, 1]),                          // an ERROR: never answered
    ];
    for (const b of bad) {
      const a = await exchange(s.port, b, 300);
      if (a) assert.equal(opcode(a.msg), 5, `answer to ${b.toString('hex')} should be an ERROR`);
    }
    // Options with absurd values are declined (left out of the OACK); a repeated name is an error.
    const huge = await exchange(s.port, rrq('ok.bin', 'octet', ['blksize', '99999999999999999999', 'timeout', '-1', 'windowsize', '0']));
    assert.ok(huge && opcode(huge.msg) === 3, 'absurd option values are ignored: the transfer starts with DATA 1');
    const rep = await exchange(s.port, rrq('ok.bin', 'octet', ['blksize', '1024', 'BLKSIZE', '512']));
    assert.deepEqual(errorOf(rep.msg).code, 8);
    await run(CLIENT, ['get', 'ok.bin', path.join(s.client, 'ok.bin'), '--port', String(s.port)]);
    sameBytes(src, path.join(s.client, 'ok.bin'), 'a get after the garbage');
    assert.ok(s.proc.alive, 'the server died');
  });

  test('netascii is refused with ERROR 4 from the well-known port', async () => {
    const s = await kitServer();
    randomFile(s.files, 'x', 1);
    const a = await exchange(s.port, rrq('x', 'NetAscii'));
    assert.equal(opcode(a.msg), 5);
    assert.match(errorOf(a.msg).message, /netascii is not supported/);
  });

  test('each transfer answers from a new port (TID); a stray packet to it gets ERROR 5 and the transfer goes on', async () => {
    const s = await kitServer();
    const src = randomFile(s.files, 't.bin', 512 * 3 + 1);
    const sock = dgram.createSocket('udp4');
    const got = [];
    let tid = null;
    const finished = new Promise((resolve) => {
      sock.on('message', async (msg, rinfo) => {
        tid ??= rinfo.port;
        const block = msg.readUInt16BE(2);
        got.push(msg.subarray(4));
        if (block === 1) {
          // A stranger writes to the transfer's port: it must get ERROR 5, and we nothing.
          const a = await exchange(tid, Buffer.from([0, 4, 0, 1]));
          assert.equal(errorOf(a.msg).code, 5);
        }
        sock.send(Buffer.from([0, 4, 0, block]), rinfo.port, '127.0.0.1');
        if (msg.length - 4 < 512) resolve();
      });
    });
    sock.send(rrq('t.bin'), s.port, '127.0.0.1');
    await finished;
    sock.close();
    assert.notEqual(tid, s.port);
    assert.ok(Buffer.concat(got).equals(fs.readFileSync(src)), 'the transfer was disturbed');
  });

  test('a client that sends every ACK twice gets each block once (no sorcerer\'s apprentice)', async () => {
    const s = await kitServer();
    randomFile(s.files, 'd.bin', 512 * 100 + 10);
    const r = await run(process.execPath, [PEER, 'get', String(s.port), 'd.bin', path.join(s.client, 'd.bin'), '--dup-acks', '--limit', '10']);
    const out = JSON.parse(r.stdout);
    assert.equal(out.ok, true, r.stdout);
    assert.ok(out.dataPackets <= out.blocks + 2, `${out.dataPackets} DATA for ${out.blocks} blocks`);
    sameBytes(path.join(s.files, 'd.bin'), path.join(s.client, 'd.bin'), 'get with duplicated ACKs');
  });

  test('an upload cut short by the client leaves nothing in the directory', async () => {
    const s = await kitServer();
    const sock = dgram.createSocket('udp4');
    const tid = await new Promise((resolve) => {
      sock.once('message', (msg, rinfo) => resolve(rinfo.port));
      sock.send(wrq('cut.bin'), s.port, '127.0.0.1');
    });
    sock.send(Buffer.concat([Buffer.from([0, 3, 0, 1]), crypto.randomBytes(512)]), tid, '127.0.0.1');
    sock.send(Buffer.concat([Buffer.from([0, 5, 0, 0]), Buffer.from('user cancelled\0')]), tid, '127.0.0.1');
    await s.proc.waitFor(/WRQ cut.bin .*failed, error 0 \(user cancelled\) from the peer/);
    sock.close();
    assert.deepEqual(fs.readdirSync(s.files), []);
  });

  test('absolute paths, "..", a symlink out of the directory and an existing file are refused', async () => {
    const s = await kitServer();
    fs.symlinkSync('/etc', path.join(s.files, 'etc'));
    fs.symlinkSync('/etc/hostname', path.join(s.files, 'hn'));
    randomFile(s.files, 'exists.bin', 3);
    for (const name of ['/etc/hostname', '../x', 'a/../../x', 'etc/hostname', 'hn']) {
      const a = await exchange(s.port, rrq(name));
      assert.deepEqual(errorOf(a.msg).code, 2, `get ${name}`);
    }
    const w = await exchange(s.port, wrq('etc/evil'));
    assert.equal(errorOf(w.msg).code, 2);
    const e = await exchange(s.port, wrq('exists.bin'));
    assert.equal(errorOf(e.msg).code, 6);
  });

  test('with --overwrite an existing file is replaced', async () => {
    const s = await kitServer(['--overwrite']);
    randomFile(s.files, 'o.bin', 3);
    const up = randomFile(s.client, 'o.bin', 2000);
    const p = await run(CLIENT, ['put', 'o.bin', up, '--port', String(s.port)]);
    assert.equal(p.code, 0, p.stderr);
    sameBytes(up, path.join(s.files, 'o.bin'), 'overwritten');
  });

  test('out of descriptors (ulimit -n 8), the transfers that cannot start fail alone and the server keeps serving', async () => {
    const dir = workDir({ serverFiles: true, clientFiles: true });
    const files = path.join(dir, 'server_files');
    const src = randomFile(files, 'f.bin', 400000);
    // Under make check (UBSan), the vptr check tests whether memory is readable by
    // writing it to a pipe(2); out of descriptors that fails, and UBSan reports every
    // shared_ptr as having an "invalid vptr" (it cannot even open a suppressions file
    // then). That is the sanitizer starving, not the server: for this one test UBSan
    // reports without stopping it (no effect on the normal build).
    const env = { UBSAN_OPTIONS: `${process.env.UBSAN_OPTIONS ? `${process.env.UBSAN_OPTIONS}:` : ''}halt_on_error=0` };
    const { proc, port } = await startServer('bash', (p) => ['-c', `ulimit -n 8; exec "$0" --port ${p} --host 127.0.0.1 --dir "$1"`, SERVER, files], {
      cwd: dir, env, pickPort: freeUdpPort, ready: (p) => `TFTP server on 127.0.0.1:${p}, directory ${files}`, name: '07_tftp_server (ulimit -n 8)',
    });
    const many = [];
    for (let i = 0; i < 10; i++) many.push(run(CLIENT, ['get', 'f.bin', path.join(dir, 'client_files', `c${i}`), '--port', String(port)], { ms: 15000 }));
    await Promise.all(many);
    assert.match(proc.stdout, /EMFILE|Too many open files/, 'the limit was never reached: this test proves nothing');
    // Transfers started for repeated requests may still hold descriptors for a few
    // timeouts (their client took another TID): the server serves again once they end.
    let last;
    for (let i = 0; i < 3; i++) {
      last = await run(CLIENT, ['get', 'f.bin', path.join(dir, 'client_files', 'last'), '--port', String(port)], { ms: 15000 });
      if (last.code === 0) break;
    }
    assert.equal(last.code, 0, `${last.stderr}\nserver:\n${proc.stdout}`);
    sameBytes(src, path.join(dir, 'client_files', 'last'), 'a get after the failures');
    assert.ok(proc.alive, `the server died:\n${proc.stdout}\n${proc.stderr}`);
  });

  test('ten transfers at once all complete byte-exact, and the server sees each final ACK', async () => {
    const s = await kitServer();
    const procs = [];
    for (let i = 0; i < 10; i++) {
      randomFile(s.files, `m${i}`, 20000 + i * 1000);
      procs.push(run(CLIENT, ['get', `m${i}`, path.join(s.client, `m${i}`), '--port', String(s.port)]));
    }
    for (const p of await Promise.all(procs)) assert.equal(p.code, 0, p.stderr);
    for (let i = 0; i < 10; i++) sameBytes(path.join(s.files, `m${i}`), path.join(s.client, `m${i}`), `m${i}`);
    // The server saw each client's final ACK (it goes out before the client closes).
    await s.proc.waitFor(() => (s.proc.stdout.match(/: done, /g) || []).length === 10);
  });
});

// Loss: the kit's server and client in a network namespace of their own whose
// loopback drops a random LOSS% of the UDP datagrams, both ways, with an nftables rule
// (`numgen random`; the netem qdisc is not available on every kernel): tftp-impair.js
// builds the link, here with no duplication and no reordering. Get and put must still
// arrive byte-exact; the retransmission counts both sides print, and how many
// datagrams the link dropped, are reported as diagnostics.
//
// At 20% loss a block's exchange (DATA, then its ACK) goes through with probability
// 0.8 x 0.8 = 0.64, so all nine tries of one block (kMaxRetries = 8 retries) fail with
// probability 0.36^9, about 1e-4: over the twenty-odd exchanges of a get and a put,
// about one run in 500 gives up, as it should ("timed out after 8 retries"; CI saw
// it once). Such a run is reported and the pair is run once more; a second give-up in a
// row (about one in 250,000) or any other failure fails the test.
describe('the kit\'s server and client under random loss (a network namespace with an nftables drop rule)', () => {
  for (const [loss, size, flags] of [[5, 64 * 1024, '--blksize 1428 --windowsize 4'], [20, 8 * 1024, '--blksize 1024']]) {
    test(`${loss}% of the datagrams lost: a ${size / 1024} KiB get and put arrive byte-exact (${flags})`, async (t) => {
      let r = await impairedTransfers({ loss, dup: 0, reorder: 0, size, flags, ms: 40000 });
      if (r.code !== 0 && /timed out after \d+ retries/.test(r.stderr)) {
        t.diagnostic(`gave up once, as random loss allows (run again): ${r.stderr.trim().split('\n').pop()}`);
        r = await impairedTransfers({ loss, dup: 0, reorder: 0, size, flags, ms: 40000 });
      }
      assert.equal(r.code, 0, `stdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
      sameBytes(r.src, path.join(r.dir, 'client_files', 'f.bin'), `get under ${loss}% loss`);
      sameBytes(r.up, path.join(r.dir, 'server_files', 'up.bin'), `put under ${loss}% loss`);
      for (const line of r.notes) t.diagnostic(line);
    });
  }
});

describe('the kit\'s server and client when datagrams are also duplicated and reordered (nftables dup, a slow HTB class)', () => {
  // tftp-impair.js builds the link. Heavier mixes (20% of each, larger files and
  // windows) are in tests/stress/tftp.test.js.
  test('5% lost, 10% duplicated, 10% reordered: a 64 KiB get and put arrive byte-exact (--blksize 1428 --windowsize 8)', async (t) => {
    const r = await impairedTransfers({ loss: 5, dup: 10, reorder: 10, size: 64 * 1024, flags: '--blksize 1428 --windowsize 8' });
    assert.equal(r.code, 0, `stdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
    sameBytes(r.src, path.join(r.dir, 'client_files', 'f.bin'), 'get, impaired link');
    sameBytes(r.up, path.join(r.dir, 'server_files', 'up.bin'), 'put, impaired link');
    const counts = /impaired: dropped (\d+), duplicated (\d+), delayed (\d+)/.exec(r.stdout);
    assert.ok(counts && Number(counts[2]) > 0 && Number(counts[3]) > 0, `the link duplicated and delayed nothing: ${r.stdout}`);
    for (const line of r.notes) t.diagnostic(line);
  });
});

describe('the kit\'s client against a server that repeats itself', () => {
  // A server written here, in a few lines, that answers the kit client's RRQ with its
  // OACK twice (as if the client's ACK 0 were lost and its timer fired), and sends
  // DATA 1 twice: the client must treat both as duplicates and still get the file.
  test('a repeated OACK and a repeated DATA are duplicates: the get completes byte-exact', async () => {
    const dir = workDir({ serverFiles: false, clientFiles: true });
    const payload = crypto.randomBytes(700);
    const main = dgram.createSocket('udp4');
    const tid = dgram.createSocket('udp4');
    await new Promise((r) => main.bind(0, '127.0.0.1', r));
    await new Promise((r) => tid.bind(0, '127.0.0.1', r));
    const seen = [];
    let client = null;
    const data = (n) => Buffer.concat([Buffer.from([0, 3, 0, n]), n === 1 ? payload.subarray(0, 512) : payload.subarray(512)]);
    main.on('message', (msg, rinfo) => {
      client = rinfo.port;
      const oack = Buffer.concat([Buffer.from([0, 6]), Buffer.from('tsize\x00700\x00')]);
      tid.send(oack, client, '127.0.0.1');
      tid.send(oack, client, '127.0.0.1');
    });
    tid.on('message', (msg) => {
      const block = msg.readUInt16BE(2);
      seen.push(`${msg.readUInt16BE(0)}:${block}`);
      if (msg.readUInt16BE(0) !== 4) return;
      if (block === 0 && !seen.includes('4:1')) { tid.send(data(1), client, '127.0.0.1'); tid.send(data(1), client, '127.0.0.1'); }
      if (block === 1) tid.send(data(2), client, '127.0.0.1');
    });
    const r = await run(CLIENT, ['get', 'f', 'client_files/f', '--port', String(main.address().port)], { cwd: dir });
    main.close();
    tid.close();
    assert.equal(r.code, 0, `${r.stderr}\npackets the server got: ${seen.join(' ')}`);
    assert.ok(fs.readFileSync(path.join(dir, 'client_files', 'f')).equals(payload));
  });
});

describe('the kit\'s client against a server that answers options wrongly', () => {
  // RFC 2347: an OACK may only narrow what the client asked. A blksize above the one
  // asked, an option never asked, or a value that is not a number: ERROR 8 to the
  // server, exit status 1, no local file.
  for (const [what, oack] of [['a blksize larger than asked', 'blksize\x002048\x00'],
    ['an option never asked', 'windowsize\x004\x00'], ['a tsize that is not a number', 'tsize\x00-1\x00']]) {
    test(`${what}: ERROR 8 to the server, exit status 1, nothing written`, async () => {
      const dir = workDir({ serverFiles: false, clientFiles: true });
      const main = dgram.createSocket('udp4');
      await new Promise((r) => main.bind(0, '127.0.0.1', r));
      const got = new Promise((resolve) => {
        main.on('message', (msg, rinfo) => {
          if (msg.readUInt16BE(0) === 1) main.send(Buffer.concat([Buffer.from([0, 6]), Buffer.from(oack, 'latin1')]), rinfo.port, '127.0.0.1');
          else resolve(msg);
        });
      });
      const r = await run(CLIENT, ['get', 'f', 'client_files/f', '--port', String(main.address().port), '--blksize', '1024'], { cwd: dir });
      const answer = await Promise.race([got, new Promise((res) => setTimeout(() => res(null), 1000))]);
      main.close();
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /^tftp error 8: /m);
      assert.ok(answer && opcode(answer) === 5 && errorOf(answer).code === 8, `the server should get ERROR 8, got ${answer && answer.toString('hex')}`);
      assert.deepEqual(fs.readdirSync(path.join(dir, 'client_files')), []);
    });
  }
});

describe('the kit\'s client on a terminal', () => {
  test('stdout a terminal (script(1) gives it one): a progress line rewritten with \\r, ending at 100%', async () => {
    const s = await kitServer();
    randomFile(s.files, 'p.bin', 300000);
    const cmd = `${CLIENT} get p.bin ${path.join(s.client, 'p.bin')} --port ${s.port}`;
    const r = await run('script', ['-qec', cmd, '/dev/null']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /\r\d+ bytes of 300000 \(\d+%\)/);
    assert.match(r.stdout, /\r300000 bytes of 300000 \(100%\)\r?\n/);
    // Not on a pipe: the tests above read stdout through pipes and see one line only.
    const p = await run(CLIENT, ['get', 'p.bin', path.join(s.client, 'q.bin'), '--port', String(s.port)]);
    assert.equal(p.stdout, 'get p.bin: 300000 bytes, 0 retransmissions\n');
  });
});

describe('the kit\'s client: usage and no server', () => {
  test('bad usage exits with status 2 and a usage line', async () => {
    for (const args of [[], ['fetch', 'x'], ['get'], ['get', 'x', '--blksize', '7'], ['get', 'x', '--windowsize', '0'], ['put', 'x', '--port', 'abc']]) {
      const r = await run(CLIENT, args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /^usage error: /m);
    }
  });

  test('with nobody listening it gives up after its retries: exit status 1 and no local file', async () => {
    const dir = workDir({ serverFiles: false, clientFiles: true });
    const port = await deadUdpPort();
    const r = await run(CLIENT, ['get', 'x', 'client_files/x', '--port', String(port)], { cwd: dir, ms: 15000 });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /^tftp error 0: no answer from the server/m);
    assert.deepEqual(fs.readdirSync(path.join(dir, 'client_files')), []);
  });
});

// A full disk: the server on a 1 MiB tmpfs in a mount namespace (helpers.js tmpfsWrap).
const full = tmpfsWrap();
if (full.skip) console.log(`tftp.test.js: disk-full case skipped: ${full.skip}`);

describe('the kit\'s server on a full disk', () => {
  test('a put that fills the disk ends with ERROR 3 and leaves neither file nor temporary', { skip: full.skip || false }, async () => {
    const dir = workDir({ serverFiles: true, clientFiles: true });
    const files = path.join(dir, 'server_files');
    const [exe, ...pre] = full.wrap;
    const { proc, port } = await startServer(exe, (p) => [...pre, files, SERVER, '--port', String(p), '--host', '127.0.0.1', '--dir', files], {
      cwd: dir, pickPort: freeUdpPort, ready: (p) => `TFTP server on 127.0.0.1:${p}, directory ${files}`,
    });
    const big = randomFile(path.join(dir, 'client_files'), 'big.bin', 3 * 1024 * 1024);
    const p = await run(CLIENT, ['put', 'big.bin', big, '--port', String(port), '--blksize', '1428'], { ms: 30000 });
    assert.equal(p.code, 1, p.stderr);
    assert.match(p.stderr, /^tftp error 3: write error: No space left on device/m);
    await proc.waitFor(/WRQ big\.bin from 127\.0\.0\.1:\d+: failed, error 3 \(write error: No space left on device\)/);
    const inside = `/proc/${proc.child.pid}/root${files}`;
    assert.deepEqual(fs.readdirSync(inside), [], 'no partial file and no .tftp-upload- temporary');
    assert.deepEqual(fs.readdirSync(files), [], 'the tmpfs hid the real directory: nothing was written there');
    const small = randomFile(path.join(dir, 'client_files'), 'small.bin', 1000);
    const q = await run(CLIENT, ['put', 'small.bin', small, '--port', String(port)]);
    assert.equal(q.code, 0, `the space is free again after the failed put: ${q.stderr}`);
    assert.deepEqual(fs.readdirSync(inside), ['small.bin']);
  });
});
