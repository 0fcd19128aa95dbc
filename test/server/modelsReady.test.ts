import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { rootLogger } from '../../src/events/logger.ts';
import { DEFAULT_MODELS_DIR } from '../../src/model/modelBuild.ts';
import { buildServer } from '../../src/server/app.ts';
import { loadConfig } from '../../src/server/config.ts';
import { modelsReady } from '../../src/server/modelsReady.ts';

async function readyStatus(dir: string) {
  const server = await buildServer(loadConfig({}, { port: 0, modelsDir: dir }), rootLogger(), [modelsReady]);
  const { port } = await server.listen();
  try {
    const first = await fetch(`http://127.0.0.1:${port}/readyz`);
    assert.equal(first.status, 503, '/readyz is 503 while models load');
    for (let i = 0; i < 200; i++) {
      const r = await fetch(`http://127.0.0.1:${port}/readyz`);
      const body = (await r.json()) as { ready: boolean; pending: object; failed: Record<string, string> };
      if (r.status === 200 || Object.keys(body.failed).length) return { status: r.status, body };
      await new Promise((res) => setTimeout(res, 100));
    }
    throw new Error('models never became ready');
  } finally {
    await server.close();
  }
}

describe('models readiness at start', () => {
  it('turns ready once the built models are loaded and warmed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'microemo-models-'));
    try {
      cpSync(DEFAULT_MODELS_DIR, dir, { recursive: true });
      const { status, body } = await readyStatus(dir);
      assert.equal(status, 200);
      assert.equal(body.ready, true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('detects a corrupt model and rebuilds it before turning ready', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'microemo-models-'));
    try {
      cpSync(DEFAULT_MODELS_DIR, dir, { recursive: true });
      writeFileSync(join(dir, 'emotion.onnx'), 'garbage');
      const { status } = await readyStatus(dir);
      assert.equal(status, 200);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports a models folder that cannot be written as a failed readiness check', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'microemo-models-'));
    try {
      writeFileSync(join(parent, 'not-a-dir'), 'x');
      const { status, body } = await readyStatus(join(parent, 'not-a-dir', 'models'));
      assert.equal(status, 503);
      assert.match(body.failed.models, /not-a-dir/);
    } finally {
      rmSync(parent, { recursive: true, force: true });
    }
  });
});
