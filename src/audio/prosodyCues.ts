/**
 * Cue strings from an utterance's prosody, for explanations and subscribers: "pitch rose 30 % above baseline at
 * 12.4 s", "speech rate 5.1 syll/s, fast", "voice 8 dB louder than baseline". A cue is given only where the
 * difference is large enough to hear; comparisons with the speaker need a baseline (none for a first utterance).
 */
import type { UtteranceProsody } from './utteranceProsody.ts';

export type ProsodyCueKind = 'pitch' | 'pitchRange' | 'loudness' | 'rate' | 'jitter' | 'shimmer';

export interface ProsodyCue {
  kind: ProsodyCueKind;
  text: string;
  /** media time the cue points at (the peak), or the utterance start */
  at: number;
  value: number;
}

export const CUE_THRESHOLDS = {
  /** |median F0 − baseline| in % (about 1.7 semitones) */
  pitchPct: 10,
  loudnessDb: 3,
  /** absolute rate classes, nuclei/s (conversational English is ~3–5.5) */
  slowRate: 3,
  fastRate: 5.5,
  ratePct: 25,
  /** 5th–95th percentile F0 range, semitones, over at least 0.5 s voiced */
  monotoneSt: 2,
  livelySt: 12,
  /** jitter/shimmer: this multiple of the speaker's baseline */
  ratio: 2,
} as const;

const at = (t: number) => `${t.toFixed(1)} s`;
const pct = (x: number) => `${Math.round(Math.abs(x))} %`;

export function prosodyCues(u: UtteranceProsody): ProsodyCue[] {
  const c = CUE_THRESHOLDS;
  const out: ProsodyCue[] = [];
  const r = u.relative;
  if (r.f0Pct !== null && Math.abs(r.f0Pct) >= c.pitchPct) {
    const t = r.f0Pct > 0 ? (u.f0PeakT ?? u.start) : u.start;
    out.push({
      kind: 'pitch',
      value: r.f0Pct,
      at: t,
      text:
        r.f0Pct > 0
          ? `pitch rose ${pct(r.f0Pct)} above baseline at ${at(t)}`
          : `pitch fell ${pct(r.f0Pct)} below baseline at ${at(t)}`,
    });
  }
  if (u.f0RangeSt !== null && u.voicedS >= 0.5) {
    if (u.f0RangeSt <= c.monotoneSt) {
      out.push({
        kind: 'pitchRange',
        value: u.f0RangeSt,
        at: u.start,
        text: `flat pitch (range ${u.f0RangeSt.toFixed(1)} semitones)`,
      });
    } else if (u.f0RangeSt >= c.livelySt) {
      out.push({
        kind: 'pitchRange',
        value: u.f0RangeSt,
        at: u.f0PeakT ?? u.start,
        text: `lively pitch (range ${u.f0RangeSt.toFixed(0)} semitones)`,
      });
    }
  }
  if (r.energyDb !== null && Math.abs(r.energyDb) >= c.loudnessDb) {
    const t = r.energyDb > 0 ? (u.energyPeakT ?? u.start) : u.start;
    out.push({
      kind: 'loudness',
      value: r.energyDb,
      at: t,
      text: `voice ${Math.abs(r.energyDb).toFixed(0)} dB ${r.energyDb > 0 ? 'louder' : 'quieter'} than baseline`,
    });
  }
  if (u.nuclei >= 2) {
    const cls = u.rate >= c.fastRate ? 'fast' : u.rate <= c.slowRate ? 'slow' : 'normal';
    const rel = r.ratePct !== null && Math.abs(r.ratePct) >= c.ratePct ? r.ratePct : null;
    if (cls !== 'normal' || rel !== null) {
      const vs = rel === null ? '' : `, ${pct(rel)} ${rel > 0 ? 'faster' : 'slower'} than baseline`;
      out.push({
        kind: 'rate',
        value: u.rate,
        at: u.start,
        text: `speech rate ${u.rate.toFixed(1)} syll/s, ${cls}${vs}`,
      });
    }
  }
  // waveform-peak jitter/shimmer vary a lot between voices (espeak reads ~2 % / ~16 %): only the change against the
  // same speaker says something
  const vq = (kind: 'jitter' | 'shimmer', v: number | null, ratio: number | null, what: string) => {
    if (v === null || ratio === null || ratio < c.ratio) return;
    out.push({
      kind,
      value: v,
      at: u.start,
      text: `${what}: ${kind} ${(v * 100).toFixed(1)} % (${ratio.toFixed(1)}× baseline)`,
    });
  };
  vq('jitter', u.jitter, r.jitterRatio, 'unsteady pitch');
  vq('shimmer', u.shimmer, r.shimmerRatio, 'unsteady loudness');
  return out;
}
