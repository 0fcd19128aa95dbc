import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { AU_NAMES, EMOTION_CLASSES } from '../../src/events/schema.ts';
import { defaultWeights, seededWeights } from '../../src/model/defaultWeights.ts';
import { buildStepGraph, EncoderStream, GlobalLocalEncoder, KvRing } from '../../src/model/globalLocalEncoder.ts';
import { modelOptions, RESIDUAL } from '../../src/model/modelOptions.ts';
import { streamTimeVector } from '../../src/model/timeEncoding.ts';
import {
  GLOBAL_BASE_DIM,
  GLOBAL_INPUT,
  LOCAL_INPUT,
  LOCAL_INPUT_DIM,
  VISION_GLOBAL_DIM,
} from '../../src/model/tokens.ts';
import { mulberry32, serializeWeights } from '../../src/model/weights.ts';
import {
  GLOBAL_TOKEN_DIM,
  GLOBAL_TOKEN_LAYOUT,
  LOCAL_TOKEN_DIM,
  LOCAL_TOKEN_LAYOUT,
} from '../../src/vision/frameAnalyzer.ts';
import { PROJECT_ROOT } from '../harness/media.ts';

function tokens(n: number, faces: number, seed: number, globalEvery = 1) {
  const rnd = mulberry32(seed);
  const locals: { trackId: number; t: number; token: Float32Array }[] = [];
  const globals: { t: number; token: Float32Array }[] = [];
  for (let i = 0; i < n; i++) {
    const t = 3 + i / 25;
    if (i % globalEvery === 0)
      globals.push({ t, token: Float32Array.from({ length: GLOBAL_BASE_DIM }, () => rnd() - 0.5) });
    for (let f = 0; f < faces; f++) {
      const tok = Float32Array.from({ length: LOCAL_INPUT_DIM }, () => rnd() - 0.5);
      for (let k = 0; k < 7; k++) tok[k] = rnd() / 3;
      locals.push({ trackId: f, t, token: tok });
    }
  }
  return { locals, globals };
}

