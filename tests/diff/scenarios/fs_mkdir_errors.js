'use strict';
// Scenario fs_mkdir_errors: fs.mkdirSync(path, { recursive: true }) where it must fail.
//
// Recursive mkdir tolerates directories that exist, not other files: on an existing
// regular file it throws EEXIST, below one ENOTDIR, and on '' ENOENT (syscall 'mkdir',
// the path as given). An existing directory and a new nested one succeed.
const fs = require('fs');
const os = require('os');
const path = require('path');

const base = path.join(os.tmpdir(), `kit-diff-mkdir-${process.pid}`);
fs.mkdirSync(base, { recursive: true });
const file = path.join(base, 'file');
fs.writeFileSync(file, 'x');

const cases = [
  ['file', file],
  ['below-file', path.join(file, 'sub')],
  ['empty', ''],
  ['existing-dir', base],
  ['new-nested', path.join(base, 'a', 'b')],
  ['trailing-slash', path.join(base, 'c') + '/'],
];
for (const [name, p] of cases) {
  try {
    fs.mkdirSync(p, { recursive: true });
    console.log(`mkdir ${name} ok isDirectory=${fs.statSync(p).isDirectory()}`);
  } catch (err) {
    const shown = err.message.split(base).join('BASE');
    console.log(`mkdir ${name} threw ${err.code} ${err.syscall} "${shown}"`);
  }
}
fs.rmSync(base, { recursive: true, force: true });
