import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { buildModels, MODEL_SPECS } from '../../src/model/modelBuild.ts';
import { assertModels, verifyModels } from '../../src/model/modelVerify.ts';
import { PROJECT_ROOT } from '../harness/media.ts';

describe('model build', () => {
  let a: string;
  let b: string;
  before(() => {
    a = mkdtempSync(join(tmpdir(), 'microemo-models-a-'));
    b = mkdtempSync(join(tmpdir(), 'microemo-models-b-'));
    buildModels({ outDir: a });
    buildModels({ outDir: b });
  });
  after(() => {
    rmSync(a, { recursive: true, force: true });
    rmSync(b, { recursive: true, force: true });
  });

  it('writes every model plus a manifest, and two builds are byte-identical', () => {
    const files = readdirSync(a).sort();
    assert.deepEqual(files, [...MODEL_SPECS.map((s) => `${s.name}.onnx`), 'manifest.json'].sort());
    for (const f of files) assert.ok(readFileSync(join(a, f)).equals(readFileSync(join(b, f))), `${f} differs`);
    const m = JSON.parse(readFileSync(join(a, 'manifest.json'), 'utf8'));
    assert.equal(m.models.emotion.source.package, '@vladmandic/human');
    assert.match(m.models.emotion.source.version, /^\d+\.\d+\.\d+$/);
    assert.deepEqual(
      m.models.faceexpression.outputs.map((o: { name: string }) => o.name),
      ['probs', 'logits', 'embedding'],
    );
    assert.match(m.models.faceres.sha256, /^[0-9a-f]{64}$/);
  });

  it('manifest inputs/outputs match what onnxruntime sees in each file', async () => {
    const m = JSON.parse(readFileSync(join(a, 'manifest.json'), 'utf8'));
    for (const [name, e] of Object.entries<{ file: string; inputs: { name: string }[]; outputs: { name: string }[] }>(
      m.models,
    )) {
      const s = await ort.InferenceSession.create(join(a, e.file));
      assert.deepEqual(
        s.inputNames,
        e.inputs.map((i) => i.name),
        `${name} inputs`,
      );
      assert.deepEqual(
        s.outputNames,
        e.outputs.map((o) => o.name),
        `${name} outputs`,
      );
      await s.release();
    }
  });

  it('verify passes on a fresh build and names a corrupt and a missing file', () => {
    assert.equal(verifyModels(a).ok, true);
    assert.ok(assertModels(a).models.blazeface);
    appendFileSync(join(b, 'iris.onnx'), 'x');
    unlinkSync(join(b, 'liveness.onnx'));
    const r = verifyModels(b);
    assert.equal(r.ok, false);
    assert.deepEqual(
      r.problems.map((p) => [p.model, p.kind]),
      [
        ['iris', 'corrupt'],
        ['liveness', 'missing'],
      ],
    );
    assert.throws(() => assertModels(b), /iris\.onnx is corrupt.*liveness\.onnx is missing/);
    const none = verifyModels(join(b, 'nowhere'));
    assert.equal(none.ok, false);
    assert.match(none.problems[0].message, /manifest\.json is missing/);
  });

  it('verify reports models built from another package version as stale', () => {
    const c = mkdtempSync(join(tmpdir(), 'microemo-models-c-'));
    try {
      buildModels({ outDir: c, only: ['emotion'] });
      const path = join(c, 'manifest.json');
      const m = JSON.parse(readFileSync(path, 'utf8'));
      m.models.emotion.source.version = '0.0.1';
      writeFileSync(path, JSON.stringify(m));
      const r = verifyModels(c, ['emotion']);
      assert.deepEqual(
        r.problems.map((p) => p.kind),
        ['stale'],
      );
      assert.match(r.problems[0].message, /built from @vladmandic\/human@0\.0\.1/);
    } finally {
      rmSync(c, { recursive: true, force: true });
    }
  });

  it('`microemo models verify` exits non-zero with a one-line reason', () => {
    const r = spawnSync(process.execPath, ['bin/microemo.mjs', 'models', 'verify', '--dir', b], {
      cwd: PROJECT_ROOT,
      encoding: 'utf8',
    });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^microemo: models in .* are not usable: .*iris\.onnx is corrupt/);
  });
});