async function incremental(
  enc: GlobalLocalEncoder,
  locals: ReturnType<typeof tokens>['locals'],
  globals: ReturnType<typeof tokens>['globals'],
  capacity?: number,
) {
  const s = new EncoderStream(enc, capacity);
  const out = new Map<string, Float32Array>();
  const times = [...new Set(locals.map((l) => l.t))].sort((a, b) => a - b);
  for (const t of times) {
    const g = globals.find((x) => x.t === t);
    if (g) await s.addGlobal(g.t, g.token);
    for (const l of locals.filter((x) => x.t === t)) s.addLocal(l.trackId, l.t, l.token);
    for (const f of await s.advance(t)) out.set(`${f.trackId}@${f.t}`, f.fused);
  }
  for (const f of await s.flush()) out.set(`${f.trackId}@${f.t}`, f.fused);
  return out;
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

test('token contracts match the vision module layouts', () => {
  assert.equal(LOCAL_INPUT_DIM, LOCAL_TOKEN_DIM);
  assert.deepEqual(LOCAL_INPUT, LOCAL_TOKEN_LAYOUT);
  assert.equal(VISION_GLOBAL_DIM, GLOBAL_TOKEN_DIM);
  for (const k of Object.keys(GLOBAL_TOKEN_LAYOUT) as (keyof typeof GLOBAL_TOKEN_LAYOUT)[]) {
    assert.deepEqual(GLOBAL_INPUT[k], GLOBAL_TOKEN_LAYOUT[k], k);
  }
});

test('incremental encoding (ring of cached keys/values, one step per frame) equals encoding the whole window at once', async () => {
  for (const [name, w] of [
    ['default weights', defaultWeights()],
    ['seeded, 2 layers, ±1 s/0.5 s', seededWeights({ encoderLayers: 2, windowBeforeS: 1, windowAfterS: 0.5 }, 7, 0.05)],
  ] as const) {
    const enc = await GlobalLocalEncoder.create(w);
    // 2 faces, a global token on every 2nd frame only, 8 s at 25 fps (the ring wraps several times)
    const { locals, globals } = tokens(200, 2, 3, 2);
    const batch = await enc.encodeBatch(locals, globals);
    const inc = await incremental(enc, locals, globals);
    assert.equal(inc.size, locals.length);
    let worst = 0;
    locals.forEach((l, i) => {
      worst = Math.max(worst, maxDiff(batch[i], inc.get(`${l.trackId}@${l.t}`) as Float32Array));
    });
    assert.ok(worst < 1e-5, `${name}: max |incremental − batch| = ${worst}`);
    await enc.release();
  }
});

test('masks: globals outside every window, ring padding and empty windows do not change results', async () => {
  const w = seededWeights({}, 11, 0.05);
  const enc = await GlobalLocalEncoder.create(w);
  const { locals, globals } = tokens(40, 1, 5);
  const base = await enc.encodeBatch(locals, globals);
  // far-away global tokens (outside ±2 s of every local) are masked
  const far = [{ t: 100, token: globals[0].token }, ...globals, { t: 200, token: globals[1].token }].sort(
    (a, b) => a.t - b.t,
  );
  const withFar = await enc.encodeBatch(locals, far);
  for (let i = 0; i < base.length; i++) assert.ok(maxDiff(base[i], withFar[i]) < 1e-6);
  // a much larger ring (mostly empty, masked slots) gives the same fused tokens
  const big = await incremental(enc, locals, globals, 1000);
  for (const [i, l] of locals.entries()) assert.ok(maxDiff(base[i], big.get(`0@${l.t}`) as Float32Array) < 1e-5);
  // no global at all in the window = the local-only ablation (the null slot takes the attention)
  const alone = await enc.encodeBatch(locals.slice(0, 1), [{ t: 50, token: globals[0].token }]);
  const noGlobal = await enc.encodeBatch(locals.slice(0, 1), globals, { noGlobal: true });
  assert.ok(maxDiff(alone[0], noGlobal[0]) < 1e-6);
  await enc.release();
});

test('default weights: the fused token carries the evidence and the windowed global context', async () => {
  const w = defaultWeights();
  const o = w.options;
  const enc = await GlobalLocalEncoder.create(w);
  const tok = new Float32Array(LOCAL_INPUT_DIM);
  tok.set([0.1, 0.7, 0, 0, 0, 0, 0.2], 0); // happy
  tok[LOCAL_INPUT.au[0] + 4] = 0.8; // AU6
  tok[LOCAL_INPUT.au[0] + 7] = 0.9; // AU12
  const g1 = new Float32Array(GLOBAL_BASE_DIM);
  g1[0] = 0.2; // yaw
  g1[7] = 0.5; // scene motion
  const g2 = new Float32Array(GLOBAL_BASE_DIM);
  g2[0] = 0.4;
  g2[7] = 0.1;
  const [f] = await enc.encodeBatch(
    [{ t: 10, token: tok }],
    [
      { t: 9, token: g1 },
      { t: 11, token: g2 },
      { t: 13, token: g2 }, // outside the window
    ],
  );
  const tv = streamTimeVector(10, o);
  const R = RESIDUAL;
  assert.ok(Math.abs(f[R.probs[0] + 1] - 0.7) < 1e-6);
  assert.ok(Math.abs(f[R.expressive[0]] - 0.9) < 1e-6);
  // happy prototype: relu(0.4·0.8 + 0.6·0.9 − 0.1) = 0.76
  assert.ok(Math.abs(f[R.proto[0] + 1] - 0.76) < 1e-5);
  // windowed mean of yaw and motion over the 2 in-window globals (the null slot's weight is e⁻⁸-small)
  assert.ok(Math.abs(f[R.globalCtx[0]] - 0.3) < 1e-3, `${f[R.globalCtx[0]]}`);
  assert.ok(Math.abs(f[R.globalCtx[0] + 6] - 0.3) < 1e-3);
  // time dims hold the stream clock exactly
  for (let i = o.dModel - o.timeDims; i < o.dModel; i++) assert.ok(Math.abs(f[i] - tv[i]) < 1e-6);
  await enc.release();
});

test("default weights: the fear unit moves the nets' surprise to fear by AU4/AU20; contempt reads the one-sided pull", async () => {
  const enc = await GlobalLocalEncoder.create(defaultWeights());
  const R = RESIDUAL;
  const au = (name: string) => LOCAL_INPUT.au[0] + AU_NAMES.indexOf(name as (typeof AU_NAMES)[number]);
  const token = (aus: Record<string, number>, asymmetry = 0) => {
    const tok = new Float32Array(LOCAL_INPUT_DIM);
    tok.set([0.04, 0.02, 0.01, 0.01, 0.01, 0.01, 0.9], 0); // the nets: surprised
    for (const [k, v] of Object.entries(aus)) tok[au(k)] = v;
    tok[LOCAL_INPUT.asymmetry[0]] = asymmetry;
    return tok;
  };
  const g = [{ t: 10, token: new Float32Array(GLOBAL_BASE_DIM) }];
  const fused = async (tok: Float32Array) => (await enc.encodeBatch([{ t: 10, token: tok }], g))[0];
  const fear = EMOTION_CLASSES.indexOf('fearful');
  const surprised = EMOTION_CLASSES.indexOf('surprised');
  const contempt = EMOTION_CLASSES.indexOf('contempt');
  // AU1+2+4+20: m = min(0.9, (0.3 + 0.1) / 0.2) = 0.9 moves 3·0.9 from the surprised proto to the fearful one
  const f = await fused(token({ AU1: 0.6, AU2: 0.5, AU4: 0.3, AU20: 0.1 }));
  const fearProto = 0.2 * 0.6 + 0.15 * 0.5 + 0.25 * 0.3 + 0.1 * 0.1 - 0.1;
  const surpProto = 0.3 * 0.6 + 0.3 * 0.5 - 0.1;
  assert.ok(Math.abs(f[R.proto[0] + fear] - (fearProto + 2.7)) < 1e-4, `${f[R.proto[0] + fear]}`);
  assert.ok(Math.abs(f[R.proto[0] + surprised] - (surpProto - 2.7)) < 1e-4, `${f[R.proto[0] + surprised]}`);
  // a weak AU20 alone (half the trace level) moves half as much: m = 0.1 / 0.2 = 0.5
  const weak = await fused(token({ AU1: 0.6, AU2: 0.5, AU20: 0.1 }));
  const weakSurp = 0.3 * 0.6 + 0.3 * 0.5 - 0.1 - 1.5;
  assert.ok(Math.abs(weak[R.proto[0] + surprised] - weakSurp) < 1e-4, `${weak[R.proto[0] + surprised]}`);
  // AU1+2+5+26, no AU4/AU20: nothing moves; surprise's proto beats fear's
  const s = await fused(token({ AU1: 0.6, AU2: 0.6, AU5: 0.5, AU26: 0.8 }));
  const sSurp = 0.3 * 0.6 + 0.3 * 0.6 + 0.3 * 0.5 + 0.1 * 0.8 - 0.1;
  const sFear = 0.2 * 0.6 + 0.15 * 0.6 + 0.25 * 0.5 + 0.05 * 0.8 - 0.1;
  assert.ok(Math.abs(s[R.proto[0] + surprised] - sSurp) < 1e-4);
  assert.ok(Math.abs(s[R.proto[0] + fear] - sFear) < 1e-4);
  assert.ok(sSurp > sFear);
  // contempt: relu(asymmetry − 0.1); a symmetric lip-corner pull without cheek raise gives none
  const c = await fused(token({}, 0.8));
  assert.ok(Math.abs(c[R.asymmetry[0]] - 0.8) < 1e-6);
  assert.ok(Math.abs(c[R.proto[0] + contempt] - 0.7) < 1e-5, `${c[R.proto[0] + contempt]}`);
  const sym = await fused(token({ AU12: 0.9 }));
  assert.equal(sym[R.proto[0] + contempt], 0);
  await enc.release();
});

test('default weights and graphs are byte-identical across runs (and processes)', () => {
  const a = serializeWeights(defaultWeights());
  const b = serializeWeights(defaultWeights());
  assert.equal(a, b);
  assert.deepEqual(buildStepGraph(defaultWeights()), buildStepGraph(defaultWeights()));
  const hash = createHash('sha256').update(a).digest('hex');
  const child = execFileSync(
    process.execPath,
    [
      '--import',
      'tsx',
      '-e',
      "import('./src/model/defaultWeights.ts').then(async (d) => { const w = await import('./src/model/weights.ts'); const c = await import('node:crypto'); process.stdout.write(c.createHash('sha256').update(w.serializeWeights(d.defaultWeights())).digest('hex')); })",
    ],
    { cwd: PROJECT_ROOT, encoding: 'utf8' },
  );
  assert.equal(child.trim(), hash);
  assert.equal(modelOptions().dModel, 128);
  assert.ok(KvRing.capacityFor(modelOptions()) >= 4 * 60);
});
