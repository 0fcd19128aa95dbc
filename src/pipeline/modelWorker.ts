/**
 * Stream worker thread: the core model's sessions (encoder, Q-Former, head) with one UtteranceEmotionStage per
 * stream, and each stream's audio analyzer (Silero VAD, segmenter, prosody). onnxruntime-node runs inference
 * synchronously on the calling thread, so neither may run on the main event loop; requests arrive in the order the
 * main thread made them (see ModelEmotionBranch), which keeps file runs reproducible. Audio analyzers live under
 * the key `audio:<streamId>`, stages under `<streamId>`.
 */

import { AudioAnalyzer, type AudioAnalyzerOptions } from '../audio/audioAnalyzer.ts';
import type { ProsodyFrame } from '../audio/prosodyFrames.ts';
import type { AudioChunk } from '../ingest/mediaSource.ts';
import { runInBackground } from '../ingest/processPriority.ts';
import type { CoreModel } from '../model/coreModel.ts';
import {
  type AudioInput,
  loadCoreModel,
  type UtteranceEmotionOptionsInput,
  UtteranceEmotionStage,
  type VisionInput,
} from '../model/utteranceEmotion.ts';
import type { EmotionPayload } from './branches.ts';
import { serveWorker, workerInit } from './workerHost.ts';

export interface ModelWorkerInit {
  /** trained weights file; default: the training-free default weights */
  weights?: string;
  /** width of the image encoder's embeddings in the global tokens (0 = none) */
  imageEmbeddingDim: number;
}

/** What a 'due' request answers: the payloads, and when the stage can next have any. */
export interface DueAnswer {
  out: EmotionPayload[];
  nextDue: number;
}

/** What the 'info' request answers. */
export interface ModelWorkerInfo {
  kind: string;
  imageEmbeddingDim: number;
}

export type ModelRequest =
  | { kind: 'info'; payload: null }
  | { kind: 'open'; payload: UtteranceEmotionOptionsInput }
  | { kind: 'vision'; payload: VisionInput }
  | { kind: 'audio'; payload: AudioInput }
  /**
   * the stream's audio up to the released media time: its samples, or — when the stream's audio analyzer runs in this
   * worker with prosody — only the chunk's time, and the stage takes the analyzer's frames of the chunks up to it
   */
  | { kind: 'pcm'; payload: { samples?: Float32Array; t: number } }
  | { kind: 'due'; payload: number }
  | { kind: 'finalize'; payload: Parameters<UtteranceEmotionStage['finalize']>[0] }
  | { kind: 'end'; payload: number }
  | { kind: 'audio.open'; payload: Pick<AudioAnalyzerOptions, 'segmenter' | 'prosody'> }
  | { kind: 'audio.push'; payload: AudioChunk }
  | { kind: 'audio.flush'; payload: null };

const init = workerInit<ModelWorkerInit>();
// heavy work yields the core to the main event loop when both want it (processPriority.ts)
runInBackground();
let model: CoreModel | undefined;
let loadError: Error | undefined;
try {
  model = await loadCoreModel(init.weights, init.imageEmbeddingDim);
} catch (err) {
  // answered on every request (the main thread reports it), rather than crashing the worker at start
  loadError = err as Error;
}
const stages = new Map<string, UtteranceEmotionStage>();
const analyzers = new Map<string, Promise<AudioAnalyzer>>();
/**
 * Per stream, the prosody frames its audio analyzer computed, per pushed chunk (by the chunk's time), until the
 * stage's 'pcm' release takes them: the stage then gets exactly the frames a tokenizer of its own would have made
 * from the same chunks, without a second pitch analysis. Bounded: chunks more than PROSODY_QUEUE_S behind the newest
 * are dropped (the main thread holds audio for at most 10 s). `chunkT` is the time of the chunk being pushed (the
 * analyzer reports a chunk's frames synchronously while pushing it).
 */
interface ProsodyFeed {
  chunkT: number;
  chunks: { t: number; frames: ProsodyFrame[] }[];
}
const prosodyFeeds = new Map<string, ProsodyFeed>();
const PROSODY_QUEUE_S = 20;
const AUDIO_PREFIX = 'audio:';
/** the stream an audio analyzer's key (`audio:<streamId>`) or a stage's key belongs to */
const streamOf = (key: string) => (key.startsWith(AUDIO_PREFIX) ? key.slice(AUDIO_PREFIX.length) : key);

