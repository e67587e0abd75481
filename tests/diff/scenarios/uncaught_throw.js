'use strict';
// Scenario uncaught_throw: an exception thrown by a callback and caught by nobody.
//
// A timer callback throws an Error that carries a `code` property (as the lesson 04
// client rethrows the send error). Node prints the uncaught exception on stderr and
// exits with status 1; a later timer never runs. The report starts with a header
// naming the throwing file and line, the source line and a caret under the throw;
// the kit has no source positions at run time, so its header differs: a KNOWN
// DIFFERENCE, normalised by an explicit rule in tests/integration/diff.test.js
// (docs/differences.md, "uncaught-exception header"). Everything after the header
// is compared.
// @diff known uncaught-exception-header
setTimeout(() => {
  console.log('timer 1 throws');
  const err = new Error('boom');
  err.code = 'E_BOOM';
  throw err;
}, 1);
setTimeout(() => console.log('timer 2 (never printed)'), 20);
