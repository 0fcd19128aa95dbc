/**
 * Core-model benchmark (default weights, onnxruntime CPU, 1 intra-op thread):
 *   encoder_step_ms_p50/p95   one frame (1 face) through the incremental encoder: global + local token in, the
 *                             step graph against the cached keys/values (EncoderStream, as the live branch runs it)
 *   qformer_3s_ms/10s_ms      the Q-Former on one utterance's memory (30 fps fused tokens + 31 Hz prosody tokens)
 *   head_ms                   the emotion head on utterance + context tokens
 *   utterance_to_emotion_ms_p95  live pipeline on a speech clip paced in real time: wall time from the
 *                             `utterance.end` event to that utterance's final `emotion` event; also from the VAD's
 *                             decision (vad_decision_to_emotion_ms_p95), which includes waiting for the video to
 *                             be analysed up to the end
 *   uar_full, uar_frame_mean  with ../shared/media/labeled/mead present: `microemo eval`'s full model vs ablation (a)
 * Usage: npm run bench -- model [--seconds 24] [--no-mead]
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDataset, MediaClipExtractor } from '../src/cli/clipFeatures.ts';
import { EventBus } from '../src/events/bus.ts';
import { rootLogger } from '../src/events/logger.ts';
import { openFileSource } from '../src/ingest/fileSource.ts';
import { CoreModel } from '../src/model/coreModel.ts';
import { defaultWeights } from '../src/model/defaultWeights.ts';
import { evaluateClips } from '../src/model/evaluation.ts';
import { EncoderStream } from '../src/model/globalLocalEncoder.ts';
import { GLOBAL_BASE_DIM, LOCAL_INPUT_DIM, PROSODY_INPUT_DIM } from '../src/model/tokens.ts';
import { mulberry32 } from '../src/model/weights.ts';
import { defaultBranches } from '../src/pipeline/branchFactory.ts';
import { EmotionModelHost } from '../src/pipeline/modelEmotionBranch.ts';
import { PipelineManager } from '../src/pipeline/pipelineManager.ts';
import { WorkerPool } from '../src/pipeline/workerPool.ts';
import { makeFaceClip, makeSpeechWav } from '../test/harness/clips.ts';
import { MEDIA_DIR } from '../test/harness/media.ts';
import { median, percentile } from './lib/stats.ts';

const args = process.argv.slice(2);
const arg = (name: string, def: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const seconds = Number(arg('seconds', '24'));
const round = (x: number, d = 3) => Number(x.toFixed(d));
const rnd = mulberry32(7);
const vec = (n: number, scale = 1) => Float32Array.from({ length: n }, () => (rnd() - 0.5) * scale);

const model = await CoreModel.create(defaultWeights());
const o = model.options;

// 1. encoder step per frame: 30 fps, one face, a 10 s warm-up so the window is full
const stream = new EncoderStream(model.encoder);
const steps: number[] = [];
const fused: { t: number; fused: Float32Array }[] = [];
for (let i = 0; i < 30 * 40; i++) {
  const t = i / 30;
  const t0 = performance.now();
  await stream.addGlobal(t, vec(GLOBAL_BASE_DIM, 0.5));
  const local = vec(LOCAL_INPUT_DIM, 0.2);
  stream.addLocal(0, t, local);
  for (const f of await stream.advance(t)) fused.push({ t: f.t, fused: f.fused });
  if (i >= 300) steps.push(performance.now() - t0);
}
console.log(
  `encoder step (1 face, 30 fps): p50 ${median(steps).toFixed(3)} ms, p95 ${percentile(steps, 95).toFixed(3)} ms over ${steps.length} frames`,
);

// 2. Q-Former per utterance and head
async function qformerMs(durS: number): Promise<number> {
  const start = 5;
  const mem = {
    fused: fused.filter((f) => f.t >= start && f.t <= start + durS).map((f) => ({ t: f.t, token: f.fused })),
    prosody: Array.from({ length: Math.round(durS / 0.032) }, (_, i) => ({
      t: start + i * 0.032,
      token: vec(PROSODY_INPUT_DIM, 0.5),
    })),
    origin: start,
    extra: [fused[0].fused],
  };
  const runs: number[] = [];
  for (let i = 0; i < 60; i++) {
    const t0 = performance.now();
    await model.qformer.run(mem);
    if (i >= 10) runs.push(performance.now() - t0);
  }
  console.log(
    `Q-Former on a ${durS} s utterance (${mem.fused.length} fused + ${mem.prosody.length} prosody tokens): p50 ${median(runs).toFixed(3)} ms`,
  );
  return median(runs);
}
const q3 = await qformerMs(3);
const q10 = await qformerMs(10);
const tokensQ = vec(o.queries * o.dModel, 0.5);
const headRuns: number[] = [];
for (let i = 0; i < 200; i++) {
  const t0 = performance.now();
  await model.head.run(tokensQ, tokensQ);
  if (i >= 20) headRuns.push(performance.now() - t0);
}
console.log(`head: p50 ${median(headRuns).toFixed(3)} ms`);

// 3. live pipeline: utterance.end → final emotion
const dir = mkdtempSync(join(tmpdir(), 'microemo-bench-model-'));
const phrases: [string, number][] = [];
for (let s = 0; s < seconds - 4; s += 4) phrases.push(['I think the plan for next week is going well.', 1.2]);
const speech = makeSpeechWav(join(dir, 'speech'), { lead: 0.6, phrases });
const clip = makeFaceClip(dir, speech.path, seconds, 30);
const bus = new EventBus({ validate: false });
const pool = new WorkerPool(new URL('../src/pipeline/visionWorker.ts', import.meta.url), 1);
await pool.run('w', 'warmup', null);
await pool.release('w');
const host = await EmotionModelHost.start({ imageEmbeddingDim: 0 });
const base = defaultBranches(host);
const decidedAt = new Map<string, number>();
const branches = {
  audio: (info: Parameters<typeof base.audio>[0]) => {
    const a = base.audio(info);
    return {
      ...a,
      async push(chunk: Parameters<typeof a.push>[0]) {
        const out = await a.push(chunk);
        for (const f of out) if (f.kind === 'utterance.end') decidedAt.set(f.utteranceId, performance.now());
        return out;
      },
    };
  },
  emotion: base.emotion,
};
const endAt = new Map<string, number>();
const toEmotion: number[] = [];
const fromDecision: number[] = [];
bus.on((e) => {
  if (e.type === 'utterance.end') endAt.set(e.utteranceId, performance.now());
  if (e.type === 'emotion' && e.final && e.utteranceId) {
    const now = performance.now();
    const a = endAt.get(e.utteranceId);
    const d = decidedAt.get(e.utteranceId);
    if (a !== undefined) toEmotion.push(now - a);
    if (d !== undefined) fromDecision.push(now - d);
  }
});
const manager = new PipelineManager(bus, pool, branches, rootLogger());
const src = await openFileSource(clip, { streamId: 'bench', room: 'bench', realtime: true });
const pipeline = manager.attach(src, { mode: 'live' });
src.start();
await pipeline.done;
await pool.close();
await host.close();
console.log(
  `live (${seconds} s clip, ${speech.spans.length} utterances spoken, ${toEmotion.length} final emotions): ` +
    `utterance.end → emotion p50 ${median(toEmotion).toFixed(1)} ms, p95 ${percentile(toEmotion, 95).toFixed(1)} ms; ` +
    `VAD decision → emotion p95 ${percentile(fromDecision, 95).toFixed(1)} ms`,
);

// 4. MEAD: full model vs frame-mean
const metrics: Record<string, number> = {
  encoder_step_ms_p50: round(median(steps)),
  encoder_step_ms_p95: round(percentile(steps, 95)),
  qformer_3s_ms: round(q3),
  qformer_10s_ms: round(q10),
  head_ms: round(median(headRuns)),
  utterance_to_emotion_ms_p95: round(percentile(toEmotion, 95), 1),
  vad_decision_to_emotion_ms_p95: round(percentile(fromDecision, 95), 1),
  final_emotions: toEmotion.length,
};
const mead = join(MEDIA_DIR, 'labeled', 'mead');
if (!args.includes('--no-mead') && existsSync(join(mead, 'labels.csv'))) {
  const { clips } = await loadDataset(mead, new MediaClipExtractor(), { cacheDir: join(dir, 'cache') });
  const r = await evaluateClips(model, clips, ['frameMean', 'full']);
  const uar = (m: string) => r.rows.find((x) => x.mode === m)?.report.uar ?? Number.NaN;
  metrics.uar_full = round(uar('full'));
  metrics.uar_frame_mean = round(uar('frameMean'));
  metrics.mead_clips = clips.length;
  console.log(
    `MEAD (${clips.length} clips): UAR full ${uar('full').toFixed(3)} vs frame-mean ${uar('frameMean').toFixed(3)}`,
  );
} else console.log('MEAD: skipped (../shared/media/labeled/mead absent or --no-mead)');

await model.release();
rmSync(dir, { recursive: true, force: true });
console.log(
  `targets: encoder step ≤ 1 ms (${metrics.encoder_step_ms_p50 <= 1 ? 'met' : 'missed'}), utterance → emotion p95 ≤ 300 ms (${metrics.utterance_to_emotion_ms_p95 <= 300 ? 'met' : 'missed'})` +
    (metrics.uar_full !== undefined
      ? `, UAR full ≥ frame-mean + 0.15 (${metrics.uar_full >= metrics.uar_frame_mean + 0.15 ? 'met' : 'missed'})`
      : ''),
);
console.log(JSON.stringify({ suite: 'model', metrics }));
