/**
 * Utterance boundaries from a stream of per-chunk speech probabilities, with hysteresis: speech starts when the
 * probability rises above `activation` and stays above `deactivation` for `minSpeechS`; it ends after
 * `hangoverS` below `deactivation`. `utterance.start` goes out as soon as speech is confirmed, stamped with the
 * onset (looked back at most `preRollS`); `utterance.end` after the hangover, with the end of the last speech
 * chunk as its end time. A monologue longer than `maxUtteranceS` is split; the next part is a continuation.
 * When the caller also reports loud 5 ms blocks (noteLoud/advance, as AudioAnalyzer does) the end is stamped at the
 * last loud block and may be decided between VAD chunks.
 */
import { z } from 'zod';

export const segmenterOptionsSchema = z.object({
  activation: z.number().min(0).max(1).default(0.5),
  deactivation: z.number().min(0).max(1).default(0.35),
  minSpeechS: z.number().min(0).default(0.2),
  /** silence needed before an utterance ends */
  hangoverS: z.number().min(0).default(0.55),
  /** how far before confirmation the start may be stamped */
  preRollS: z.number().min(0).default(0.5),
  maxUtteranceS: z.number().positive().default(20),
  /**
   * The LSTM's probability decays over ~100 ms after speech stops; the end is stamped at the last chunk at or
   * above this (measured: within 50 ms of the true end on espeak and recorded speech), not at the deactivation.
   */
  endThreshold: z.number().min(0).max(1).default(0.9),
  /** at most this much is trimmed from the end that way (longer weak speech is speech, not the decay tail) */
  endTrimMaxS: z.number().min(0).default(0.15),
});
export type SegmenterOptions = z.infer<typeof segmenterOptionsSchema>;
export type SegmenterOptionsInput = z.input<typeof segmenterOptionsSchema>;

export type SegmenterEvent =
  | { kind: 'utterance.start'; t: number; utteranceId: string; start: number; continuation: boolean }
  | { kind: 'utterance.end'; t: number; utteranceId: string; start: number; end: number; continuation: boolean };

type State =
  | { name: 'silence' }
  /** above activation, not yet confirmed */
  | { name: 'onset'; onset: number; lastSpeechEnd: number }
  | {
      name: 'speech';
      id: string;
      start: number;
      continuation: boolean;
      lastSpeechEnd: number;
      /** end of the last chunk at or above endThreshold */
      lastStrongEnd: number;
      silenceSince: number | null;
      /** end of the last loud block heard while the VAD still called it speech (see noteLoud) */
      lastLoudInSpeech: number | null;
    };

export class UtteranceSegmenter {
  readonly options: SegmenterOptions;
  private state: State = { name: 'silence' };
  private count = 0;
  /** end of the latest loud block (noteLoud), and of the latest VAD chunk */
  private lastLoudEnd = Number.NEGATIVE_INFINITY;
  private lastChunkEnd = Number.NEGATIVE_INFINITY;

  constructor(options: SegmenterOptionsInput = {}) {
    this.options = segmenterOptionsSchema.parse(options);
    if (this.options.deactivation > this.options.activation) {
      throw new RangeError('segmenter: deactivation threshold must not exceed the activation threshold');
    }
  }

  /** The id of the utterance in progress, if any. */
  get current(): { utteranceId: string; start: number } | null {
    return this.state.name === 'speech' ? { utteranceId: this.state.id, start: this.state.start } : null;
  }

