/**
 * Default weights: a deterministic, training-free initialisation that routes the pretrained expression nets'
 * evidence and FACS action-unit evidence through the encoder, Q-Former and head, so the model is useful before any
 * training. Same options → byte-identical weights (no randomness except a fixed-seed PRNG for configurations the
 * routing does not fit).
 *
 * The routing (residual-stream dims in modelOptions.ts RESIDUAL; dh = D / heads):
 *  1. Projections copy evidence into named dims: the local token's ensemble probabilities → probs, 1 − p(neutral)
 *     → expressive, AU intensities → au, AU velocities / 10 → auVelocity, the one-sided lip-corner pull →
 *     asymmetry, a type flag; the global token's head pose,
 *     face position and motion → globalCtx; the prosody features → prosody.
 *  2. Encoder: every head of a local token scores 8 on every global token of its window (query from the local
 *     type flag, key from the global type flag) → uniform attention over the window; values/output copy the
 *     globalCtx dims, so each fused token carries the windowed mean head pose, position and motion. The FFN computes
 *     one ReLU unit per FACS prototype, relu(Σ_a w_a·AU_a − 0.1), into the proto dims, and |velocity| units summed
 *     into dynamics.
 *     FACS prototypes (weights; DESIGN.md: mouth AUs follow speech, AU4 / AU1-2-5 / AU15 carry the real signal, so
 *     brow and eye AUs weigh most): happy AU6 .4 + AU12 .6 · sad AU1 .25 + AU4 .25 + AU15 .5 · surprised AU1 .3 +
 *     AU2 .3 + AU5 .3 + AU26 .1 · fearful AU1 .2 + AU2 .15 + AU4 .25 + AU5 .25 + AU20 .1 + AU26 .05 · angry AU4 .5 +
 *     AU5 .15 + AU7 .2 + AU23 .15 · disgusted AU9 .5 + AU4 .3 + AU15 .2 (AU10 is not estimated) · contempt
 *     asymmetry 1: the one-sided lip-corner pull (unilateral AU12/AU14, src/vision/actionUnits.ts
 *     lipCornerAsymmetry, measured against the track's neutral so a crooked mouth is identity, not contempt) is the
 *     whole of EMFACS' contempt (R12A+R14A, L12A+L14A, unilateral 14: Ekman & Friesen 1986; Matsumoto 1992); a
 *     symmetric smile reads 0 there. (Before the token carried the asymmetry, contempt stood in as AU12 .6 − AU6 .6,
 *     a lip-corner pull without cheek raise — which is also every talking or polite smile.)
 *     Happy needs AU12: every EMFACS happiness prototype has the lip-corner puller, so where the nets say happy but
 *     the mesh shows no lip-corner pull, half of their happy evidence is withdrawn — one more FFN unit
 *     relu(p_happy − 2·AU12) (zero once AU12 ≥ p_happy / 2) written at −HAPPY_WITHOUT_AU12 into the happy proto
 *     dim; with λ = 2 that is −3 = −T/2 logits per unit of p_happy, half the nets' own weight (they read happiness
 *     best of all classes, DESIGN.md, so not all of it). While speaking the AU12 in the token is damped (×0.3,
 *     actionUnits.ts), so a talking smile keeps most but not all of its happy evidence.
 *     Fear or surprise is decided by the AUs the two do not share: EMFACS' surprise is AU1+AU2+AU5B+AU26/27 with no
 *     brow lowering and no lip stretch, its fear AU1+AU2+AU4(+AU5, AU7)+AU20(+AU25/26) (variants 1+2+4, 5+20; Du,
 *     Tao & Martinez 2014 keep AU4 and AU20 for "fearful" against 1+2+25+26 for "surprised"). The nets read the
 *     shared raised-brow, wide-eyed face as surprise (face-api almost never outputs fear, DESIGN.md), so their surprise
 *     is evidence of that shared face, and AU4 or AU20 present says which: two FFN units compute
 *     m = min(p_surprised, F / FEAR_AU_TRACE), F = AU4 + AU20, as relu(p_s) − relu(p_s − F / FEAR_AU_TRACE), and
 *     write +FEAR_FROM_SURPRISE·m into the fearful proto dim and −FEAR_FROM_SURPRISE·m into the surprised one.
 *     FEAR_AU_TRACE = 0.2: FACS scores an AU from its trace level A, the first of its five intensity steps A–E, the
 *     first fifth of the 0..1 scale (actionUnits.ts: 1 = a full-scale change); a fear-only AU at trace level is
 *     enough to take all of the nets' surprise evidence, a weaker one a share in proportion. FEAR_FROM_SURPRISE =
 *     T / λ = 3: with λ = 2 that moves T = 6 logits per unit of m (in the expressive pool), i.e. the whole of the
 *     nets' surprise weight goes to fear — not half, as for happy, because here a discriminating AU is present, not
 *     merely one missing. With AU4 and AU20 absent nothing moves, and a surprised face stays surprised.
 *  3. Q-Former: key coordinate 0 of head h is a salience feature — h0: expressive, h1: dynamics, h2: none
 *     (uniform), h3: prosody energy; coordinate 1 is a type gate (+8 for face tokens and the summary in h0–h2, for
 *     prosody tokens in h3), so visual heads pool faces and the prosody head pools voice. Query k's coefficients
 *     β_k,h (dims 25..28 of the query, dim 29 = 1 for the gate) set how sharply it prefers salient tokens:
 *     QUERY_BETAS. Values copy [probs, proto, expressive, dynamics, prosody] (25 dims) into every head's slot; the
 *     output projection writes head h's pooled vector at dims [h·dh, h·dh + 25) of the query token.
 *  4. Head: logits_c = T·(½ p̄_c + ½ p̂_c) + λ_c·protô_c + b_c on the utterance tokens, plus ¼ of the same on the
 *     context tokens, where p̄ = uniform pool (query 0, head 2), p̂ = expressive-frame pool (query 2, β = 4:
 *     a fully expressive frame weighs e⁴ ≈ 55× a neutral one), T = 6 (a pooled 0.6 vs 0.2 margin gives ≈ 0.75),
 *     λ = 2 (contempt 4: only AU evidence, the asymmetry, can give it), b: contempt −1, fearful and disgusted +0.3
 *     (the nets under-report both, DESIGN.md). Valence/arousal = tanh(1.2·Σ_c p_c·CLASS_VA_c + 0.2·pooled loud-voice energy
 *     → arousal). Confidence = sigmoid(6·(p₁ − p₂) − 2).
 */
