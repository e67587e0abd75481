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
//
// in.tftpd runs in the foreground (-L) on a free port, but only as root: the child it
// forks for each transfer calls setgroups(2) before switching to -u USER, and as a
// normal user that fails (EPERM) and the child exits 71 with no answer. As a normal
// user the bench says so and measures the kit's server alone.
//
// Two more figures, because the machine running `make bench` may be shared and a
// wall-clock ratio then moves with the neighbours' load:
//   - each server's CPU time per transfer (perf stat's task-clock, the server and the
//     child in.tftpd forks per transfer), reported as kit / in.tftpd: the server's own
//     cost per byte, which the neighbours move much less than the wall clock;
//   - iperf3's loopback TCP throughput for the same bytes (bench/lib.js iperf3Tcp), and
//     the kit's best get or put at windowsize 16, blksize 65464 as a fraction of it
//     (issue 17's goal: within 3x, i.e. a ratio of at least 0.33).
const { spawn, spawnSync } = require('node:child_process');
const dgram = require('node:dgram');
const fs = require('node:fs');
const path = require('node:path');
const L = require('./lib.js');

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
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];

// CPU seconds of a server and of the children it forks during one transfer (in.tftpd
// serves each transfer in a child, and does not account it in its cutime): `perf stat
// -e task-clock -p PID`, which follows the children forked while it is attached. No
// perf (or perf_event_paranoid forbids it): no CPU figures, the rest of the table stays.
const HAVE_PERF = spawnSync('perf', ['stat', '-e', 'task-clock', '-x', ',', 'true'], { stdio: 'ignore' }).status === 0;
async function cpuStart(pid, file) {
  if (!HAVE_PERF) return null;
  const p = spawn('perf', ['stat', '-e', 'task-clock', '-x', ',', '-o', file, '-p', String(pid)], { stdio: 'ignore' });
  await sleep(200);  // attached
  return p;
}
async function cpuStop(p, file) {
  if (!p) return NaN;
  const exited = new Promise((r) => p.once('exit', r));
  p.kill('SIGINT');
  await exited;
  const line = fs.readFileSync(file, 'utf8').split('\n').find((l) => l.includes('task-clock'));
  return line ? Number(line.split(',')[0]) / 1000 : NaN;  // msec -> s
}
async function settled(pid) {
  // in.tftpd's child may linger a little after the client is done: wait for it (3 s at most).
  for (let i = 0; i < 60; i++) {
    try { if (fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim() === '') return; } catch { return; }
    await sleep(50);
  }
}

