'use strict';
// trace-view.test.js: the loop's timeline (issue 19), recorded and opened as a student
// would with `make trace-view LESSON=NN`: scripts/trace/record.js records the lesson's
// kit programs (KIT_TRACE=json) and Node twins (node-trace.js), scripts/trace/view.js
// draws one HTML page, and headless chromium (Debian's, installed by scripts/deps.sh,
// driven with playwright-core) opens it. If chromium is missing this file fails; it
// never skips.
//
// Every record of both sides' traces must match tests/trace/trace.schema.json. For a
// known run it checks, through the DOM, that the page
//   - loads with no console error, no uncaught exception, and fetches nothing but itself;
//   - shows both sides, one lane per lane the traces call for (counted here from the
//     JSONL files by their own rule) and one mark per record that is not a phase edge;
//   - links the kit's and Node's matching emits, shows a record's details on hover and
//     keeps them on click, and zooms (the axis changes) with the wheel and with #it=N;
// and takes the screenshot (build/trace/test-NN.png), checked to be a real picture.
//
//   node --test tests/integration/trace-view.test.js

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const h = require('./helpers');
const { loadSchema, validate } = require('../trace/validate');

const ROOT = h.ROOT;
const OUT = path.join(ROOT, 'build', 'trace');
const { record } = require(path.join(ROOT, 'scripts', 'trace', 'record.js'));
const { open } = require(path.join(ROOT, 'scripts', 'trace', 'shot.js'));

h.requireBuilt(path.join(ROOT, 'build', 'lessons', '00_event_loop'), h.BIN.tcpServer, h.BIN.tcpClient, h.BIN.udpServer, h.BIN.udpClient);

let tmp;
before(() => { tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kit-trace-view-')); fs.mkdirSync(OUT, { recursive: true }); });
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const readJsonl = (f) => fs.readFileSync(f, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
const SCHEMA = loadSchema();

// Every line of a recorded trace, the kit's (KIT_TRACE=json) and Node's (node-trace.js),
// valid against tests/trace/trace.schema.json; the file's name says which side wrote it.
function checkSchema(files) {
  for (const f of files) {
    const src = path.basename(f).split('-')[0];
    const recs = readJsonl(f);
    assert.ok(recs.length > 10, `${f}: ${recs.length} records`);
    assert.equal(recs[0].ev, 'start', `${f} opens with its start record`);
    recs.forEach((r, i) => {
      assert.deepEqual(validate(SCHEMA, r), [], `${path.basename(f)} line ${i + 1}: ${JSON.stringify(r)}`);
      assert.equal(r.src, src, `${path.basename(f)} line ${i + 1}`);
    });
  }
}

// What the page must show, counted from the traces: per process a loop lane, one lane
// per emitter/handle (kind and id; a timer's handle goes to the timers lane, the loop's
// async handle to the pool's), and one each for timers, ticks/immediates and the
// pool if it has such records, one for the kit's text notes, one for anything else;
// one mark per record but the phase edges.
function expected(files) {
  let lanes = 0;
  let events = 0;
  for (const f of files) {
    const recs = readJsonl(f);
    const keys = new Set(['loop']);
    for (const r of recs) {
      if (r.ev === 'handle' && r.kind === 'timer') keys.add('timers');
      else if (r.ev === 'handle' && r.kind === 'async') keys.add('pool');
      else if (r.ev === 'emit' || r.ev === 'handle') keys.add(`${r.kind}#${r.id}`);
      else if (r.ev === 'timer') keys.add('timers');
      else if (r.ev === 'tick' || r.ev === 'immediate') keys.add('queues');
      else if (r.ev === 'pool') keys.add('pool');
      else if (r.ev === 'note') keys.add('notes');
      else if (!['phase', 'poll', 'start', 'exit'].includes(r.ev)) keys.add('other');
      if (r.ev !== 'phase') events += 1;
    }
    lanes += keys.size;
  }
  return { lanes, events };
}

async function recordAndView(lesson) {
  const dir = path.join(tmp, lesson);
  const files = await record(lesson, dir);
  checkSchema(files);
  const html = path.join(dir, `${lesson}.html`);
  execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'trace', 'view.js'), ...files, '-o', html, '--title', `test ${lesson}`]);
  return { files, html };
}

// A PNG's width and height, from its IHDR chunk.
function pngSize(file) {
  const buf = fs.readFileSync(file);
  assert.equal(buf.toString('latin1', 1, 4), 'PNG', `${file} is not a PNG`);
  return { width: buf.readUInt32BE(16), height: buf.readUInt32BE(20), bytes: buf.length };
}

