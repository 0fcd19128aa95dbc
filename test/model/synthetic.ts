/**
 * Synthetic clip features for model tests: deterministic, class signal placed where the training-free defaults do
 * not look (the face-api embedding dims), so only training can find it.
 */
import type { ClipFeatures } from '../../src/model/coreModel.ts';
import { GLOBAL_BASE_DIM, LOCAL_INPUT, LOCAL_INPUT_DIM, PROSODY_INPUT_DIM } from '../../src/model/tokens.ts';
import { mulberry32 } from '../../src/model/weights.ts';

export function syntheticClip(label: number, seed: number, frames = 12, fps = 10): ClipFeatures {
  const rnd = mulberry32(seed);
  const locals = [];
  const globals = [];
  const prosody = [];
  for (let i = 0; i < frames; i++) {
    const t = 1 + i / fps;
    const tok = new Float32Array(LOCAL_INPUT_DIM);
    // uninformative expression probabilities
    for (let k = 0; k < 7; k++) tok[LOCAL_INPUT.probs[0] + k] = 1 / 7 + (rnd() - 0.5) * 0.05;
    for (let k = LOCAL_INPUT.au[0]; k < LOCAL_INPUT.au[1]; k++) tok[k] = rnd() * 0.2;
    // class signal in 8 embedding dims, noisy
    const e0 = LOCAL_INPUT.faceExpressionEmbedding[0];
    for (let k = 0; k < 8; k++) tok[e0 + k] = (k === label ? 1.5 : 0) + (rnd() - 0.5) * 0.6;
    locals.push({ t, token: tok });
    const g = new Float32Array(GLOBAL_BASE_DIM);
    for (let k = 0; k < 9; k++) g[k] = (rnd() - 0.5) * 0.2;
    globals.push({ t, token: g });
  }
  for (let i = 0; i < frames * 3; i++) {
    const p = new Float32Array(PROSODY_INPUT_DIM);
    p[0] = 0.9;
    p[1] = (rnd() - 0.5) * 0.5;
    prosody.push({ t: 1 + i / (fps * 3), token: p });
  }
  const end = 1 + (frames - 1) / fps;
  return {
    file: `syn_${label}_${seed}`,
    durationS: end + 0.5,
    locals,
    globals,
    prosody,
    utterances: [{ start: 1, end }],
  };
}