import { AU_NAMES, type AuName, EMOTION_CLASSES, type EmotionClass } from '../events/schema.ts';
import { CLASS_VA } from './lexicon.ts';
import {
  headDim,
  type ModelOptions,
  type ModelOptionsInput,
  modelOptions,
  RESIDUAL,
  RESIDUAL_USED,
  TYPE_GLOBAL,
  TYPE_LOCAL,
  TYPE_PROSODY,
  TYPE_SUMMARY,
} from './modelOptions.ts';
import { GLOBAL_INPUT, LOCAL_INPUT, PROSODY_INPUT } from './tokens.ts';
import { type ModelWeights, mulberry32, NUM_CLASSES, param, paramSpecs, zeroWeights } from './weights.ts';

/** What a prototype weighs: AU intensities, and the one-sided lip-corner pull (unilateral AU12/AU14). */
export type FacsCue = AuName | 'asymmetry';
export const FACS_PROTOTYPES: Record<Exclude<EmotionClass, 'neutral'>, Partial<Record<FacsCue, number>>> = {
  happy: { AU6: 0.4, AU12: 0.6 },
  sad: { AU1: 0.25, AU4: 0.25, AU15: 0.5 },
  surprised: { AU1: 0.3, AU2: 0.3, AU5: 0.3, AU26: 0.1 },
  fearful: { AU1: 0.2, AU2: 0.15, AU4: 0.25, AU5: 0.25, AU20: 0.1, AU26: 0.05 },
  angry: { AU4: 0.5, AU5: 0.15, AU7: 0.2, AU23: 0.15 },
  disgusted: { AU9: 0.5, AU4: 0.3, AU15: 0.2 },
  contempt: { asymmetry: 1 },
};
export const PROTO_THRESHOLD = 0.1;
/** weight of the "happy without AU12" unit into the happy proto dim (see the top comment) */
export const HAPPY_WITHOUT_AU12 = 1.5;
/** FFN unit index of that unit: after the 7 prototype units and the 2 × 15 |velocity| units */
const HAPPY_CHECK_UNIT = 7 + 2 * AU_NAMES.length;
/** the fear-only AUs (AU4 + AU20) at FACS trace intensity A (first fifth of the 0..1 scale): see the top comment */
export const FEAR_AU_TRACE = 0.2;
/** proto weight of the surprise evidence moved to fear, T / λ: all of it (see the top comment) */
export const FEAR_FROM_SURPRISE = 3;
/** the two FFN units of m = min(p_surprised, (AU4 + AU20) / FEAR_AU_TRACE), after the happy unit */
const FEAR_UNITS = [HAPPY_CHECK_UNIT + 1, HAPPY_CHECK_UNIT + 2] as const;

