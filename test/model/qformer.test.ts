import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EMOTION_CLASSES, emotionSchema } from '../../src/events/schema.ts';
import { CoreModel, contextIndices, frameMeanProbs, spanMemories } from '../../src/model/coreModel.ts';
import { defaultWeights, seededWeights } from '../../src/model/defaultWeights.ts';
import { argmaxClass } from '../../src/model/emotionHead.ts';
import { modelOptionsSchema } from '../../src/model/modelOptions.ts';
import { GLOBAL_BASE_DIM, LOCAL_INPUT, LOCAL_INPUT_DIM, PROSODY_INPUT_DIM } from '../../src/model/tokens.ts';
import { UtteranceEmotionStage, type VisionInput } from '../../src/model/utteranceEmotion.ts';
import { VideoQFormer } from '../../src/model/videoQFormer.ts';
import { mulberry32 } from '../../src/model/weights.ts';

const AU = (name: string) =>
  [
    'AU1',
    'AU2',
    'AU4',
    'AU5',
    'AU6',
    'AU7',
    'AU9',
    'AU12',
    'AU15',
    'AU17',
    'AU20',
    'AU23',
    'AU25',
    'AU26',
    'AU45',
  ].indexOf(name);

/** A face token: expression probabilities (7, EXPRESSION order), some AUs and the one-sided lip-corner pull. */
function face(probs: number[], aus: Record<string, number> = {}, asymmetry = 0): Float32Array {
  const t = new Float32Array(LOCAL_INPUT_DIM);
  t.set(probs, LOCAL_INPUT.probs[0]);
  for (const [k, v] of Object.entries(aus)) t[LOCAL_INPUT.au[0] + AU(k)] = v;
  t[LOCAL_INPUT.asymmetry[0]] = asymmetry;
  return t;
}
const NEUTRAL = [0.9, 0.02, 0.02, 0.02, 0.02, 0.01, 0.01];
const ANGRY = [0.1, 0.02, 0.05, 0.75, 0.03, 0.03, 0.02];

test('Q-Former: padding rows and prosody padding do not change the query tokens', async () => {
  const w = seededWeights({}, 5, 0.05);
  const q = await VideoQFormer.create(w);
  const rnd = mulberry32(9);
  const fused = Array.from({ length: 17 }, (_, i) => ({
    t: 2 + i / 25,
    token: Float32Array.from({ length: 128 }, () => rnd() - 0.5),
  }));
  const prosody = Array.from({ length: 9 }, (_, i) => ({
    t: 2 + i * 0.032,
    token: Float32Array.from({ length: PROSODY_INPUT_DIM }, () => rnd() - 0.5),
  }));
  const mem = { fused, prosody, origin: 2, extra: [fused[3].token] };
  const a = await q.run(mem);
  const b = await q.run(mem, { n: 64, p: 40 });
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  assert.ok(d < 1e-6, `padding changed the tokens by ${d}`);
  // no prosody at all = prosody rows fully masked
  const c = await q.run({ ...mem, prosody: [] });
  const e = await q.run({ ...mem, prosody: [] }, { p: 12 });
  for (let i = 0; i < c.length; i++) assert.ok(Math.abs(c[i] - e[i]) < 1e-6);
  await q.release();
});

test('span memories: utterance = tokens inside the span; context thinned to ≤ contextHz with the newest kept', () => {
  const fused = Array.from({ length: 300 }, (_, i) => ({ t: i / 30, fused: new Float32Array(4) }));
  const { utt, ctx } = spanMemories(
    { fused, prosody: [], summary: new Float32Array(4) },
    { start: 2, end: 4 },
    { contextS: 30, contextHz: 10 },
  );
  assert.equal(utt.fused.length, 61);
  assert.ok(utt.fused.every((f) => f.t >= 2 - 1e-9 && f.t <= 4 + 1e-9));
  assert.equal(ctx.extra?.length, 1);
  const idx = contextIndices(
    fused.map((f) => f.t),
    9.9,
    { contextS: 30, contextHz: 10 },
  );
  assert.ok(idx.length <= 100 && idx.length >= 95, `${idx.length}`);
  assert.equal(idx[idx.length - 1], 297);
});

