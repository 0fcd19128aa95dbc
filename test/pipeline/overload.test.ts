/**
 * Overload: 8 streams at real-time pace on this 2-core machine (more than it can analyse at full rate). The pipeline
 * must degrade, not fall over: drops are reported (stream.health and /metrics), every stream still ends cleanly
 * with a gap-free seq, memory stays bounded and the main event loop stays responsive (p99 ≤ 20 ms).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { after, before, describe, it } from 'node:test';
import { EventBus } from '../../src/events/bus.ts';
import { rootLogger } from '../../src/events/logger.ts';
import { metrics } from '../../src/events/metrics.ts';
import type { MicroEmoEvent } from '../../src/events/schema.ts';
import { openFileSource } from '../../src/ingest/fileSource.ts';
import { defaultBranches } from '../../src/pipeline/branchFactory.ts';
import { EmotionModelHost } from '../../src/pipeline/modelEmotionBranch.ts';
import { PipelineManager } from '../../src/pipeline/pipelineManager.ts';
import { WorkerPool } from '../../src/pipeline/workerPool.ts';
import { espeakAvailable, makeFaceClip, makeSpeechWav } from '../harness/clips.ts';

const STREAMS = 8;
const SECONDS = 12;

describe('overload: 8 real-time streams on 2 cores', { skip: !espeakAvailable() && 'espeak-ng not installed' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'microemo-overload-'));
  const events = new Map<string, MicroEmoEvent[]>();
  const rss: number[] = [];
  let loopP99 = 0;
  let loopMax = 0;
  let ringMax = 0;
  let ringCapacity = 0;
  let droppedMetric = 0;
  /** event-loop delay p99 of this process idling for a second before the run: what other processes cost us */
  let idleP99 = 0;

  before(async () => {
    // first, before this test starts anything: how much do other processes on the machine delay an idle loop?
    const idle = monitorEventLoopDelay({ resolution: 5 });
    idle.enable();
    await new Promise((r) => setTimeout(r, 1000));
    idle.disable();
    // the histogram holds each sampling interval, i.e. the 5 ms resolution plus the delay: keep the delay
    idleP99 = idle.percentile(99) / 1e6 - 5;
    const speech = makeSpeechWav(join(dir, 'speech'), {
      lead: 0.5,
      phrases: [
        ['We should talk about the plan for next week.', 1.0],
        ['I think it is going well, honestly.', 1.0],
      ],
    });
    const clip = makeFaceClip(dir, speech.path, SECONDS, 30);
    const model = await EmotionModelHost.start({ imageEmbeddingDim: 0 });
    const pool = new WorkerPool(new URL('../../src/pipeline/visionWorker.ts', import.meta.url), availableParallelism());
    await Promise.all(Array.from({ length: pool.size }, (_, i) => pool.run(`w${i}`, 'warmup', null)));
    for (let i = 0; i < pool.size; i++) await pool.release(`w${i}`);
    const bus = new EventBus();
    bus.on((e) => {
      const list = events.get(e.streamId) ?? [];
      list.push(e);
      events.set(e.streamId, list);
    });
    const manager = new PipelineManager(bus, pool, defaultBranches(model), rootLogger().child({ test: 'overload' }));
    const loop = monitorEventLoopDelay({ resolution: 5 });
    const sources = [];
    for (let i = 0; i < STREAMS; i++) {
      sources.push(await openFileSource(clip, { streamId: `load-${i}`, room: 'load', realtime: true }));
    }
    const pipelines = sources.map((s) => manager.attach(s, { mode: 'live', healthIntervalS: 2 }));
    loop.enable();
    // per-stream metrics are forgotten at stream end: read them while the streams run
    const sampler = setInterval(() => {
      void metrics.framesDropped.get().then((m) => {
        const sum = m.values
          .filter((v) => String(v.labels.stream ?? '').startsWith('load-'))
          .reduce((s, v) => s + v.value, 0);
        droppedMetric = Math.max(droppedMetric, sum);
      });
      rss.push(process.memoryUsage().rss);
      for (const p of pipelines) {
        ringMax = Math.max(ringMax, p.frames.length);
        ringCapacity = p.frames.capacity;
      }
    }, 250);
    for (const s of sources) s.start();
    await Promise.all(pipelines.map((p) => p.done));
    clearInterval(sampler);
    loop.disable();
    loopP99 = loop.percentile(99) / 1e6 - 5;
    loopMax = loop.max / 1e6 - 5;
    await pool.close();
    await model.close();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('every stream ends cleanly with a gap-free seq', () => {
    assert.equal(events.size, STREAMS);
    for (const [id, list] of events) {
      for (const [i, e] of list.entries()) assert.equal(e.seq, i, `${id} seq ${e.seq} at ${i}`);
      assert.equal(list[0].type, 'stream.started');
      const end = list.at(-1);
      assert.equal(end?.type, 'stream.ended', `${id} last event ${end?.type}`);
      assert.equal(end?.type === 'stream.ended' && end.reason, 'eof');
      assert.ok(
        list.some((e) => e.type === 'face.frame'),
        `${id} has face.frame events`,
      );
      assert.ok(
        list.some((e) => e.type === 'utterance.end'),
        `${id} has utterances`,
      );
    }
  });

  it('drops are reported per stream in stream.health and in /metrics', () => {
    let dropped = 0;
    for (const [id, list] of events) {
      const health = list.filter((e) => e.type === 'stream.health');
      assert.ok(health.length >= 3, `${id}: ${health.length} stream.health events`);
      const last = health.at(-1);
      if (last?.type === 'stream.health') {
        dropped += last.framesDropped;
        assert.ok(last.dropRatio >= 0 && last.dropRatio <= 1);
      }
    }
    console.log(`# overload: ${dropped} frames dropped (health), ${droppedMetric} in metrics`);
    assert.ok(dropped > 0, 'the machine cannot analyse 8 × 30 fps: drops must show');
    // the last health event comes before the end; the metric was last read up to 250 ms before it
    assert.ok(droppedMetric >= dropped * 0.8, `metrics ${droppedMetric} vs health ${dropped}`);
    const degraded = [...events.values()].flat().filter((e) => e.type === 'stream.health' && e.degraded);
    assert.ok(degraded.length > 0, 'degradation is reported');
    // the global branch degrades first: it runs on fewer frames than the face branch, and never on more
    const healths = [...events.values()].flat().flatMap((e) => (e.type === 'stream.health' ? [e] : []));
    for (const h of healths) assert.ok(h.fpsGlobal !== undefined && h.fpsGlobal <= h.fpsAnalysed, JSON.stringify(h));
    const thinned = healths.filter((h) => (h.fpsGlobal ?? 0) < 0.9 * h.fpsAnalysed);
    assert.ok(thinned.length > 0, 'the global branch ran on fewer frames than the faces under overload');
    // next the faces run one expression net per frame: fewer frames ran both nets than were analysed
    for (const h of healths)
      assert.ok(h.fpsFullFace !== undefined && h.fpsFullFace <= h.fpsAnalysed, JSON.stringify(h));
    const halved = healths.filter((h) => (h.fpsFullFace ?? 0) < 0.9 * h.fpsAnalysed);
    assert.ok(halved.length > 0, 'the expression nets alternated under overload');
  });

  it('memory stays bounded and the event loop responsive', () => {
    const mb = (x: number) => x / 1e6;
    const half = rss.slice(Math.floor(rss.length / 2));
    const growth = mb(Math.max(...half) - half[0]);
    console.log(
      `# overload: RSS ${mb(rss[0]).toFixed(0)} → max ${mb(Math.max(...rss)).toFixed(0)} MB (second-half growth ${growth.toFixed(0)} MB); ring max ${ringMax}/${ringCapacity}; loop p99 ${loopP99.toFixed(1)} ms, max ${loopMax.toFixed(1)} ms (idle before: p99 ${idleP99.toFixed(1)} ms)`,
    );
    assert.ok(growth < 150, `RSS grew ${growth.toFixed(0)} MB in the second half`);
    assert.ok(ringMax <= ringCapacity);
    // Other processes on the machine (parallel jobs) delay this loop whatever it does: the 20 ms budget is judged
    // when the idle loop was quiet; otherwise only gross blocking fails, and the numbers are printed above.
    const quiet = idleP99 <= 2;
    if (!quiet)
      console.log(
        `# overload: machine busy before the run (idle loop p99 ${idleP99.toFixed(1)} ms): 20 ms budget not judged`,
      );
    assert.ok(loopP99 <= (quiet ? 20 : 250), `event-loop delay p99 ${loopP99.toFixed(1)} ms`);
  });
});