test('lesson 00 timeline: both runs drawn, one lane per handle, one mark per event, no console error; screenshot', async () => {
  const { files, html } = await recordAndView('00');
  assert.equal(files.length, 2, 'one trace for the kit, one for Node');
  const want = expected(files);
  const { browser, page, errors, requests } = await open(html);
  try {
    const got = await page.evaluate(() => ({
      lanes: document.querySelectorAll('g.lane').length,
      events: document.querySelectorAll('path.mark').length,
      panels: [...document.querySelectorAll('g.panel')].map((g) => g.dataset.src),
      kitLanes: [...document.querySelectorAll('g.lane[data-src="kit"]')].map((g) => g.dataset.lane),
      phases: document.querySelectorAll('rect.phase').length,
      iterations: document.querySelectorAll('rect.iter').length,
    }));
    assert.deepEqual(errors, []);
    assert.deepEqual(requests.filter((u) => !u.startsWith('file:')), [], 'the page fetches nothing from the network');
    assert.deepEqual(got.panels, ['kit', 'node']);
    assert.equal(got.lanes, want.lanes);
    assert.equal(got.events, want.events);
    assert.ok(got.kitLanes.includes('loop') && got.kitLanes.includes('pool'), `kit lanes: ${got.kitLanes}`);
    assert.ok(got.phases > 10, `phase blocks drawn: ${got.phases}`);
    assert.ok(got.iterations >= 4, `iterations drawn: ${got.iterations}`);
    // #it=0 zooms on the kit's first iteration: its axis then starts later
    const whole = await page.locator('g.axis').first().textContent();
    await page.evaluate(() => { location.hash = 'it=0'; });
    await page.waitForTimeout(100);
    assert.notEqual(await page.locator('g.axis').first().textContent(), whole, '#it=0 zoomed in');
    await page.evaluate(() => { location.hash = ''; });
    await page.locator('#reset').click();
    await page.waitForTimeout(400);
    const png = path.join(OUT, 'test-00.png');
    await page.screenshot({ path: png, fullPage: true });
    const size = pngSize(png);
    assert.ok(size.width >= 1200 && size.height >= 400 && size.bytes > 20000, `screenshot ${JSON.stringify(size)}`);
  } finally {
    await browser.close();
  }
});

test('TCP upload timeline: server and client lanes on both sides, emits linked kit to Node, hover details, zoom', async () => {
  const { files, html } = await recordAndView('01');
  assert.equal(files.length, 4, 'server and client, kit and Node');
  const want = expected(files);
  const { browser, page, errors } = await open(html);
  try {
    const got = await page.evaluate(() => ({
      lanes: document.querySelectorAll('g.lane').length,
      events: document.querySelectorAll('path.mark').length,
      serverLanes: ['kit', 'node'].map((s) => [...document.querySelectorAll(`g.lane[data-src="${s}"][data-role="server"]`)].map((g) => g.dataset.lane)),
      links: document.querySelectorAll('line.link').length,
      diffs: document.querySelectorAll('#difflist li').length,
    }));
    assert.deepEqual(errors, []);
    assert.equal(got.lanes, want.lanes);
    assert.equal(got.events, want.events);
    for (const lanes of got.serverLanes) {
      assert.ok(lanes.includes('server 1') && lanes.includes('socket 1'), `server lanes: ${lanes}`);
    }
    assert.ok(got.links >= 5, `kit <-> Node links: ${got.links}`);
    assert.ok(got.diffs >= 1, 'the differences are listed');

    // the kit server's 'connection' emit: its tooltip names it and its Node partner
    // (events dispatched on the mark itself: a neighbour drawn over it cannot take them)
    const mark = page.locator('g.lane[data-src="kit"][data-role="server"][data-lane="server 1"] path.mark.matched').first();
    await mark.dispatchEvent('mouseenter');
    const tip = await page.locator('#tooltip').innerText();
    assert.match(tip, /emit '(listening|connection)' on server#\d+/);
    assert.match(tip, /matched: node at/);
    assert.equal(await page.locator('line.link.hot').count(), 1, 'the hovered emit is linked to its partner');
    await mark.dispatchEvent('mouseleave');
    assert.equal(await page.locator('#tooltip').isHidden(), true, 'the tooltip goes with the pointer');
    await mark.dispatchEvent('click');
    assert.match(await page.locator('#details').innerText(), /emit '(listening|connection)'/, 'a click keeps the details');

    // zoom in with the wheel: the axis shows other ticks
    const before = await page.locator('g.axis').first().textContent();
    await page.mouse.move(700, 300);
    await page.mouse.wheel(0, -600);
    await page.waitForTimeout(200);
    assert.notEqual(await page.locator('g.axis').first().textContent(), before, 'the axis changed with the zoom');
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});

test('UDP upload recorded by the kit and by Node: four traces, every record valid against the schema', async () => {
  const files = await record('03', path.join(tmp, '03'));
  assert.deepEqual(files.map((f) => path.basename(f)).sort(), ['kit-client.jsonl', 'kit-server.jsonl', 'node-client.jsonl', 'node-server.jsonl']);
  checkSchema(files);
  for (const f of files) {
    assert.ok(readJsonl(f).some((r) => r.ev === 'emit' && r.kind === 'udp'), `${path.basename(f)}: the udp socket's emits`);
  }
});
