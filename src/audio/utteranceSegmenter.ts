/**
 * Utterance boundaries from a stream of per-chunk speech probabilities, with hysteresis: speech starts when the
 * probability rises above `activation` and stays above `deactivation` for `minSpeechS`; it ends after
 * `hangoverS` below `deactivation`. `utterance.start` goes out as soon as speech is confirmed, stamped with the
 * onset (looked back at most `preRollS`); `utterance.end` after the hangover, with the end of the last speech
 * chunk as its end time. A monologue longer than `maxUtteranceS` is split; the next part is a continuation.
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
    };

export class UtteranceSegmenter {
  readonly options: SegmenterOptions;
  private state: State = { name: 'silence' };
  private count = 0;

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
        };
      }
    }
    return out;
  }

  /** Ends an open utterance at end of stream. */
  flush(t: number): SegmenterEvent[] {
    const s = this.state;
    this.state = { name: 'silence' };
    return s.name === 'speech' ? [this.endEvent(s, t)] : [];
  }

  private estimatedEnd(s: Extract<State, { name: 'speech' }>): number {
    return Math.max(s.start, s.lastSpeechEnd - Math.min(this.options.endTrimMaxS, s.lastSpeechEnd - s.lastStrongEnd));
  }

  private endEvent(s: Extract<State, { name: 'speech' }>, t: number, end = this.estimatedEnd(s)): SegmenterEvent {
    return { kind: 'utterance.end', t, utteranceId: s.id, start: s.start, end, continuation: s.continuation };
  }
}