/** β per query (rows) for heads 0 (expressive), 1 (dynamics), 2 (uniform, unused), 3 (prosody energy). */
export const QUERY_BETAS: readonly (readonly [number, number, number, number])[] = [
  [0, 0, 0, 0],
  [2, 0, 0, 0],
  [4, 0, 0, 0],
  [8, 0, 0, 0],
  [0, 4, 0, 0],
  [0, 8, 0, 0],
  [4, 4, 0, 2],
  [0, 0, 0, 4],
];
/** Query dims holding β (4) and the gate constant. */
export const QUERY_BETA_DIM = 25;
export const QUERY_GATE_DIM = 29;
/** Layout of each head's pooled slot in a Q-Former output token. */
export const POOLED = { probs: 0, proto: 7, expressive: 15, dynamics: 16, prosody: 17, width: 25 } as const;

export const HEAD_TEMPERATURE = 6;
export const CLASS_BIAS: Record<EmotionClass, number> = {
  neutral: 0,
  happy: 0,
  sad: 0,
  angry: 0,
  fearful: 0.3,
  disgusted: 0.3,
  surprised: 0,
  contempt: -1,
};

/** Whether the routing fits the options (4 heads, dh ≥ 32, room for the layout and 40 FFN units, ≥ 3 queries). */
export function routingFits(o: ModelOptions): boolean {
  return (
    o.heads === 4 &&
    headDim(o) >= 32 &&
    o.dModel - o.timeDims >= RESIDUAL_USED &&
    o.ffnDim >= FEAR_UNITS[1] + 1 &&
    o.queries >= 3
  );
}

function set(w: ModelWeights, name: string, r: number, c: number, v: number): void {
  const t = param(w, name);
  t.data[r * t.shape[1] + c] = v;
}
function add(w: ModelWeights, name: string, r: number, c: number, v: number): void {
  const t = param(w, name);
  t.data[r * t.shape[1] + c] += v;
}
function setVec(w: ModelWeights, name: string, i: number, v: number): void {
  param(w, name).data[i] = v;
}

/**
 * Seeded small random weights (for options the routing does not fit, and as the starting perturbation of
 * training): N(0, scale²)-ish from a fixed-seed PRNG, biases 0.
 */
export function seededWeights(input: ModelOptionsInput | ModelOptions = {}, seed = 1, scale = 0.02): ModelWeights {
  const w = zeroWeights(input);
  const rnd = mulberry32(seed);
  for (const s of paramSpecs(w.options)) {
    if (s.shape.length < 2) continue;
    const d = param(w, s.name).data;
    for (let i = 0; i < d.length; i++) d[i] = (rnd() + rnd() + rnd() - 1.5) * 2 * scale;
  }
  return w;
}

