/** Runs the `microemo` CLI (bin/microemo.mjs) as a child process and collects its exit code and output. */
import { spawn } from 'node:child_process';
import { PROJECT_ROOT } from './media.ts';

export function runCli(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn(process.execPath, ['bin/microemo.mjs', ...args], {
    cwd: PROJECT_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  return new Promise((r) => child.on('exit', (code) => r({ code, out, err })));
}
