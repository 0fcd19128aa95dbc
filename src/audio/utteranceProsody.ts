/**
 * The prosody of one utterance: pitch (median, mean, 5th–95th percentile range), level, speaking rate, jitter and
 * shimmer over its frames, nuclei and pulses, and the same relative to the speaker's baseline taken before it.
 */
import type { ProsodyFrame } from './prosodyFrames.ts';
import type { SpeakerBaseline } from './speakerNormalizer.ts';
import { type Pulse, voiceQuality } from './voiceQuality.ts';

export interface UtteranceProsody {
  start: number;
  end: number;
  /** voiced frames' time, s, and its share of the utterance */
  voicedS: number;
  voicedRatio: number;
  /** Hz over voiced frames (null when fewer than MIN_VOICED frames) */
  f0Mean: number | null;
  f0Median: number | null;
  f0Min: number | null;
  f0Max: number | null;
  /** 5th–95th percentile range, semitones */
  f0RangeSt: number | null;
  /** time of the pitch peak (the 95th-percentile frame: the top is often an octave error) */
  f0PeakT: number | null;
  /** median level of the voiced frames (comparable with the baseline's median), dBFS, and its loudest frame */
  energyDb: number | null;
  energyPeakDb: number | null;
  energyPeakT: number | null;
  /** syllable nuclei per second of the utterance */
  rate: number;
  nuclei: number;
  jitter: number | null;
  shimmer: number | null;
  /** against the speaker's baseline before this utterance (null without one) */
  relative: {
    /** median F0, % above the baseline median */
    f0Pct: number | null;
    energyDb: number | null;
    ratePct: number | null;
    /** jitter and shimmer as multiples of the baseline */
    jitterRatio: number | null;
    shimmerRatio: number | null;
  };
}

const MIN_VOICED = 5;
/**
 * Ratios are taken against at least these: below them peak-picked values are resolution, not voice (a steady
 * synthetic voice reads ~0), and any speech would look many times "less steady".
 */
const JITTER_FLOOR = 0.005;
const SHIMMER_FLOOR = 0.02;

export function summariseUtterance(
  span: { start: number; end: number },
  frames: readonly ProsodyFrame[],
  nuclei: readonly number[],
  pulses: readonly Pulse[],
  baseline: SpeakerBaseline,
  o: { frameS: number; minF0: number; maxF0: number },
): UtteranceProsody {
  const { start, end } = span;
  const inSpan = frames.filter((f) => f.t >= start && f.t <= end);
  const voiced = inSpan.filter((f) => f.f0 > 0);
  const dur = Math.max(end - start, 1e-9);
  const byF0 = voiced.map((f) => f.f0).sort((a, b) => a - b);
  const enough = voiced.length >= MIN_VOICED;
  const q = (p: number) => byF0[Math.min(byF0.length - 1, Math.round(p * (byF0.length - 1)))];
  const f0Median = enough ? q(0.5) : null;
  const peakF0 = enough ? q(0.95) : null;
  let peak: ProsodyFrame | null = null;
  for (const f of voiced) if (!peak || f.db > peak.db) peak = f;
  const levels = voiced.map((f) => f.db).sort((a, b) => a - b);
  const energyDb = enough ? levels[levels.length >> 1] : null;
  const nucleiIn = nuclei.filter((t) => t >= start && t <= end).length;
  const rate = nucleiIn / dur;
  const vq = voiceQuality(
    pulses.filter((p) => p.t >= start && p.t <= end),
    { minPeriodS: 1 / o.maxF0, maxPeriodS: 1 / o.minF0 },
  );
  const pct = (x: number | null, b: number | null) => (x === null || !b ? null : (x / b - 1) * 100);
  return {
    start,
    end,
    voicedS: voiced.length * o.frameS,
    voicedRatio: inSpan.length ? voiced.length / inSpan.length : 0,
    f0Mean: enough ? byF0.reduce((a, b) => a + b, 0) / byF0.length : null,
    f0Median,
    f0Min: enough ? q(0.05) : null,
    f0Max: peakF0,
    f0RangeSt: enough ? 12 * Math.log2(q(0.95) / q(0.05)) : null,
    f0PeakT: peakF0 === null ? null : (voiced.find((f) => f.f0 === peakF0)?.t ?? null),
    energyDb,
    energyPeakDb: enough && peak ? peak.db : null,
    energyPeakT: enough && peak ? peak.t : null,
    rate,
    nuclei: nucleiIn,
    jitter: vq.jitter,
    shimmer: vq.shimmer,
    relative: {
      f0Pct: pct(f0Median, baseline.f0),
      energyDb: energyDb === null || baseline.db === null ? null : energyDb - baseline.db,
      ratePct: baseline.rate ? pct(rate, baseline.rate) : null,
      jitterRatio:
        vq.jitter === null || baseline.jitter === null ? null : vq.jitter / Math.max(baseline.jitter, JITTER_FLOOR),
      shimmerRatio:
        vq.shimmer === null || baseline.shimmer === null
          ? null
          : vq.shimmer / Math.max(baseline.shimmer, SHIMMER_FLOOR),
    },
  };
}