  /** One chunk [t, t + dur) with speech probability p; returns the boundaries it decided. */
  push(t: number, dur: number, p: number): SegmenterEvent[] {
    const o = this.options;
    const end = t + dur;
    const out: SegmenterEvent[] = [];
    const s = this.state;
    this.lastChunkEnd = end;
    if (s.name === 'silence') {
      if (p >= o.activation) this.state = { name: 'onset', onset: t, lastSpeechEnd: end };
    } else if (s.name === 'onset') {
      if (p >= o.deactivation) {
        s.lastSpeechEnd = end;
        if (end - s.onset >= o.minSpeechS) {
          const start = Math.max(s.onset, end - o.minSpeechS - o.preRollS, 0);
          const id = `u${++this.count}`;
          out.push({ kind: 'utterance.start', t: end, utteranceId: id, start, continuation: false });
          this.state = {
            name: 'speech',
            id,
            start,
            continuation: false,
            lastSpeechEnd: end,
            lastStrongEnd: end,
            silenceSince: null,
            lastLoudInSpeech: this.loudBefore(end),
          };
        }
      } else {
        this.state = { name: 'silence' };
      }
    } else {
      if (p >= o.deactivation) {
        s.lastSpeechEnd = end;
        if (p >= o.endThreshold) s.lastStrongEnd = end;
        s.silenceSince = null;
        s.lastLoudInSpeech = this.loudBefore(end) ?? s.lastLoudInSpeech;
      } else {
        s.silenceSince ??= t;
        // The hangover counts from the estimated end of speech, not from the dip below deactivation: the VAD's
        // probability takes ~100 ms to decay, which would otherwise add to every end decision.
        if (end - this.estimatedEnd(s) >= o.hangoverS) {
          out.push(this.endEvent(s, end));
          this.state = { name: 'silence' };
          return out;
        }
      }
      if (this.state.name === 'speech' && end - s.start >= o.maxUtteranceS && s.silenceSince === null) {
        out.push(this.endEvent(s, end, end));
        const id = `u${++this.count}`;
        out.push({ kind: 'utterance.start', t: end, utteranceId: id, start: end, continuation: true });
        this.state = {
          name: 'speech',
          id,
          start: end,
          continuation: true,
          lastSpeechEnd: end,
          lastStrongEnd: end,
          silenceSince: null,
          lastLoudInSpeech: this.loudBefore(end),
        };
      }
    }
    return out;
  }

  /**
   * Marks a short block of audio ending at `end` as loud (above the noise floor). Optional: with it the end of an
   * utterance is stamped at the last loud block the VAD still called speech (the LSTM keeps p ≥ 0.9 for about one
   * chunk after speech stops, which put the estimate one chunk late), and `advance` may decide the end between VAD
   * chunks.
   */
  noteLoud(end: number): void {
    this.lastLoudEnd = Math.max(this.lastLoudEnd, end);
  }

  /**
   * Audio has been heard up to `now` (between VAD chunks). Ends the utterance here when the hangover has passed since
   * the estimated end, the last VAD chunk was below deactivation and nothing loud came after it: waiting for the next
   * chunk boundary would add up to a chunk (32 ms) to every end decision. Without noteLoud nothing happens here.
   */
  advance(now: number): SegmenterEvent[] {
    const s = this.state;
    if (s.name !== 'speech' || s.silenceSince === null || s.lastLoudInSpeech === null) return [];
    if (this.lastLoudEnd > this.lastChunkEnd || now - this.estimatedEnd(s) < this.options.hangoverS) return [];
    this.state = { name: 'silence' };
    return [this.endEvent(s, now)];
  }

  /** Ends an open utterance at end of stream. */
  flush(t: number): SegmenterEvent[] {
    const s = this.state;
    this.state = { name: 'silence' };
    return s.name === 'speech' ? [this.endEvent(s, t)] : [];
  }

  private estimatedEnd(s: Extract<State, { name: 'speech' }>): number {
    const trim = this.options.endTrimMaxS;
    const vad = s.lastSpeechEnd - Math.min(trim, s.lastSpeechEnd - s.lastStrongEnd);
    // loudness can only pull the end earlier, and never by more than endTrimMaxS in all
    const loud =
      s.lastLoudInSpeech === null ? vad : Math.max(s.lastSpeechEnd - trim, Math.min(vad, s.lastLoudInSpeech));
    return Math.max(s.start, loud);
  }

  /** The last loud block end, when one was heard since `t - maxUtteranceS` (null when loudness is not reported). */
  private loudBefore(t: number): number | null {
    return this.lastLoudEnd > t - this.options.maxUtteranceS ? Math.min(this.lastLoudEnd, t) : null;
  }

  private endEvent(s: Extract<State, { name: 'speech' }>, t: number, end = this.estimatedEnd(s)): SegmenterEvent {
    return { kind: 'utterance.end', t, utteranceId: s.id, start: s.start, end, continuation: s.continuation };
  }
}
