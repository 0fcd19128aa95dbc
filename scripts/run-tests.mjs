#!/usr/bin/env node
// Node 20's test runner does not expand globs, so the test files are listed here.
// Usage: npm test [-- <path-prefix>...]   e.g. npm test -- test/audio
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
function walk(dir, out) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith('.test.ts')) out.push(relative(root, p));
  }
  return out;
}
const filters = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const passthrough = process.argv.slice(2).filter((a) => a.startsWith('--'));
const files = walk(join(root, 'test'), [])
  .sort()
  .filter((f) => filters.length === 0 || filters.some((x) => f.startsWith(x.replace(/^\.\//, ''))));
if (files.length === 0) {
  console.error(`no test files match ${filters.join(' ')}`);
  process.exit(1);
}
const concurrency = process.env.TEST_CONCURRENCY ?? '1';
const child = spawn(
  process.execPath,
  // --test-force-exit: a test file whose library leaves handles open (werift peers keep sockets after close) must not
  // hang the run once its tests are done; --test-timeout bounds any single test.
  [
    '--import',
    'tsx',
    '--test',
    '--test-force-exit',
    '--test-timeout=240000',
    `--test-concurrency=${concurrency}`,
    ...passthrough,
    ...files,
  ],
  { stdio: 'inherit', cwd: root },
);
child.on('exit', (code, signal) => process.exit(signal ? 1 : (code ?? 1)));