test('default model: attends to expressive frames (a brief angry display with AU4 in a mostly neutral utterance)', async () => {
  const m = await CoreModel.create(defaultWeights());
  const locals = [];
  const globals = [];
  for (let i = 0; i < 75; i++) {
    const t = 1 + i / 25;
    const angry = i >= 30 && i < 50; // 0.8 s of 3 s
    locals.push({ t, token: angry ? face(ANGRY, { AU4: 0.7, AU7: 0.5, AU5: 0.3 }) : face(NEUTRAL) });
    globals.push({ t, token: new Float32Array(GLOBAL_BASE_DIM) });
  }
  const clip = { file: 'x', durationS: 4, locals, globals, prosody: [], utterances: [{ start: 1, end: 4 }] };
  const mean = frameMeanProbs(locals);
  assert.equal(argmaxClass(mean), 'neutral');
  const full = await m.scoreClip(clip, 'full');
  assert.ok(full);
  assert.equal(argmaxClass(full), 'angry', `full model: ${Array.from(full).map((x) => x.toFixed(2))}`);
  // a steady happy face stays happy; a neutral one neutral
  const happy = await m.scoreClip({
    ...clip,
    locals: locals.map((l) => ({
      t: l.t,
      token: face([0.05, 0.85, 0.02, 0.02, 0.02, 0.02, 0.02], { AU6: 0.6, AU12: 0.8 }),
    })),
  });
  assert.equal(argmaxClass(happy as Float32Array), 'happy');
  const neutral = await m.scoreClip({ ...clip, locals: locals.map((l) => ({ t: l.t, token: face(NEUTRAL) })) });
  assert.equal(argmaxClass(neutral as Float32Array), 'neutral');
  await m.release();
});

test('default model: fear or surprise by the AUs they do not share (AU4, AU20); contempt from the one-sided pull', async () => {
  const m = await CoreModel.create(defaultWeights());
  const score = async (token: Float32Array) => {
    const locals = Array.from({ length: 50 }, (_, i) => ({ t: 1 + i / 25, token }));
    const globals = locals.map((l) => ({ t: l.t, token: new Float32Array(GLOBAL_BASE_DIM) }));
    const clip = { file: 'x', durationS: 3, locals, globals, prosody: [], utterances: [{ start: 1, end: 3 }] };
    return (await m.scoreClip(clip, 'full')) as Float32Array;
  };
  const at = (p: Float32Array, c: string) => p[EMOTION_CLASSES.indexOf(c as (typeof EMOTION_CLASSES)[number])];
  const show = (p: Float32Array) => Array.from(p, (x) => x.toFixed(2)).join(' ');
  // the nets read both faces as surprise (face-api almost never outputs fear)
  const SURPRISED = [0.04, 0.02, 0.01, 0.01, 0.01, 0.01, 0.9];
  const surprise = await score(face(SURPRISED, { AU1: 0.6, AU2: 0.6, AU5: 0.5, AU26: 0.8 }));
  assert.equal(argmaxClass(surprise), 'surprised', show(surprise));
  assert.ok(at(surprise, 'surprised') > 10 * at(surprise, 'fearful'), show(surprise));
  const fear = await score(face(SURPRISED, { AU1: 0.6, AU2: 0.5, AU4: 0.3, AU5: 0.4, AU20: 0.3, AU26: 0.6 }));
  assert.equal(argmaxClass(fear), 'fearful', show(fear));
  // the AUs alone, the nets undecided: 1+2+4+20 → fear above surprise, 1+2+5+26 → surprise above fear
  const FLAT = [1 / 7, 1 / 7, 1 / 7, 1 / 7, 1 / 7, 1 / 7, 1 / 7];
  const fearAus = await score(face(FLAT, { AU1: 0.8, AU2: 0.8, AU4: 0.8, AU20: 0.8 }));
  assert.ok(at(fearAus, 'fearful') > at(fearAus, 'surprised'), show(fearAus));
  const surpAus = await score(face(FLAT, { AU1: 0.8, AU2: 0.8, AU5: 0.8, AU26: 0.8 }));
  assert.ok(at(surpAus, 'surprised') > at(surpAus, 'fearful'), show(surpAus));
  // contempt: the nets unsure between neutral and happy (they have no contempt class); a one-sided pull makes it
  // contempt, a symmetric lip-corner pull without cheek raise does not
  const UNSURE = [0.35, 0.3, 0.05, 0.06, 0.08, 0.1, 0.06];
  const plain = await score(face(UNSURE));
  const pull = await score(face(UNSURE, { AU12: 0.6 }, 1));
  assert.equal(argmaxClass(pull), 'contempt', show(pull));
  const sym = await score(face(UNSURE, { AU12: 0.6 }));
  assert.ok(at(sym, 'contempt') <= at(plain, 'contempt') + 1e-6, `${show(sym)} vs ${show(plain)}`);
  await m.release();
});

