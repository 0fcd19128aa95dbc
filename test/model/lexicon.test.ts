import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EMOTION_CLASSES, type EmotionProbs } from '../../src/events/schema.ts';
import { acousticCues, explain, LlmExplainer, visualCues } from '../../src/model/explanation.ts';
import { CLASS_VA, describe, LEXICON } from '../../src/model/lexicon.ts';

function onehot(c: (typeof EMOTION_CLASSES)[number]): EmotionProbs {
  return Object.fromEntries(EMOTION_CLASSES.map((k) => [k, k === c ? 1 : 0])) as EmotionProbs;
}

test('lexicon: ≥ 40 distinct words in [-1, 1]², every class reachable', () => {
  assert.ok(LEXICON.length >= 40, `${LEXICON.length} words`);
  assert.equal(new Set(LEXICON.map((e) => e.word)).size, LEXICON.length);
  for (const e of LEXICON) {
    assert.ok(Math.abs(e.valence) <= 1 && Math.abs(e.arousal) <= 1, e.word);
    assert.ok(Object.keys(e.affinity).length > 0, e.word);
  }
  for (const c of EMOTION_CLASSES)
    assert.ok(
      LEXICON.some((e) => (e.affinity[c] ?? 0) >= 0.9),
      c,
    );
  // circumplex sanity: happy pleasant, sad unpleasant and low arousal, angry/afraid unpleasant and aroused
  assert.ok(CLASS_VA.happy.valence > 0.5);
  assert.ok(CLASS_VA.sad.valence < -0.5 && CLASS_VA.sad.arousal < 0);
  assert.ok(CLASS_VA.angry.arousal > 0.5 && CLASS_VA.fearful.arousal > 0.5);
});

test('descriptors follow class and valence–arousal', () => {
  const happy = describe(onehot('happy'), CLASS_VA.happy);
  assert.equal(happy[0].word, 'happy');
  assert.ok(happy.every((d) => d.score > 0 && d.score <= 1));
  const sad = describe(onehot('sad'), CLASS_VA.sad);
  assert.ok(['sad', 'gloomy', 'depressed', 'miserable'].includes(sad[0].word), sad[0].word);
  const angry = describe(onehot('angry'), { valence: -0.7, arousal: 0.75 });
  assert.equal(angry[0].word, 'furious');
  assert.equal(describe(onehot('contempt'), CLASS_VA.contempt)[0].word, 'contemptuous');
  assert.equal(describe(onehot('neutral'), { valence: 0, arousal: 0 }, { top: 5 }).length, 5);
});

test('explanation cites the strongest facial action with duration and time, and pitch against baseline', () => {
  const samples = [];
  for (let i = 0; i < 120; i++) {
    const t = 10 + i / 30;
    const au = new Float32Array(15);
    // AU4 (index 2) and AU7 (index 5) active for 8 frames around 12.4 s
    if (t >= 12.3 && t < 12.3 + 8 / 30) {
      au[2] = 0.8;
      au[5] = 0.6;
    }
    samples.push({ t, au });
  }
  const vis = visualCues(samples);
  assert.equal(vis[0].action, 'brow lowering');
  assert.deepEqual(vis[0].aus, ['AU4', 'AU7']);
  assert.ok(Math.abs(vis[0].durationMs - 267) <= 40, `${vis[0].durationMs}`);
  assert.match(vis[0].text, /^a \d+ ms brow lowering \(AU4\+AU7\) at 12\.\d s$/);
  const frames = Array.from({ length: 20 }, (_, i) => ({ t: 10 + i * 0.032, f0: 130, db: -20 }));
  const ac = acousticCues(frames, { f0: 100, db: -20 });
  assert.equal(ac[0].text, 'pitch rose 30 % above baseline');
  const s = explain('angry', 0.72, { start: 10, end: 12 }, vis, ac);
  assert.match(
    s,
    /^angry \(72 %\): a \d+ ms brow lowering \(AU4\+AU7\) at 12\.\d s while pitch rose 30 % above baseline\.$/,
  );
  assert.match(explain('neutral', 0.5, { start: 1, end: 3 }, [], []), /steady expression over 2\.0 s from 1\.0 s/);
});

test('LLM rewrite: off by default; failure or slowness falls back to the template at once', async () => {
  const off = new LlmExplainer();
  assert.equal(await off.explain('T', { visual: [], acoustic: [] }, 'happy'), 'T');
  const failing = new LlmExplainer({ enabled: true, url: 'http://127.0.0.1:9/v1', waitMs: 1000 }, (async () => {
    throw new Error('refused');
  }) as typeof fetch);
  const t0 = performance.now();
  assert.equal(await failing.explain('T', { visual: ['a'], acoustic: [] }, 'sad'), 'T');
  assert.ok(performance.now() - t0 < 200);
  assert.equal(failing.failures, 1);
  const slow = new LlmExplainer(
    { enabled: true, url: 'http://x/v1', waitMs: 30, timeoutMs: 100 },
    ((_u: string, init: RequestInit) =>
      new Promise((_r, rej) =>
        init.signal?.addEventListener('abort', () => rej(new Error('aborted'))),
      )) as typeof fetch,
  );
  const t1 = performance.now();
  assert.equal(await slow.explain('T', { visual: [], acoustic: [] }, 'sad'), 'T');
  assert.ok(performance.now() - t1 < 90);
  const ok = new LlmExplainer(
    { enabled: true, url: 'http://x/v1' },
    (async () =>
      new Response(JSON.stringify({ choices: [{ message: { content: ' Prose. ' } }] }), {
        status: 200,
      })) as typeof fetch,
  );
  assert.equal(await ok.explain('T', { visual: [], acoustic: [] }, 'sad'), 'Prose.');
});