export function defaultWeights(input: ModelOptionsInput | ModelOptions = {}): ModelWeights {
  const o = modelOptions(input);
  if (!routingFits(o)) {
    const w = seededWeights(o, 1);
    w.meta = { kind: 'seeded-random', note: 'options do not fit the default routing; train before use' };
    return w;
  }
  const w = zeroWeights(o);
  w.meta = { kind: 'default', note: 'training-free routing of expression-net and FACS evidence (defaultWeights.ts)' };
  const D = o.dModel;
  const dh = headDim(o);
  const sq = Math.sqrt(dh);
  const R = RESIDUAL;
  const L = LOCAL_INPUT;
  const auIdx = (a: AuName) => AU_NAMES.indexOf(a);
  /** residual dim of a prototype cue */
  const cueDim = (c: FacsCue) => (c === 'asymmetry' ? R.asymmetry[0] : R.au[0] + auIdx(c));

  // 1. projections
  for (let i = 0; i < 7; i++) set(w, 'proj.local.W', L.probs[0] + i, R.probs[0] + i, 1);
  set(w, 'proj.local.W', L.probs[0], R.expressive[0], -1);
  setVec(w, 'proj.local.b', R.expressive[0], 1);
  for (let a = 0; a < AU_NAMES.length; a++) {
    set(w, 'proj.local.W', L.au[0] + a, R.au[0] + a, 1);
    set(w, 'proj.local.W', L.auVelocity[0] + a, R.auVelocity[0] + a, 0.1);
  }
  set(w, 'proj.local.W', L.asymmetry[0], R.asymmetry[0], 1);
  setVec(w, 'proj.local.b', TYPE_LOCAL, 1);
  const G = GLOBAL_INPUT;
  const gsrc = [
    G.headPose[0],
    G.headPose[0] + 1,
    G.headPose[0] + 2,
    G.facePosition[0],
    G.facePosition[0] + 1,
    G.facePosition[0] + 2,
    G.motion[0],
    G.motion[0] + 1,
  ];
  for (const [j, src] of gsrc.entries()) set(w, 'proj.global.W', src, R.globalCtx[0] + j, 1);
  setVec(w, 'proj.global.b', TYPE_GLOBAL, 1);
  for (let i = 0; i < 8; i++) set(w, 'proj.prosody.W', i, R.prosody[0] + i, 1);
  setVec(w, 'proj.prosody.b', TYPE_PROSODY, 1);

  // 2. encoder layer 0 (later layers stay identity: zero output projections)
  for (let h = 0; h < o.heads; h++) {
    set(w, 'enc.0.Wq', TYPE_LOCAL, h * dh, 8 * sq);
    set(w, 'enc.0.Wk', TYPE_GLOBAL, h * dh, 1);
  }
  for (let j = 0; j < 8; j++) {
    set(w, 'enc.0.Wv', R.globalCtx[0] + j, R.globalCtx[0] + j, 1);
    set(w, 'enc.0.Wo', R.globalCtx[0] + j, R.globalCtx[0] + j, 1);
  }
  const protoClasses = EMOTION_CLASSES.filter((c) => c !== 'neutral') as Exclude<EmotionClass, 'neutral'>[];
  protoClasses.forEach((c, u) => {
    for (const [a, v] of Object.entries(FACS_PROTOTYPES[c])) set(w, 'enc.0.W1', cueDim(a as FacsCue), u, v);
    setVec(w, 'enc.0.b1', u, -PROTO_THRESHOLD);
    set(w, 'enc.0.W2', u, R.proto[0] + EMOTION_CLASSES.indexOf(c), 1);
  });
  for (let a = 0; a < AU_NAMES.length; a++) {
    const up = protoClasses.length + 2 * a;
    set(w, 'enc.0.W1', R.auVelocity[0] + a, up, 1);
    set(w, 'enc.0.W1', R.auVelocity[0] + a, up + 1, -1);
    // residual velocity is v/10; dynamics = mean |v| / 2 = Σ|v/10| · 10 / 15 / 2
    set(w, 'enc.0.W2', up, R.dynamics[0], 10 / AU_NAMES.length / 2);
    set(w, 'enc.0.W2', up + 1, R.dynamics[0], 10 / AU_NAMES.length / 2);
  }
  const happy = EMOTION_CLASSES.indexOf('happy');
  set(w, 'enc.0.W1', R.probs[0] + happy, HAPPY_CHECK_UNIT, 1);
  set(w, 'enc.0.W1', R.au[0] + auIdx('AU12'), HAPPY_CHECK_UNIT, -2);
  set(w, 'enc.0.W2', HAPPY_CHECK_UNIT, R.proto[0] + happy, -HAPPY_WITHOUT_AU12);
  // fear or surprise: m = relu(p_s) − relu(p_s − (AU4 + AU20) / FEAR_AU_TRACE) moves from surprised to fearful
  const surprised = EMOTION_CLASSES.indexOf('surprised');
  const fearful = EMOTION_CLASSES.indexOf('fearful');
  const [all, rest] = FEAR_UNITS;
  set(w, 'enc.0.W1', R.probs[0] + surprised, all, 1);
  set(w, 'enc.0.W1', R.probs[0] + surprised, rest, 1);
  for (const a of ['AU4', 'AU20'] as const) set(w, 'enc.0.W1', R.au[0] + auIdx(a), rest, -1 / FEAR_AU_TRACE);
  for (const [unit, sign] of [
    [all, 1],
    [rest, -1],
  ] as const) {
    set(w, 'enc.0.W2', unit, R.proto[0] + fearful, sign * FEAR_FROM_SURPRISE);
    set(w, 'enc.0.W2', unit, R.proto[0] + surprised, -sign * FEAR_FROM_SURPRISE);
  }

  // 3. Q-Former layer 0 and queries
  const salience = [R.expressive[0], R.dynamics[0], -1, R.prosody[0] + PROSODY_INPUT.energy];
  for (let h = 0; h < o.heads; h++) {
    set(w, 'qf.0.Wq', QUERY_BETA_DIM + h, h * dh, sq);
    set(w, 'qf.0.Wq', QUERY_GATE_DIM, h * dh + 1, sq);
    if (salience[h] >= 0) set(w, 'qf.0.Wk', salience[h], h * dh, 1);
    if (h < 3) {
      set(w, 'qf.0.Wk', TYPE_LOCAL, h * dh + 1, 8);
      set(w, 'qf.0.Wk', TYPE_SUMMARY, h * dh + 1, 8);
    } else {
      set(w, 'qf.0.Wk', TYPE_PROSODY, h * dh + 1, 8);
    }
    for (let i = 0; i < POOLED.prosody; i++) set(w, 'qf.0.Wv', i, h * dh + i, 1);
    for (let j = 0; j < 8; j++) set(w, 'qf.0.Wv', R.prosody[0] + j, h * dh + POOLED.prosody + j, 1);
    for (let i = 0; i < POOLED.width; i++) set(w, 'qf.0.Wo', h * dh + i, h * dh + i, 1);
  }
  for (let k = 0; k < o.queries; k++) {
    const betas = QUERY_BETAS[k % QUERY_BETAS.length];
    for (let h = 0; h < 4; h++) set(w, 'qf.queries', k, QUERY_BETA_DIM + h, betas[h]);
    set(w, 'qf.queries', k, QUERY_GATE_DIM, 1);
  }

  // 4. head
  const idx = (q: number, h: number, j: number) => q * D + h * dh + j;
  for (const [name, gain] of [
    ['head.Wu', 1],
    ['head.Wc', 0.25],
  ] as const) {
    for (let c = 0; c < 7; c++) {
      add(w, name, idx(0, 2, POOLED.probs + c), c, gain * HEAD_TEMPERATURE * 0.5);
      add(w, name, idx(2, 0, POOLED.probs + c), c, gain * HEAD_TEMPERATURE * 0.5);
    }
    for (const c of protoClasses) {
      const ci = EMOTION_CLASSES.indexOf(c);
      add(w, name, idx(2, 0, POOLED.proto + ci), ci, gain * (c === 'contempt' ? 4 : 2));
    }
  }
  EMOTION_CLASSES.forEach((c, ci) => {
    setVec(w, 'head.b', ci, CLASS_BIAS[c]);
    set(w, 'head.vaP', ci, 0, 1.2 * CLASS_VA[c].valence);
    set(w, 'head.vaP', ci, 1, 1.2 * CLASS_VA[c].arousal);
  });
  if (o.queries > 7) set(w, 'head.vaWu', idx(7, 3, POOLED.prosody + PROSODY_INPUT.energy), 1, 0.2);
  setVec(w, 'head.conf', 0, 6);
  setVec(w, 'head.conf', 1, -2);
  if (NUM_CLASSES !== EMOTION_CLASSES.length) throw new Error('class count mismatch');
  return w;
}
