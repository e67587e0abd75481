'use strict';
// tftp-bench.js -- lesson 07 in `make bench`: a get and a put of one file on loopback,
// the kit's TFTP server beside tftpd-hpa's in.tftpd, with the same client (the kit's,
// build/lessons/07_tftp_client), at blksize 512, 1428 and 65464 and windowsize 1 and 16,
// alternating the two servers round by round. Reported: the median MiB/s of each, and
// their ratio (kit / in.tftpd; 1.0 or more: the kit's server is at least as fast).
// in.tftpd ignores windowsize (it leaves it out of its OACK), so at windowsize 16 it
// runs in lock-step: that row shows what a window buys, not two equal servers.
//
//   node bench/tftp-bench.js [--mib N] [--rounds R] [--out FILE.md]   (defaults 256, 3)
//
// Files live in BENCH_TMP (default /dev/shm, a tmpfs), so the disk is not measured.
const { spawn, spawnSync } = require('node:child_process');
const dgram = require('node:dgram');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const SERVER = path.join(ROOT, 'build', 'lessons', '07_tftp_server');
const CLIENT = path.join(ROOT, 'build', 'lessons', '07_tftp_client');
const arg = (name, dflt) => { const i = process.argv.indexOf(name); return i < 0 ? dflt : process.argv[i + 1]; };
const MIB = Number(arg('--mib', 256));
const ROUNDS = Number(arg('--rounds', 3));
const OUT = arg('--out', null);
// tftpd-hpa is unpacked by scripts/deps.sh, not installed (that would start a daemon).
const IN_TFTPD = path.join(__dirname, '..', 'build', 'peers', 'tftpd-hpa', 'usr', 'sbin', 'in.tftpd');
const SETTINGS = process.env.TFTP_SETTINGS ? JSON.parse(process.env.TFTP_SETTINGS) : [[512, 1], [512, 16], [1428, 1], [1428, 16], [65464, 1], [65464, 16]];

const freePort = () => new Promise((resolve) => {
  const s = dgram.createSocket('udp4');
  s.bind(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
});
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function main() {
  for (const f of [SERVER, CLIENT, IN_TFTPD]) {
    if (!fs.existsSync(f)) { console.error(`tftp-bench: ${f} is missing (make; make deps)`); process.exit(1); }
  }
  const base = fs.mkdtempSync(path.join(process.env.BENCH_TMP || '/dev/shm', 'tftp-bench-'));
  const dirs = { kit: path.join(base, 'kit'), hpa: path.join(base, 'hpa') };
  for (const d of Object.values(dirs)) fs.mkdirSync(d);
  const src = path.join(base, 'file.bin');
  spawnSync('head', ['-c', String(MIB * 1024 * 1024), '/dev/urandom'], { stdio: ['ignore', fs.openSync(src, 'w'), 'inherit'] });
  for (const d of Object.values(dirs)) fs.copyFileSync(src, path.join(d, 'file.bin'));
  const ports = { kit: await freePort(), hpa: await freePort() };
  const servers = [
    spawn(SERVER, ['--port', String(ports.kit), '--host', '127.0.0.1', '--dir', dirs.kit, '--overwrite'], { stdio: 'ignore' }),
    spawn(IN_TFTPD, ['-L', '-s', '-c', '-p', '-U', '000', '-u', require('node:os').userInfo().username, '-a', `:${ports.hpa}`, dirs.hpa], { stdio: 'ignore' }),
  ];
  const stop = () => { for (const s of servers) s.kill('SIGKILL'); fs.rmSync(base, { recursive: true, force: true }); };
  process.on('exit', stop);
  await sleep(300);
  const rows = [];
  try {
    for (const [blksize, windowsize] of SETTINGS) {
      const times = { get: { kit: [], hpa: [] }, put: { kit: [], hpa: [] } };
      for (let r = 0; r < ROUNDS; r++) {
        for (const who of r % 2 ? ['hpa', 'kit'] : ['kit', 'hpa']) {
          for (const op of ['get', 'put']) {
            const local = path.join(base, `${who}.${op}`);
            if (op === 'put') fs.copyFileSync(src, local);
            const remote = op === 'get' ? 'file.bin' : `up-${r}.bin`;
            const t0 = process.hrtime.bigint();
            const res = spawnSync(CLIENT, [op, remote, local, '--port', String(ports[who]), '--blksize', String(blksize), '--windowsize', String(windowsize)], { encoding: 'utf8' });
            const s = Number(process.hrtime.bigint() - t0) / 1e9;
            if (res.status !== 0) throw new Error(`${op} from ${who} (blksize ${blksize}, windowsize ${windowsize}) failed: ${res.stderr}`);
            times[op][who].push(s);
            fs.rmSync(local, { force: true });
            if (op === 'put') fs.rmSync(path.join(dirs[who], remote), { force: true });
          }
        }
      }
      const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
      for (const op of ['get', 'put']) {
        const kit = MIB / median(times[op].kit);
        const hpa = MIB / median(times[op].hpa);
        rows.push({ op, blksize, windowsize, kit, hpa, ratio: kit / hpa });
        console.log(`${op} blksize ${String(blksize).padStart(5)} windowsize ${String(windowsize).padStart(2)}: kit ${kit.toFixed(1).padStart(7)} MiB/s, in.tftpd ${hpa.toFixed(1).padStart(7)} MiB/s, ratio ${(kit / hpa).toFixed(2)}`);
      }
    }
  } finally {
    stop();
  }
  if (OUT) {
    const lines = [`## Lesson 07: TFTP, ${MIB} MiB on loopback, the kit's server vs in.tftpd (same client, median of ${ROUNDS})`, '',
      '| op | blksize | windowsize | kit MiB/s | in.tftpd MiB/s | kit / in.tftpd |', '| --- | --- | --- | --- | --- | --- |',
      ...rows.map((r) => `| ${r.op} | ${r.blksize} | ${r.windowsize} | ${r.kit.toFixed(1)} | ${r.hpa.toFixed(1)} | ${r.ratio.toFixed(2)} |`), '',
      'in.tftpd ignores windowsize: at windowsize 16 its column is lock-step.', ''];
    fs.writeFileSync(OUT, lines.join('\n'));
  }
}
main().catch((e) => { console.error(`tftp-bench: ${e.message}`); process.exit(1); });
