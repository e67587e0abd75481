'use strict';
// shot.js: a screenshot of a timeline page (view.js's HTML) with headless chromium.
//
//   node scripts/trace/shot.js PAGE.html OUT.png [--width 1400] [--hash it=1]
//
// --hash opens the page at PAGE.html#HASH: it=N or it=N-M zooms on the kit's iterations.
//
// Debian's chromium (/usr/bin/chromium, installed by scripts/deps.sh) is driven with
// playwright-core (npm). Fails if the page logs an error or never finishes drawing.

const path = require('node:path');
const { chromium } = require('playwright-core');

const CHROMIUM = process.env.KIT_CHROMIUM || '/usr/bin/chromium';

// Open `page` (a file path) in a new browser; returns { browser, page, errors }.
async function open(file, { width = 1400, height = 900, hash = '' } = {}) {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
  const errors = [];
  const requests = [];
  try {
    const page = await browser.newPage({ viewport: { width, height } });
    page.setDefaultTimeout(10000);
    page.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()}`); });
    page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(`file://${path.resolve(file)}${hash ? `#${hash}` : ''}`);
    await page.waitForSelector('body[data-ready="1"]', { timeout: 10000 });
    return { browser, page, errors, requests };
  } catch (err) {
    await browser.close();
    throw err;
  }
}

async function shoot(file, png, opts) {
  const { browser, page, errors } = await open(file, opts);
  try {
    await page.screenshot({ path: png, fullPage: true });
    if (errors.length) throw new Error(`${file}: ${errors.join('; ')}`);
  } finally {
    await browser.close();
  }
}

module.exports = { open, shoot, CHROMIUM };

if (require.main === module) {
  const args = process.argv.slice(2);
  const w = args.indexOf('--width');
  const width = w >= 0 ? Number(args.splice(w, 2)[1]) : 1400;
  const h = args.indexOf('--hash');
  const hash = h >= 0 ? args.splice(h, 2)[1] : '';
  if (args.length !== 2) {
    process.stderr.write('usage: node scripts/trace/shot.js PAGE.html OUT.png [--width N] [--hash it=N]\n');
    process.exit(2);
  }
  shoot(args[0], args[1], { width, hash }).then(() => console.log(args[1]), (err) => { console.error(err.message); process.exit(1); });
}
