import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AU_NAMES, faceFrameSchema } from '../../src/events/schema.ts';
import { ActiveSpeaker } from '../../src/vision/activeSpeaker.ts';
import { FaceFrameEmitter } from '../../src/vision/faceFrameEmitter.ts';
import { buildLocalToken, LOCAL_TOKEN_DIM, LOCAL_TOKEN_LAYOUT } from '../../src/vision/localToken.ts';

const au = Object.fromEntries(AU_NAMES.map((n) => [n, 0.1])) as Record<(typeof AU_NAMES)[number], number>;

test('face.frame at 10 Hz from 30 fps results, schema-valid, valence from probs', () => {
  const em = new FaceFrameEmitter();
  const out = [];
  for (let f = 0; f < 30; f++) {
    const p = em.offer(f / 30, [
      {
        trackId: 0,
        box: { x: 1, y: 2, w: 30, h: 40 },
        score: 0.9,
        headPose: { yaw: 1, pitch: 2, roll: 3 },
        probs: [0, 1, 0, 0, 0, 0, 0],
        au,
      },
    ]);
    if (p) out.push(p);
  }
  assert.equal(out.length, 10);
  const e = { v: 1, type: 'face.frame', streamId: 's', room: 'r', seq: 0, wall: 0, ...out[1] };
  faceFrameSchema.parse(e);
  assert.ok(out[0].faces[0].valence > 0.5);
});

test('local token layout: AUs and clamped velocities land in their slots', () => {
  const net = (v: number) => ({
    probs: new Float32Array(7).fill(v),
    logits: new Float32Array(7).fill(v),
    embedding: new Float32Array(256).fill(v),
  });
  const expr = {
    emotion: net(1),
    faceExpression: net(2),
    probs: new Float32Array(7).fill(0.5),
    top: 'neutral' as const,
  };
  const au = new Float32Array(15).fill(0.25);
  const { token, t } = buildLocalToken(3, 1.5, expr, au, new Float32Array(15).fill(100), 0.4);
  assert.equal(token.length, LOCAL_TOKEN_DIM);
  assert.ok(Math.abs(token[LOCAL_TOKEN_LAYOUT.asymmetry[0]] - 0.4) < 1e-6);
  assert.equal(t, 1.5);
  assert.equal(token[LOCAL_TOKEN_LAYOUT.au[0]], 0.25);
  assert.equal(token[LOCAL_TOKEN_LAYOUT.auVelocity[0]], 10);
  assert.equal(token[LOCAL_TOKEN_LAYOUT.faceExpressionEmbedding[1] - 1], 2);
});

test('active speaker: the track whose mouth follows speech energy', () => {
  const as = new ActiveSpeaker();
  for (let f = 0; f < 60; f++) {
    const speech = Math.sin(f / 3) > 0 ? 1 : 0;
    as.push(
      speech,
      new Map([
        [1, speech * 0.05 + 0.001 * (f % 2)],
        [2, (0.02 * ((f * 7) % 5)) / 5],
      ]),
    );
  }
  assert.equal(as.speaker(), 1);
  assert.ok(as.correlation(1) > 0.9);
});