async function main() {
  const HPA = process.getuid() === 0;
  if (!HPA) console.log('tftp-bench: not root, so no in.tftpd column (its per-transfer child calls setgroups(2): EPERM, exit 71); the kit alone');
  for (const f of HPA ? [SERVER, CLIENT, IN_TFTPD] : [SERVER, CLIENT]) {
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
    ...(HPA ? [spawn(IN_TFTPD, ['-L', '-s', '-c', '-p', '-U', '000', '-u', require('node:os').userInfo().username, '-a', `127.0.0.1:${ports.hpa}`, dirs.hpa], { stdio: 'ignore' })] : []),
  ];
  const stop = () => { for (const s of servers) s.kill('SIGKILL'); fs.rmSync(base, { recursive: true, force: true }); };
  process.on('exit', stop);
  await sleep(300);
  const rows = [];
  try {
    for (const [blksize, windowsize] of SETTINGS) {
      const times = { get: { kit: [], hpa: [] }, put: { kit: [], hpa: [] } };
      const cpu = { get: { kit: [], hpa: [] }, put: { kit: [], hpa: [] } };
      const pids = { kit: servers[0].pid, hpa: HPA ? servers[1].pid : 0 };
      for (let r = 0; r < ROUNDS; r++) {
        for (const who of !HPA ? ['kit'] : r % 2 ? ['hpa', 'kit'] : ['kit', 'hpa']) {
          for (const op of ['get', 'put']) {
            const local = path.join(base, `${who}.${op}`);
            if (op === 'put') fs.copyFileSync(src, local);
            const remote = op === 'get' ? 'file.bin' : `up-${r}.bin`;
            const perf = await cpuStart(pids[who], path.join(base, 'perf.txt'));
            const t0 = process.hrtime.bigint();
            const res = spawnSync(CLIENT, [op, remote, local, '--port', String(ports[who]), '--blksize', String(blksize), '--windowsize', String(windowsize)], { encoding: 'utf8' });
            const s = Number(process.hrtime.bigint() - t0) / 1e9;
            if (res.status !== 0) throw new Error(`${op} from ${who} (blksize ${blksize}, windowsize ${windowsize}) failed: ${res.stderr}`);
            times[op][who].push(s);
            if (who === 'hpa') await settled(pids.hpa);
            cpu[op][who].push(await cpuStop(perf, path.join(base, 'perf.txt')));
            fs.rmSync(local, { force: true });
            if (op === 'put') fs.rmSync(path.join(dirs[who], remote), { force: true });
          }
        }
      }
      for (const op of ['get', 'put']) {
        const kitS = median(times[op].kit);
        const hpaS = HPA ? median(times[op].hpa) : NaN;
        const kit = MIB / kitS;
        const hpa = MIB / hpaS;
        const kitCpu = median(cpu[op].kit);
        const hpaCpu = HPA ? median(cpu[op].hpa) : NaN;
        rows.push({ op, blksize, windowsize, kitS, hpaS, kit, hpa, ratio: kit / hpa, kitCpu, hpaCpu });
        console.log(`${op} blksize ${String(blksize).padStart(5)} windowsize ${String(windowsize).padStart(2)}: kit ${kitS.toFixed(2)} s ${kit.toFixed(1).padStart(7)} MiB/s, in.tftpd ${hpaS.toFixed(2)} s ${hpa.toFixed(1).padStart(7)} MiB/s, ratio ${(kit / hpa).toFixed(2)}; ` +
          `server CPU kit ${kitCpu.toFixed(3)} s, in.tftpd ${hpaCpu.toFixed(3)} s, ratio ${hpaCpu > 0 ? (kitCpu / hpaCpu).toFixed(2) : '-'}`);
      }
    }
  } finally {
    stop();
  }
  // The ceiling: iperf3's loopback TCP for the same bytes, median of ROUNDS, beside
  // the kit's get and put at windowsize 16, blksize 65464 (when that setting ran).
  let iperf = null;
  const top = rows.filter((r) => r.blksize === 65464 && r.windowsize === 16);
  if (top.length && !process.env.BENCH_TFTP_NO_IPERF) {
    const runs = [];
    for (let r = 0; r < ROUNDS; r++) runs.push((await L.iperf3Tcp(MIB * 1024 * 1024)).bytesPerSec / (1024 * 1024));
    iperf = { mibPerSec: median(runs), text: top.map((r) => `${r.op} ${r.kit.toFixed(1)} MiB/s, ${(r.kit / median(runs)).toFixed(2)} of it`).join('; ') };
    console.log(`iperf3 loopback TCP, ${MIB} MiB: ${iperf.mibPerSec.toFixed(1)} MiB/s; the kit at windowsize 16, blksize 65464: ${iperf.text} (goal: 0.33 or more, within 3x)`);
  }
  if (OUT) {
    const lines = [`## Lesson 07: TFTP, ${MIB} MiB on loopback, the kit's server vs in.tftpd (same client, median of ${ROUNDS})`, '',
      '| op | blksize | windowsize | kit s | in.tftpd s | kit MiB/s | in.tftpd MiB/s | kit / in.tftpd | kit server CPU s | in.tftpd CPU s | CPU kit / in.tftpd |',
      '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
      ...rows.map((r) => `| ${r.op} | ${r.blksize} | ${r.windowsize} | ${r.kitS.toFixed(2)} | ${r.hpaS.toFixed(2)} | ${r.kit.toFixed(1)} | ${r.hpa.toFixed(1)} | ${r.ratio.toFixed(2)} ` +
        `| ${r.kitCpu.toFixed(3)} | ${r.hpaCpu.toFixed(3)} | ${r.hpaCpu > 0 ? (r.kitCpu / r.hpaCpu).toFixed(2) : '-'} |`), '',
      'in.tftpd ignores windowsize: at windowsize 16 its column is lock-step.', '',
      ...(iperf ? [`iperf3 loopback TCP, same bytes: ${iperf.mibPerSec.toFixed(1)} MiB/s; the kit at windowsize 16, blksize 65464: ` +
        `${iperf.text} (goal 0.33 or more).`, ''] : [])];
    fs.writeFileSync(OUT, lines.join('\n'));
  }
}
main().catch((e) => { console.error(`tftp-bench: ${e.message}`); process.exit(1); });
