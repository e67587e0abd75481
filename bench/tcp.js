'use strict';
// bench/tcp.js: a file upload through lessons 01+02 (C++) against the same upload
// through our Node twins (server.js + client.js), side by side in one run.
//
// For each size and round: start the server in a fresh directory on tmpfs, run the
// client, stop the clock when the server prints that the file is saved, read the
// server's peak RSS (VmHWM in /proc/PID/status), check the file byte for byte, stop
// the server. Prints medians and the ratios Node/C++ (time) and RSS/file size.
//
// Usage: node bench/tcp.js [--sizes 1,16,256] [--rounds 3]   (sizes in MiB)
const { spawn } = require('child_process');
const fs = require('fs');
const net = require('net');
const os = require('os');
const path = require('path');
const crypto = require('crypto');

const ROOT = path.resolve(__dirname, '..');
const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : def;
};
const SIZES = opt('--sizes', '256').split(',').map(Number);
const ROUNDS = Number(opt('--rounds', '3'));
const TMP = fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir();

const IMPLS = {
  'C++ (lessons 01+02)': {
    server: [path.join(ROOT, 'build/lessons/01_tcp_server')],
    client: [path.join(ROOT, 'build/lessons/02_tcp_client')],
  },
  'Node (server.js+client.js)': {
    server: [process.execPath, path.join(ROOT, 'lessons/01_tcp_server/server.js')],
    client: [process.execPath, path.join(ROOT, 'lessons/02_tcp_client/client.js')],
  },
};

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function waitFor(child, text, stream = 'stdout', timeoutMs = 120000) {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`timeout waiting for '${text}'`)), timeoutMs);
    const onData = (d) => {
      seen += d.toString();
      if (seen.includes(text)) {
        clearTimeout(timer);
        child[stream].off('data', onData);
        resolve();
      }
    };
    child[stream].on('data', onData);
    child.on('exit', (code) => reject(new Error(`exited (${code}) before '${text}'`)));
  });
}

function peakRssKiB(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+)/.exec(status)[1]);
}

async function runOnce(impl, dir, sizeBytes) {
  const port = await freePort();
  const server = spawn(impl.server[0], [...impl.server.slice(1), '--port', String(port), '--host', '127.0.0.1'],
    { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    await waitFor(server, 'escutando porta');
    const t0 = process.hrtime.bigint();
    const saved = waitFor(server, 'arquivo salvo com sucesso!');
    const client = spawn(impl.client[0], [...impl.client.slice(1), '--port', String(port), '--host', '127.0.0.1'],
      { cwd: dir, stdio: 'ignore' });
    const clientExit = new Promise((resolve) => client.on('exit', resolve));
    await saved;
    const t1 = process.hrtime.bigint();
    await clientExit;
    const rss = peakRssKiB(server.pid);
    const files = fs.readdirSync(path.join(dir, 'server_files'));
    if (files.length !== 1) throw new Error(`expected one saved file, found ${files.length}`);
    const savedPath = path.join(dir, 'server_files', files[0]);
    if (fs.statSync(savedPath).size !== sizeBytes) throw new Error('saved file has the wrong size');
    fs.unlinkSync(savedPath);
    return { seconds: Number(t1 - t0) / 1e9, rssMiB: rss / 1024 };
  } finally {
    server.kill('SIGKILL');
    await new Promise((resolve) => (server.exitCode !== null ? resolve() : server.on('exit', resolve)));
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
  console.log(`TCP upload benchmark: ${ROUNDS} rounds per size, files on ${TMP}, ${os.cpus().length} cores, node ${process.version}`);
  const rows = [];
  for (const mib of SIZES) {
    const sizeBytes = mib * 1024 * 1024;
    const dir = fs.mkdtempSync(path.join(TMP, 'kit-bench-'));
    try {
      fs.mkdirSync(path.join(dir, 'server_files'));
      fs.mkdirSync(path.join(dir, 'client_files'));
      const fd = fs.openSync(path.join(dir, 'client_files/client.txt'), 'w');
      const block = crypto.randomBytes(1024 * 1024);
      for (let i = 0; i < mib; i++) fs.writeSync(fd, block);
      fs.closeSync(fd);
      const results = {};
      for (let r = 0; r < ROUNDS; r++) {
        for (const [name, impl] of Object.entries(IMPLS)) {  // alternate: same conditions
          (results[name] ??= []).push(await runOnce(impl, dir, sizeBytes));
        }
      }
      const row = { mib };
      for (const [name, list] of Object.entries(results)) {
        row[name] = { seconds: median(list.map((x) => x.seconds)), rssMiB: median(list.map((x) => x.rssMiB)) };
      }
      rows.push(row);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  const [cpp, node] = Object.keys(IMPLS);
  console.log('');
  console.log('| size | C++ time (s) | Node time (s) | speed-up Node/C++ | C++ server peak RSS | Node server peak RSS | C++ RSS / size | Node RSS / size |');
  console.log('|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    const c = r[cpp], n = r[node];
    console.log(`| ${r.mib} MiB | ${c.seconds.toFixed(3)} | ${n.seconds.toFixed(3)} | ${(n.seconds / c.seconds).toFixed(2)}x | ` +
      `${c.rssMiB.toFixed(1)} MiB | ${n.rssMiB.toFixed(1)} MiB | ${(c.rssMiB / r.mib).toFixed(2)} | ${(n.rssMiB / r.mib).toFixed(2)} |`);
  }
}

main().catch((e) => {
  console.error('bench failed:', e.message);
  process.exit(1);
});
