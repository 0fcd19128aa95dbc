import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EXPRESSION_CLASSES, expressionProbsSchema } from '../../src/events/schema.ts';
import { HUMAN_EMOTION_LABELS } from '../../src/model/modelBuild.ts';
import {
  EMOTION_CLASS_MAP,
  ensemble,
  expressionOptionsSchema,
  FACE_EXPRESSION_CLASS_MAP,
  probsRecord,
  topClass,
} from '../../src/vision/expression.ts';

describe('expression class mapping', () => {
  it("maps Human's emotion order (angry, disgust, fear, happy, sad, surprise, neutral) onto the project's", () => {
    const names = EMOTION_CLASS_MAP.map((i) => HUMAN_EMOTION_LABELS[i]);
    assert.deepEqual(names, ['neutral', 'happy', 'sad', 'angry', 'fear', 'disgust', 'surprise']);
  });

  it("keeps face-api's order, which is already the project's", () => {
    assert.deepEqual(FACE_EXPRESSION_CLASS_MAP, [0, 1, 2, 3, 4, 5, 6]);
  });
});

describe('ensemble', () => {
  const a = new Float32Array([0.7, 0.1, 0.05, 0.05, 0.05, 0.03, 0.02]);
  const b = new Float32Array([0.1, 0.6, 0.1, 0.05, 0.05, 0.05, 0.05]);

  it('is the mean of probabilities by default', () => {
    const opts = expressionOptionsSchema.parse({}).ensemble;
    const p = ensemble(a, b, opts);
    assert.ok(Math.abs(p[0] - 0.4) < 1e-6 && Math.abs(p[1] - 0.35) < 1e-6);
    assert.equal(topClass(p), 'neutral');
  });

  it('follows configured weights and the geometric rule', () => {
    const w = expressionOptionsSchema.parse({ ensemble: { weights: { emotion: 1, faceExpression: 3 } } }).ensemble;
    assert.equal(topClass(ensemble(a, b, w)), 'happy');
    const g = ensemble(a, b, { rule: 'logMean', weights: { emotion: 1, faceExpression: 1 } });
    assert.ok(Math.abs(g.reduce((s, v) => s + v, 0) - 1) < 1e-5);
    assert.ok(g[1] > g[2]);
  });

  it('gives schema-valid probability records', () => {
    const rec = probsRecord(ensemble(a, b, expressionOptionsSchema.parse({}).ensemble));
    assert.deepEqual(Object.keys(rec), [...EXPRESSION_CLASSES]);
    expressionProbsSchema.parse(rec);
  });
});