function vision(t: number, faces: { id: number; token: Float32Array; mouth: number }[]): VisionInput {
  const g = new Float32Array(60);
  return {
    t,
    faces: faces.map((f) => ({ trackId: f.id, box: { w: 0.2, h: 0.3 } })),
    localTokens: faces.map((f) => ({ trackId: f.id, token: f.token })),
    globalToken: g,
    mouthActivity: faces.map((f) => ({ trackId: f.id, value: f.mouth })),
  };
}

test('utterance emotion stage: partials every second, a valid final at the end, windowed events for the listener', async () => {
  const m = await CoreModel.create(defaultWeights());
  const stage = new UtteranceEmotionStage(m, { windowS: 4 });
  const events = [];
  const envelope = { v: 1, type: 'emotion', streamId: 's', room: 'r', seq: 0, wall: 0 };
  const rnd = mulberry32(1);
  const pcm = (t: number) =>
    Float32Array.from(
      { length: 1600 },
      (_, i) => 0.3 * Math.sin((2 * Math.PI * 140 * (t * 16000 + i)) / 16000) + (rnd() - 0.5) * 0.01,
    );
  stage.onAudio({ kind: 'utterance.start', t: 1.2, utteranceId: 'u1', start: 1 });
  let fin: Awaited<ReturnType<typeof stage.finalize>> = [];
  for (let i = 0; i < 150; i++) {
    const t = i / 30;
    const speaking = t >= 1 && t <= 4;
    stage.onPcm(pcm(t).subarray(0, 533), t);
    stage.onVision(
      vision(t, [
        {
          id: 0,
          token: speaking && t > 2 ? face(ANGRY, { AU4: 0.8, AU7: 0.6 }) : face(NEUTRAL),
          mouth: speaking ? 0.05 : 0,
        },
        { id: 1, token: face([0.1, 0.8, 0.02, 0.02, 0.02, 0.02, 0.02], { AU6: 0.5, AU12: 0.7 }), mouth: 0 },
      ]),
    );
    if (i === 135) {
      stage.onAudio({ kind: 'utterance.end', t, utteranceId: 'u1', start: 1, end: 4 });
      fin = await stage.finalize({ utteranceId: 'u1', start: 1, end: 4, trackId: null, t });
      events.push(...fin);
    }
    events.push(...(await stage.due(t)));
  }
  for (const e of events) emotionSchema.parse({ ...envelope, ...e });
  const partials = events.filter((e) => e.utteranceId === 'u1' && !e.final);
  assert.ok(partials.length >= 2 && partials.length <= 3, `${partials.length} partials`);
  assert.equal(fin.length, 1);
  const f = fin[0];
  assert.equal(f.final, true);
  assert.equal(f.trackId, 0, 'the speaker is the face whose mouth moves');
  assert.equal(f.label, 'angry');
  assert.ok(Math.abs(EMOTION_CLASSES.reduce((a, c) => a + f.probs[c], 0) - 1) < 1e-3);
  assert.ok(f.valence < 0 && f.arousal > 0);
  assert.ok(f.descriptors.length === 3);
  assert.match(f.explanation, /^angry \(\d+ %\): a \d+ ms brow lowering \(AU4\+AU7\) at \d+\.\d s/);
  const listener = events.filter((e) => e.utteranceId === null);
  assert.ok(
    listener.length >= 1 && listener.every((e) => e.trackId === 1 && e.label === 'happy'),
    JSON.stringify(listener.map((e) => [e.trackId, e.label])),
  );
  await stage.close();
  await m.release();
});

test('options are validated (zod) with documented defaults', () => {
  const o = modelOptionsSchema.parse({});
  assert.deepEqual(
    [o.dModel, o.heads, o.queries, o.encoderLayers, o.qformerLayers, o.windowBeforeS, o.windowAfterS],
    [128, 4, 8, 1, 1, 2, 2],
  );
  assert.throws(() => modelOptionsSchema.parse({ dModel: 130 }), /multiple of heads/);
});
