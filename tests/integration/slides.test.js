'use strict';
// slides.test.js: build the decks (slides/build.sh) and open every one in headless
// Chromium, as a student opening build/slides/NN_name.html from disk would.
//
// For each deck it checks that
//   - the page loads with no uncaught exception, no console error and no error logged
//     by the browser (a broken script, a missing resource);
//   - nothing but the file itself is fetched: no http(s) request, so it works offline;
//   - dzslides found its slides (at least three) and the first ones show text;
//   - no slide overflows its 1280x720 frame and no code line is cut at the right edge
//     (an excerpt that grew in its lesson shows up here);
// and it saves screenshots of the first two slides to build/slides/shots/NAME-N.png
// (pt-NAME-N.png for the Portuguese twins, slides/pt/NN_name.md -> build/slides/pt/),
// decoding each PNG (zlib, no dependency) to fail on a blank, single-colour image.
// SLIDES_SHOTS=all saves every slide instead (to look them over).
//
// Chromium is driven over the DevTools protocol on a pipe (--remote-debugging-pipe:
// file descriptors 3 and 4, JSON messages ended by a NUL byte), so no port is opened
// and no npm package is needed. `make deps` installs Debian's chromium and pandoc; if
// either is missing this file fails (it never skips).
//
//   node --test tests/integration/slides.test.js

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const zlib = require('node:zlib');

const ROOT = path.resolve(__dirname, '..', '..');
const OUT = path.join(ROOT, 'build', 'slides');
const SHOTS = path.join(OUT, 'shots');
const WIDTH = 1280;
const HEIGHT = 720;
const ALL_SHOTS = process.env.SLIDES_SHOTS === 'all';

// Decks by their path under slides/: '01_tcp_server', and 'pt/01_tcp_server' for the
// Portuguese twin (tests/integration/docs.test.js checks that every deck has one).
const deckNames = (dir) => (fs.existsSync(path.join(ROOT, dir))
  ? fs.readdirSync(path.join(ROOT, dir)).filter((f) => /^\d\d_.*\.md$/.test(f)).sort().map((f) => f.replace(/\.md$/, ''))
  : []);
const decks = [...deckNames('slides'), ...deckNames('slides/pt').map((d) => `pt/${d}`)];

// ---------------------------------------------------------------- PNG decoding

// Decode an 8-bit, non-interlaced PNG (what Chromium writes) into RGBA rows.
function decodePng(buf) {
  const sig = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  if (!buf.subarray(0, 8).equals(sig)) throw new Error('not a PNG');
  let pos = 8, width = 0, height = 0, depth = 0, type = 0, interlace = 0;
  const idat = [];
  while (pos < buf.length) {
    const len = buf.readUInt32BE(pos);
    const kind = buf.toString('latin1', pos + 4, pos + 8);
    const data = buf.subarray(pos + 8, pos + 8 + len);
    if (kind === 'IHDR') {
      width = data.readUInt32BE(0); height = data.readUInt32BE(4);
      depth = data[8]; type = data[9]; interlace = data[12];
    } else if (kind === 'IDAT') idat.push(data);
    else if (kind === 'IEND') break;
    pos += 12 + len;
  }
  const channels = { 0: 1, 2: 3, 4: 2, 6: 4 }[type];
  if (depth !== 8 || !channels || interlace !== 0) {
    throw new Error(`unsupported PNG (depth ${depth}, colour type ${type}, interlace ${interlace})`);
  }
  const raw = zlib.inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const pixels = Buffer.alloc(width * height * 4);
  let prev = Buffer.alloc(stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = Buffer.from(raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1)));
    for (let i = 0; i < stride; i++) {
      const a = i >= channels ? line[i - channels] : 0;
      const b = prev[i];
      const c = i >= channels ? prev[i - channels] : 0;
      let add = 0;
      if (filter === 1) add = a;
      else if (filter === 2) add = b;
      else if (filter === 3) add = (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
        add = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      } else if (filter !== 0) throw new Error(`bad PNG filter ${filter}`);
      line[i] = (line[i] + add) & 0xff;
    }
    for (let x = 0; x < width; x++) {
      const s = x * channels, d = (y * width + x) * 4;
      const g = line[s];
      if (channels >= 3) line.copy(pixels, d, s, s + 3); else pixels.fill(g, d, d + 3);
      pixels[d + 3] = channels === 4 ? line[s + 3] : channels === 2 ? line[s + 1] : 255;
    }
    prev = line;
  }
  return { width, height, pixels };
}

// How the colours of an image are spread: the share of the most common one, and how
// many distinct colours there are.
function colourStats({ width, height, pixels }) {
  const counts = new Map();
  for (let i = 0; i < width * height; i++) {
    const key = pixels.readUInt32BE(i * 4);
    counts.set(key, (counts.get(key) || 0) + 1);
  }
  const top = Math.max(...counts.values());
  return { dominantShare: top / (width * height), colours: counts.size };
}

// ---------------------------------------------------------------- DevTools over a pipe

