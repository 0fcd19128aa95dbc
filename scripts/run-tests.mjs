#!/usr/bin/env node
// Runs the test files one by one, each in its own `node` process with a TAP reporter, and sums their results.
// Usage: npm test [-- <path-prefix>...]   e.g. npm test -- test/audio
//
// Why not one `node --test` over all files: its parent process reads each file's results as V8-serialised frames
// from the child's stdout, and Node 20's reader loops forever when that stream holds bytes that look like a frame
// header without a whole frame (nodejs/node#62693, fixed only in later majors): twice here a full run hung at
// 60–80 % CPU after a file had reported, ignoring SIGTERM. A file run on its own prints plain TAP, which we only
// scan for its summary. Each file also gets a wall-clock limit, so nothing can hang a run.
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

/** a file's whole run may take this long (its tests are bounded by --test-timeout; this catches a hung process) */
const FILE_LIMIT_MS = 15 * 60 * 1000;
const totals = { tests: 0, pass: 0, fail: 0, skipped: 0, todo: 0, cancelled: 0 };
const failedFiles = [];
const t0 = Date.now();

function runFile(file) {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      // --test-force-exit: a file whose library leaves handles open (werift peers keep sockets after close) must
      // not hang once its tests are done; --test-timeout bounds any single test.
      ['--import', 'tsx', '--test-reporter=tap', '--test-force-exit', '--test-timeout=240000', ...passthrough, file],
      { stdio: ['ignore', 'pipe', 'inherit'], cwd: root },
    );
    const summary = {};
    let carry = '';
    child.stdout.on('data', (d) => {
      process.stdout.write(d);
      const lines = (carry + d.toString('utf8')).split('\n');
      carry = lines.pop() ?? '';
      for (const line of lines) {
        const m = /^# (tests|pass|fail|skipped|todo|cancelled) (\d+)$/.exec(line);
        if (m) summary[m[1]] = Number(m[2]);
      }
    });
    const timer = setTimeout(() => {
      console.log(`# ${file}: still running after ${FILE_LIMIT_MS / 60000} min — killed`);
      child.kill('SIGKILL');
    }, FILE_LIMIT_MS);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      for (const k of Object.keys(totals)) totals[k] += summary[k] ?? 0;
      if (code !== 0 || signal || summary.tests === undefined) failedFiles.push(`${file} (exit ${signal ?? code})`);
      resolve();
    });
  });
}

for (const file of files) {
  console.log(`# file: ${file}`);
  await runFile(file);
}
const s = Math.round((Date.now() - t0) / 1000);
console.log(`# all files: ${files.length}, ${s} s`);
for (const [k, v] of Object.entries(totals)) console.log(`# total ${k} ${v}`);
if (failedFiles.length) {
  console.log(`# failed files:\n${failedFiles.map((f) => `#   ${f}`).join('\n')}`);
  process.exit(1);
}