function analyzer(key: string): Promise<AudioAnalyzer> {
  const a = analyzers.get(key);
  if (!a) throw new Error(`stream worker: audio ${key} was not opened`);
  return a;
}
/** a failed frame encoding, reported with the stream's next answer */
const failures = new Map<string, Error>();

function reportFailure(key: string): void {
  const err = failures.get(key);
  if (!err) return;
  failures.delete(key);
  throw err;
}

function stage(key: string): UtteranceEmotionStage {
  const s = stages.get(key);
  if (!s) throw new Error(`model worker: stream ${key} was not opened`);
  return s;
}

serveWorker(
  async (kind, key, payload) => {
    const req = { kind, payload } as ModelRequest;
    // audio does not need the model
    switch (req.kind) {
      case 'audio.open': {
        let onProsodyFrames: ((frames: ProsodyFrame[]) => void) | undefined;
        if (req.payload.prosody !== false) {
          const feed: ProsodyFeed = { chunkT: 0, chunks: [] };
          prosodyFeeds.set(streamOf(key), feed);
          onProsodyFrames = (frames) => {
            feed.chunks.push({ t: feed.chunkT, frames });
            while (feed.chunks.length && feed.chunks[0].t < feed.chunkT - PROSODY_QUEUE_S) feed.chunks.shift();
          };
        }
        const a = AudioAnalyzer.create({ ...req.payload, onProsodyFrames });
        a.catch(() => undefined);
        analyzers.set(key, a);
        return { result: null };
      }
      case 'audio.push': {
        const feed = prosodyFeeds.get(streamOf(key));
        if (feed) feed.chunkT = req.payload.t;
        return { result: await (await analyzer(key)).push(req.payload) };
      }
      case 'audio.flush':
        return { result: (await analyzer(key)).flush() };
    }
    if (!model) throw loadError ?? new Error('model worker: no model');
    switch (req.kind) {
      case 'info':
        return {
          result: {
            kind: String(model.weights.meta?.kind ?? 'unknown'),
            imageEmbeddingDim: model.options.imageEmbeddingDim,
          } satisfies ModelWorkerInfo,
        };
      case 'open':
        stages.set(key, new UtteranceEmotionStage(model, req.payload));
        return { result: null };
      case 'vision':
        // not awaited: the stage serialises its own work, so the next message can be taken meanwhile
        stage(key)
          .onVision(req.payload)
          .catch((err: Error) => failures.set(key, err));
        return { result: null };
      case 'audio':
        stage(key).onAudio(req.payload);
        return { result: null };
      case 'pcm': {
        const { samples, t } = req.payload;
        if (samples) {
          stage(key).onPcm(samples, t);
          return { result: null };
        }
        const feed = prosodyFeeds.get(key);
        if (!feed) throw new Error(`model worker: stream ${key} has no audio analyzer with prosody`);
        const s = stage(key);
        while (feed.chunks.length && feed.chunks[0].t <= t)
          s.onProsodyFrames((feed.chunks.shift() as ProsodyFeed['chunks'][number]).frames);
        return { result: null };
      }
      case 'due': {
        const s = stage(key);
        const out = await s.due(req.payload);
        reportFailure(key);
        return { result: { out, nextDue: s.nextDue } satisfies DueAnswer };
      }
      case 'finalize': {
        const out = await stage(key).finalize(req.payload);
        reportFailure(key);
        return { result: out };
      }
      case 'end': {
        const out = await stage(key).end(req.payload);
        stages.delete(key);
        failures.delete(key);
        return { result: out };
      }
      default:
        throw new Error(`model worker: unknown request ${kind}`);
    }
  },
  async (key) => {
    stages.delete(key);
    failures.delete(key);
    // a stream's frames stay while its stage may still take them (its analyzer may be released first)
    if (!stages.has(streamOf(key))) prosodyFeeds.delete(streamOf(key));
    const a = analyzers.get(key);
    analyzers.delete(key);
    if (a) await (await a.catch(() => undefined))?.close();
  },
);
