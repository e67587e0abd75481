#!/usr/bin/env node
'use strict';
// validate.js: check JSON values against tests/trace/trace.schema.json.
//
//   node tests/trace/validate.js TRACE.jsonl...    every line of each file; exit 1 on the first bad one
//   const { validate, loadSchema } = require('./validate');
//   validate(schema, value)                        -> [] or ['$.fds[0].events: ...', ...]
//
// A small JSON Schema (2020-12) validator for the keywords trace.schema.json uses, and
// only those: type, enum, const, minimum, minLength, pattern, required, properties,
// additionalProperties (false), items, oneOf and local $ref ("#/$defs/name"). Any other
// keyword in the schema is refused with an error, so the schema cannot come to rely on
// one that this file would silently skip. (A dependency such as ajv would do the same;
// forty lines keep `make test`'s npm install as it is.)

const fs = require('node:fs');
const path = require('node:path');

const SCHEMA_PATH = path.join(__dirname, 'trace.schema.json');
const ANNOTATIONS = new Set(['$schema', '$id', '$defs', 'title', 'description']);
const KEYWORDS = new Set(['type', 'enum', 'const', 'minimum', 'minLength', 'pattern', 'required',
  'properties', 'additionalProperties', 'items', 'oneOf', '$ref']);

function loadSchema(file = SCHEMA_PATH) {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

function typeOf(v) {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;  // string, boolean, object
}

function resolve(root, ref) {
  const m = /^#\/\$defs\/([A-Za-z0-9_]+)$/.exec(ref);
  if (!m || !root.$defs || !(m[1] in root.$defs)) throw new Error(`schema: unsupported or unknown $ref ${ref}`);
  return root.$defs[m[1]];
}

// The errors of `value` against `schema` (a sub-schema of `root`), each prefixed by `at`.
function check(root, schema, value, at) {
  for (const k of Object.keys(schema)) {
    if (!KEYWORDS.has(k) && !ANNOTATIONS.has(k)) throw new Error(`schema: keyword '${k}' at ${at} is not implemented by validate.js`);
  }
  if (schema.$ref) return check(root, resolve(root, schema.$ref), value, at);
  const errors = [];
  const type = typeOf(value);
  if (schema.type !== undefined) {
    const types = [].concat(schema.type);
    const ok = types.includes(type) || (type === 'integer' && types.includes('number'));
    if (!ok) return [`${at}: ${JSON.stringify(value)} is ${type}, not ${types.join(' or ')}`];
  }
  if (schema.const !== undefined && value !== schema.const) {
    errors.push(`${at}: ${JSON.stringify(value)} is not ${JSON.stringify(schema.const)}`);
  }
  if (schema.enum !== undefined && !schema.enum.includes(value)) {
    errors.push(`${at}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`);
  }
  if (schema.minimum !== undefined && typeof value === 'number' && value < schema.minimum) {
    errors.push(`${at}: ${value} is below ${schema.minimum}`);
  }
  if (typeof value === 'string') {
    if (schema.minLength !== undefined && [...value].length < schema.minLength) errors.push(`${at}: shorter than ${schema.minLength}`);
    if (schema.pattern !== undefined && !new RegExp(schema.pattern, 'u').test(value)) {
      errors.push(`${at}: ${JSON.stringify(value)} does not match /${schema.pattern}/`);
    }
  }
  if (type === 'object') {
    for (const name of schema.required || []) {
      if (!Object.hasOwn(value, name)) errors.push(`${at}: '${name}' is missing`);
    }
    const props = schema.properties || {};
    for (const [name, v] of Object.entries(value)) {
      if (Object.hasOwn(props, name)) errors.push(...check(root, props[name], v, `${at}.${name}`));
      else if (schema.additionalProperties === false) errors.push(`${at}: '${name}' is not allowed here`);
    }
  }
  if (type === 'array' && schema.items !== undefined) {
    value.forEach((v, i) => errors.push(...check(root, schema.items, v, `${at}[${i}]`)));
  }
  if (schema.oneOf !== undefined) {
    const results = schema.oneOf.map((s) => check(root, s, value, at));
    const matches = results.filter((r) => r.length === 0).length;
    if (matches > 1) errors.push(`${at}: matches ${matches} of oneOf's schemas, not exactly one`);
    // None: report the branch that came closest (for a record, the one of its "ev").
    if (matches === 0) errors.push(...results.reduce((a, b) => (b.length < a.length ? b : a)));
  }
  return errors;
}

/// The errors of `value` against `schema` (empty: valid).
function validate(schema, value) {
  return check(schema, schema, value, '$');
}

// Every line of a JSONL file: [] or ['file:line: error', ...] (stops at 20).
function validateFile(schema, file) {
  const errors = [];
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  lines.forEach((line, i) => {
    if (errors.length >= 20) return;
    let value;
    try {
      value = JSON.parse(line);
    } catch (e) {
      errors.push(`${file}:${i + 1}: not JSON: ${e.message}`);
      return;
    }
    for (const e of validate(schema, value)) errors.push(`${file}:${i + 1}: ${e}`);
  });
  return errors;
}

module.exports = { loadSchema, validate, validateFile, SCHEMA_PATH };

if (require.main === module) {
  const files = process.argv.slice(2);
  if (files.length === 0) {
    console.error('usage: node tests/trace/validate.js TRACE.jsonl...');
    process.exit(2);
  }
  const schema = loadSchema();
  let bad = 0;
  for (const file of files) {
    const errors = validateFile(schema, file);
    for (const e of errors) console.error(e);
    if (errors.length > 0) bad++;
    else console.log(`${file}: valid`);
  }
  process.exit(bad > 0 ? 1 : 0);
}
