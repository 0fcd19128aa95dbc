#!/usr/bin/env node
// npm run bench -- <suite> [args]: runs bench/<suite>.bench.ts. Every suite prints readable lines and, as its
// last line, one JSON object {"suite": "<name>", "metrics": {...}}.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const suites = readdirSync(join(root, 'bench'))
  .filter((f) => f.endsWith('.bench.ts'))
  .map((f) => f.replace(/\.bench\.ts$/, ''))
  .sort();
const [suite, ...args] = process.argv.slice(2);
if (!suite || !existsSync(join(root, 'bench', `${suite}.bench.ts`))) {
  console.error(`usage: npm run bench -- <suite> [args]\nsuites: ${suites.join(', ')}`);
  process.exit(2);
}
const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'bench', `${suite}.bench.ts`), ...args], {
  stdio: 'inherit',
  cwd: root,
});
child.on('exit', (code, signal) => process.exit(signal ? 1 : (code ?? 1)));