class Browser {
  constructor() {
    this.profile = fs.mkdtempSync(path.join(os.tmpdir(), 'kit-chromium-'));
    this.stderr = '';
    this.nextId = 0;
    this.pending = new Map();
    this.listeners = new Set();
    this.child = spawn('chromium', [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--disable-extensions', '--mute-audio', '--hide-scrollbars',
      `--user-data-dir=${this.profile}`, `--window-size=${WIDTH},${HEIGHT}`,
      '--remote-debugging-pipe', 'about:blank',
    ], { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] });
    this.exited = new Promise((resolve) => this.child.on('close', resolve));
    this.child.on('error', (err) => { this.stderr += `spawn error: ${err.message}\n`; });
    this.child.stderr.setEncoding('utf8').on('data', (d) => { this.stderr += d; });
    let buffered = Buffer.alloc(0);
    this.child.stdio[4].on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      let end;
      while ((end = buffered.indexOf(0)) >= 0) {
        const msg = JSON.parse(buffered.toString('utf8', 0, end));
        buffered = buffered.subarray(end + 1);
        if (msg.id !== undefined && this.pending.has(msg.id)) {
          const { resolve, reject, method } = this.pending.get(msg.id);
          this.pending.delete(msg.id);
          if (msg.error) reject(new Error(`${method}: ${msg.error.message}`));
          else resolve(msg.result);
        } else {
          for (const fn of this.listeners) fn(msg);
        }
      }
    });
    this.child.stdio[3].on('error', () => {});  // EPIPE if Chromium died: reported by send()
  }

  send(method, params = {}, sessionId, ms = 15000) {
    return new Promise((resolve, reject) => {
      const id = ++this.nextId;
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${method}: no answer from Chromium in ${ms} ms\n${this.stderr.slice(-2000)}`));
      }, ms);
      this.pending.set(id, {
        method,
        resolve: (r) => { clearTimeout(timer); resolve(r); },
        reject: (e) => { clearTimeout(timer); reject(e); },
      });
      const msg = { id, method, params };
      if (sessionId) msg.sessionId = sessionId;
      this.child.stdio[3].write(JSON.stringify(msg) + '\0');
    });
  }

  // Resolve with the first event `method` of `sessionId` that satisfies `pred`.
  waitEvent(method, sessionId, pred = () => true, ms = 15000) {
    return new Promise((resolve, reject) => {
      const fn = (msg) => {
        if (msg.method === method && msg.sessionId === sessionId && pred(msg.params)) {
          this.listeners.delete(fn);
          clearTimeout(timer);
          resolve(msg.params);
        }
      };
      const timer = setTimeout(() => {
        this.listeners.delete(fn);
        reject(new Error(`no ${method} from Chromium in ${ms} ms`));
      }, ms);
      this.listeners.add(fn);
    });
  }

  async close() {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      try { await this.send('Browser.close', {}, undefined, 5000); } catch { this.child.kill('SIGKILL'); }
      const t = setTimeout(() => this.child.kill('SIGKILL'), 5000);
      await this.exited;
      clearTimeout(t);
    }
    fs.rmSync(this.profile, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------- the tests

let browser = null;
let session = null;

before(async () => {
  assert.ok(decks.length >= 5, `expected the overview and one deck per lesson in slides/, found: ${decks.join(', ')}`);

  // Build the decks: broken includes or pandoc warnings fail here.
  const build = spawnSync('bash', ['slides/build.sh'], { cwd: ROOT, encoding: 'utf8', timeout: 60000 });
  assert.equal(build.status, 0, `slides/build.sh failed (status ${build.status}):\n${build.stdout}${build.stderr}`);
  assert.equal(build.stderr, '', `slides/build.sh printed warnings:\n${build.stderr}`);

  const which = spawnSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' });
  assert.equal(which.status, 0, 'chromium is not installed: run `make deps` (Debian package chromium)');

  fs.rmSync(SHOTS, { recursive: true, force: true });
  fs.mkdirSync(SHOTS, { recursive: true });

  browser = new Browser();
  const { targetInfos } = await browser.send('Target.getTargets', {}, undefined, 30000);
  const page = targetInfos.find((t) => t.type === 'page');
  assert.ok(page, 'Chromium opened no page');
  ({ sessionId: session } = await browser.send('Target.attachToTarget', { targetId: page.targetId, flatten: true }));
  for (const domain of ['Page', 'Runtime', 'Log', 'Network']) await browser.send(`${domain}.enable`, {}, session);
  await browser.send('Emulation.setDeviceMetricsOverride',
    { width: WIDTH, height: HEIGHT, deviceScaleFactor: 1, mobile: false }, session);
});

after(async () => {
  if (browser) await browser.close();
});

async function evaluate(expression) {
  const r = await browser.send('Runtime.evaluate', { expression, awaitPromise: true, returnByValue: true }, session);
  if (r.exceptionDetails) throw new Error(`evaluate failed: ${JSON.stringify(r.exceptionDetails).slice(0, 500)}`);
  return r.result.value;
}

// Go to slide n and wait until dzslides shows it and two frames are painted.
const showSlide = (n) => evaluate(`new Promise((resolve) => {
  location.hash = '#${n}';
  const check = () => (Dz.idx === ${n}
    ? requestAnimationFrame(() => requestAnimationFrame(() => resolve(Dz.idx)))
    : setTimeout(check, 10));
  check();
})`);

for (const deck of decks) {
  test(`slides: ${deck}.html renders offline, with no error, no overflow, and is not blank`, async () => {
    const file = path.join(OUT, `${deck}.html`);
    assert.ok(fs.existsSync(file), `${file} was not built`);
    const url = `file://${file}`;

    const problems = [];
    const remote = [];
    const collect = (msg) => {
      if (msg.sessionId !== session) return;
      const p = msg.params;
      if (msg.method === 'Runtime.exceptionThrown') {
        problems.push(`uncaught: ${p.exceptionDetails.exception?.description || p.exceptionDetails.text}`);
      } else if (msg.method === 'Runtime.consoleAPICalled' && ['error', 'assert'].includes(p.type)) {
        problems.push(`console.${p.type}: ${p.args.map((a) => a.value ?? a.description).join(' ')}`);
      } else if (msg.method === 'Log.entryAdded' && p.entry.level === 'error') {
        problems.push(`browser log (${p.entry.source}): ${p.entry.text} ${p.entry.url || ''}`);
      } else if (msg.method === 'Network.requestWillBeSent' && !/^(file|data|about|blob):/.test(p.request.url)) {
        remote.push(p.request.url);
      }
    };
    browser.listeners.add(collect);
    try {
      const loaded = browser.waitEvent('Page.loadEventFired', session);
      const nav = await browser.send('Page.navigate', { url }, session);
      assert.equal(nav.errorText, undefined, `navigation to ${url} failed: ${nav.errorText}`);
      await loaded;
      await evaluate('document.fonts.ready.then(() => true)');

      const info = await evaluate(`(() => ({
        dz: typeof Dz === 'object' && Array.isArray(Dz.slides),
        slides: typeof Dz === 'object' && Dz.slides ? Dz.slides.length : 0,
        width: document.body.offsetWidth, height: document.body.offsetHeight,
        overflow: Array.from(document.querySelectorAll('body > section')).flatMap((s, i) => {
          const out = [];
          const title = (s.querySelector('h1') || {}).textContent || '';
          if (s.scrollHeight > s.clientHeight + 1) {
            out.push('slide ' + (i + 1) + ' (' + title + ') is ' + (s.scrollHeight - s.clientHeight) + ' px too tall');
          }
          if (s.scrollWidth > s.clientWidth + 1) {
            out.push('slide ' + (i + 1) + ' (' + title + ') is ' + (s.scrollWidth - s.clientWidth) + ' px too wide');
          }
          s.querySelectorAll('pre, table').forEach((el) => {
            if (el.scrollWidth > el.clientWidth + 1) {
              out.push('slide ' + (i + 1) + ' (' + title + '): a ' + el.tagName.toLowerCase() +
                ' is cut by ' + (el.scrollWidth - el.clientWidth) + ' px at the right');
            }
          });
          return out;
        }),
      }))()`);
      assert.ok(info.dz, 'the dzslides script did not run (Dz.slides missing)');
      assert.ok(info.slides >= 3, `only ${info.slides} slide(s)`);
      assert.deepEqual([info.width, info.height], [WIDTH, HEIGHT], 'slide size');

      // Every finding is collected, then reported together: a failing deck still
      // leaves its screenshots to look at.
      const failures = [...info.overflow];
      const count = ALL_SHOTS ? info.slides : Math.min(2, info.slides);
      for (let n = 1; n <= count; n++) {
        assert.equal(await showSlide(n), n);
        const text = await evaluate(`(document.querySelector('body > section[aria-selected]') || {}).innerText || ''`);
        if (text.trim().length < 3) failures.push(`slide ${n} shows no text (${JSON.stringify(text)})`);

        const { data } = await browser.send('Page.captureScreenshot', { format: 'png' }, session);
        const png = Buffer.from(data, 'base64');
        const shot = path.join(SHOTS, `${deck.replace('/', '-')}-${n}.png`);
        fs.writeFileSync(shot, png);
        const image = decodePng(png);
        assert.deepEqual([image.width, image.height], [WIDTH, HEIGHT], `${shot}: size`);
        // Blank: (nearly) one colour. A slide with one short line still has ~1% ink.
        const { dominantShare, colours } = colourStats(image);
        if (dominantShare > 0.998 || colours < 8) {
          failures.push(`${shot} looks blank: ${(dominantShare * 100).toFixed(2)}% one colour, ${colours} colours`);
        }
      }
      // Late errors (a script failing on a slide change) count too.
      await evaluate('new Promise((r) => setTimeout(() => r(true), 50))');
      failures.push(...problems);
      failures.push(...remote.map((u) => `fetched ${u}: the deck must work offline`));
      assert.deepEqual(failures, [], `${deck}.html:\n${failures.join('\n')}`);
    } finally {
      browser.listeners.delete(collect);
    }
  });
}
