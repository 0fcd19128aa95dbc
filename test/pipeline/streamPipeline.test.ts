/**
 * StreamPipeline frame-in/request-out with a scripted source, audio branch and worker pool: in file mode a frame is
 * sent for analysis only once the audio past its time is analysed, so the speech state it carries (which conditions
 * the mouth AUs) does not depend on which decoder delivered first.
 */
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import { EventBus } from '../../src/events/bus.ts';
import { rootLogger } from '../../src/events/logger.ts';
import type {
  AudioChunk,
  MediaSource,
  MediaSourceEvents,
  SourceInfo,
  VideoFrame,
} from '../../src/ingest/mediaSource.ts';
import type { AudioBranch, EmotionBranch, VisionRequest, VisionResult } from '../../src/pipeline/branches.ts';
import { StreamPipeline } from '../../src/pipeline/streamPipeline.ts';
import type { WorkerPool } from '../../src/pipeline/workerPool.ts';

class ScriptedSource extends EventEmitter<MediaSourceEvents> implements MediaSource {
  readonly info: SourceInfo = {
    kind: 'file',
    streamId: 'scripted',
    room: 'test',
    video: { codec: 'rawvideo', width: 4, height: 4 },
    audio: { codec: 'pcm', sampleRate: 16000 },
  };
  async stop(): Promise<void> {}
  pause(): void {}
  resume(): void {}
}

const frame = (t: number): VideoFrame => ({
  t,
  index: Math.round(t * 30),
  width: 4,
  height: 4,
  rgb: new Uint8Array(48),
});
const chunk = (t: number): AudioChunk => ({ t, samples: new Float32Array(512) });

/** Runs the script; returns the `speaking` each frame was sent with, by frame time. */
async function speakingSent(script: (s: ScriptedSource) => void): Promise<Map<number, number>> {
  const sent = new Map<number, number>();
  const pool = {
    run: async (_key: string, _kind: string, req: VisionRequest): Promise<VisionResult> => {
      sent.set(req.t, req.speaking);
      return {
        t: req.t,
        index: req.index,
        faces: [],
        microexpressions: [],
        localTokens: [],
        globalToken: null,
        imageEmbedding: null,
        mouthActivity: [],
        costMs: 0,
      };
    },
    release: async () => {},
  } as unknown as WorkerPool;
  // the VAD says speech (0.9) from the first chunk on; it answers a little later, as onnxruntime does
  const audio: AudioBranch = {
    push: async (c) => {
      await new Promise((r) => setTimeout(r, 5));
      return [{ kind: 'speaking', t: c.t + c.samples.length / 16000, probability: 0.9 }];
    },
    flush: async () => [],
    close: () => {},
  };
  const emotion: EmotionBranch = {
    onVision: () => {},
    onAudio: () => {},
    onPcm: () => {},
    due: async () => [],
    finalize: async () => [],
    close: async () => [],
  };
  const source = new ScriptedSource();
  const pipeline = new StreamPipeline(
    source,
    {
      publisher: new EventBus().stream('scripted', 'test'),
      pool,
      audio,
      emotion: () => emotion,
      log: rootLogger(),
    },
    { mode: 'file', faceFrameHz: 10 },
  );
  pipeline.start();
  script(source);
  await new Promise((r) => setTimeout(r, 100));
  source.emit('trackEnd', 'audio');
  source.emit('trackEnd', 'video');
  source.emit('end', 'eof');
  await pipeline.done;
  return sent;
}

test('a frame carries the speech state of its time whichever decoder delivers first', async () => {
  const audioFirst = await speakingSent((s) => {
    s.emit('audio', chunk(0));
    s.emit('video', frame(0));
  });
  const videoFirst = await speakingSent((s) => {
    s.emit('video', frame(0));
    s.emit('audio', chunk(0));
  });
  assert.equal(audioFirst.get(0), 0.9);
  assert.equal(videoFirst.get(0), 0.9, 'the frame at t = 0 waited for the audio that covers it');
});
