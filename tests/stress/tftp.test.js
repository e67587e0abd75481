'use strict';
// tftp.test.js (stress): lesson 07's server and client over a loopback that loses,
// duplicates and reorders heavily, with larger files and windows than make test's
// case (tests/integration/tftp.test.js). The link is built by
// tests/integration/tftp-impair.js (nftables drop and dup, a slow HTB class to reorder).
// Every transfer must arrive byte-exact; the retransmission counts and what the link did
// are printed as diagnostics.
//
//   make stress STRESS_ONLY=TFTP                 (after make)
//   node --test tests/stress/tftp.test.js
const { test, describe, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { killAll, sameFileBytes: sameBytes } = require('../integration/helpers');
const { impairedTransfers, SERVER, CLIENT } = require('../integration/tftp-impair');

after(killAll);

describe('TFTP over a loopback that loses, duplicates and reorders', () => {
  for (const f of [SERVER, CLIENT]) assert.ok(fs.existsSync(f), `${f} is missing: run make first`);
  const cases = [
    // [loss %, dup %, reorder %, bytes, flags]
    // Lock-step at 20% pays a 1 s timeout for about one block in three: kept small.
    [20, 20, 20, 16 * 1024, '--blksize 512'],
    [20, 20, 20, 256 * 1024, '--blksize 1428 --windowsize 16'],
    [10, 30, 30, 1024 * 1024, '--blksize 65464 --windowsize 16'],
    [5, 50, 50, 1024 * 1024, '--blksize 8192 --windowsize 8'],
  ];
  for (const [loss, dup, reorder, size, flags] of cases) {
    test(`${loss}% lost, ${dup}% duplicated, ${reorder}% reordered: a ${size / 1024} KiB get and put arrive byte-exact (${flags})`, async (t) => {
      const r = await impairedTransfers({ loss, dup, reorder, size, flags, ms: 180000 });
      assert.equal(r.code, 0, `stdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
      sameBytes(r.src, path.join(r.dir, 'client_files', 'f.bin'), 'get');
      sameBytes(r.up, path.join(r.dir, 'server_files', 'up.bin'), 'put');
      for (const line of r.notes) t.diagnostic(line);
    });
  }
});
