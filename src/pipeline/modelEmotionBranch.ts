/**
 * The pipeline's emotion branch over the core model (src/model UtteranceEmotionStage: global-local encoder →
 * utterance-aware Q-Former → head): vision results feed the incremental encoder as they arrive, and the audio
 * (speech probability + PCM for the prosody tokens) is handed to the model only up to the media time of the event
 * being released. Audio runs ahead of video by a timing-dependent amount; holding it back here makes the model's
 * state at each decision a function of media time alone, so a file gives the same emotions on every run.
 */
import type { AudioChunk } from '../ingest/mediaSource.ts';
import type { CoreModel } from '../model/coreModel.ts';
import { type UtteranceEmotionOptionsInput, UtteranceEmotionStage } from '../model/utteranceEmotion.ts';
import type { AudioFinding, EmotionBranch, EmotionPayload, VisionResult } from './branches.ts';

type HeldAudio = { t: number; pcm?: AudioChunk; speaking?: number };

/** Audio older than this (media seconds behind the newest) is handed over even before a release asks for it. */
const MAX_HELD_S = 10;

export class ModelEmotionBranch implements EmotionBranch {
  readonly stage: UtteranceEmotionStage;
  private readonly held: HeldAudio[] = [];

  constructor(model: CoreModel, options: UtteranceEmotionOptionsInput = {}) {
    this.stage = new UtteranceEmotionStage(model, options);
  }

  onVision(result: VisionResult): void {
    void this.stage.onVision(result);
  }

  onAudio(f: AudioFinding): void {
    if (f.kind === 'speaking') this.hold({ t: f.t, speaking: f.probability });
    else this.stage.onAudio(f);
  }

  onPcm(chunk: AudioChunk): void {
    this.hold({ t: chunk.t, pcm: chunk });
  }

  due(t: number): Promise<EmotionPayload[]> {
    this.release(t);
    return this.stage.due(t);
  }

  finalize(u: { utteranceId: string; start: number; end: number; trackId: number | null; t: number }) {
    this.release(u.t);
    return this.stage.finalize(u);
  }

  close(t: number): Promise<EmotionPayload[]> {
    this.release(Number.POSITIVE_INFINITY);
    return this.stage.end(t);
  }

  private hold(a: HeldAudio): void {
    this.held.push(a);
    // bounded: a stalled video branch must not make the audio pile up
    const newest = a.t;
    while (this.held.length && this.held[0].t < newest - MAX_HELD_S) this.handOver(this.held.shift() as HeldAudio);
  }

  /** Hands the model the audio that starts before media time t, in arrival order. */
  private release(t: number): void {
    while (this.held.length && this.held[0].t < t) this.handOver(this.held.shift() as HeldAudio);
  }

  private handOver(a: HeldAudio): void {
    if (a.speaking !== undefined) this.stage.onAudio({ kind: 'speaking', t: a.t, probability: a.speaking });
    if (a.pcm) this.stage.onPcm(a.pcm.samples, a.pcm.t);
  }
}
