/**
 * Sinusoidal time encodings added to every token, so that each token carries its media time (the paper's
 * timestamp-bound tokens). Two clocks, each a bank of sin/cos pairs at geometric periods:
 *   - stream clock: seconds since stream start, periods 0.25 s … 4096 s (fine timing and position in a session);
 *   - utterance clock: seconds since the start of the utterance (or window) the token is read in, periods
 *     0.1 s … 64 s (negative for context before the utterance).
 * The encoding occupies the last `timeDims` dims of the D-wide token: [D − timeDims, D − timeDims/2) the stream clock,
 * [D − timeDims/2, D) the utterance clock; the other dims are 0, so the encoding is a plain vector addition.
 * Computed in float64 and rounded to float32 once, so a token's encoding depends on its time only (not on when or in
 * which batch it was computed): the incremental and the batch encoder see identical inputs.
 */
import type { ModelOptions } from './modelOptions.ts';

export const STREAM_PERIODS = { min: 0.25, max: 4096 } as const;
export const UTTERANCE_PERIODS = { min: 0.1, max: 64 } as const;

function bank(out: Float32Array, offset: number, pairs: number, t: number, p: { min: number; max: number }): void {
  for (let i = 0; i < pairs; i++) {
    const period = pairs === 1 ? p.min : p.min * (p.max / p.min) ** (i / (pairs - 1));
    const a = (2 * Math.PI * t) / period;
    out[offset + 2 * i] = Math.sin(a);
    out[offset + 2 * i + 1] = Math.cos(a);
  }
}

/** Writes the stream-clock encoding of `t` into `out` (length D) at its dims; other dims untouched. */
export function writeStreamTime(out: Float32Array, t: number, o: Pick<ModelOptions, 'dModel' | 'timeDims'>): void {
  const half = o.timeDims / 2;
  bank(out, o.dModel - o.timeDims, half / 2, t, STREAM_PERIODS);
}

/** Writes the utterance-clock encoding of `dt` (seconds since utterance start) into `out` at its dims. */
export function writeUtteranceTime(out: Float32Array, dt: number, o: Pick<ModelOptions, 'dModel' | 'timeDims'>): void {
  const half = o.timeDims / 2;
  bank(out, o.dModel - half, half / 2, dt, UTTERANCE_PERIODS);
}

/** D-wide vector with only the stream clock of t (what the projections add). */
export function streamTimeVector(t: number, o: Pick<ModelOptions, 'dModel' | 'timeDims'>): Float32Array {
  const v = new Float32Array(o.dModel);
  writeStreamTime(v, t, o);
  return v;
}

/** D-wide vector with only the utterance clock of dt (what the Q-Former adds to its memory). */
export function utteranceTimeVector(dt: number, o: Pick<ModelOptions, 'dModel' | 'timeDims'>): Float32Array {
  const v = new Float32Array(o.dModel);
  writeUtteranceTime(v, dt, o);
  return v;
}

/** Rows of stream-clock encodings for several times, [n, D] row-major. */
export function streamTimeRows(times: ArrayLike<number>, o: Pick<ModelOptions, 'dModel' | 'timeDims'>): Float32Array {
  const out = new Float32Array(times.length * o.dModel);
  for (let i = 0; i < times.length; i++) writeStreamTime(out.subarray(i * o.dModel, (i + 1) * o.dModel), times[i], o);
  return out;
}
