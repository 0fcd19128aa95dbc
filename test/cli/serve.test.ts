import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { PROJECT_ROOT } from '../harness/media.ts';

function runCli(args: string[], env: Record<string, string> = {}) {
  return spawn(process.execPath, ['bin/microemo.mjs', ...args], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

describe('microemo serve (npm start)', () => {
  it('exits non-zero naming the bad key', async () => {
    const child = runCli(['--port', 'abc']);
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    const code = await new Promise((r) => child.on('exit', r));
    assert.equal(code, 2);
    assert.match(err, /invalid configuration port/);
  });

  it('serves /healthz within 5 s and leaves no process after SIGTERM', async () => {
    const started = Date.now();
    const child = runCli(['--port', '0', '--log-level', 'info']);
    let out = '';
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout.on('data', (d) => {
        out += d;
        const m = /"port":(\d+),"msg":"MicroEmo listening/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      child.on('exit', (c) => reject(new Error(`exited ${c}: ${out}`)));
    });
    const r = await fetch(`http://127.0.0.1:${port}/healthz`);
    assert.equal(r.status, 200);
    assert.ok(Date.now() - started < 5000, `healthz took ${Date.now() - started} ms`);
    const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    child.kill('SIGTERM');
    const t0 = Date.now();
    assert.equal(await exited, 0);
    assert.ok(Date.now() - t0 < 5000);
    assert.throws(() => process.kill(child.pid!, 0), /ESRCH/);
  });
});
