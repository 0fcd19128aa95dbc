/**
 * Which face is speaking: per track, the Pearson correlation between mouth-opening activity (|Δ lip gap| per frame,
 * from actionUnits' measures or frameAnalyzer's mouthActivity) and the audio's speech energy (VAD probability or RMS)
 * over a sliding window at the video rate. The speaker is the track with the highest correlation above `minCorr`,
 * with some mouth activity at all (a still face cannot correlate with noise by chance for long).
 */
import { z } from 'zod';

export const activeSpeakerOptionsSchema = z.object({
  /** window, seconds */
  windowS: z.number().positive().default(2),
  minCorr: z.number().min(-1).max(1).default(0.2),
  /** frames per second the samples arrive at (window length in samples) */
  fps: z.number().positive().default(30),
});
export type ActiveSpeakerOptions = z.infer<typeof activeSpeakerOptionsSchema>;

interface Series {
  mouth: number[];
  speech: number[];
}

export class ActiveSpeaker {
  readonly opts: ActiveSpeakerOptions;
  private readonly tracks = new Map<number, Series>();
  private readonly cap: number;

  constructor(opts: z.input<typeof activeSpeakerOptionsSchema> = {}) {
    this.opts = activeSpeakerOptionsSchema.parse(opts);
    this.cap = Math.max(4, Math.round(this.opts.windowS * this.opts.fps));
  }

  /** One video frame: each visible track's mouth activity and the speech energy at that media time. */
  push(speech: number, mouthByTrack: ReadonlyMap<number, number>): void {
    for (const [id, m] of mouthByTrack) {
      let s = this.tracks.get(id);
      if (!s) {
        s = { mouth: [], speech: [] };
        this.tracks.set(id, s);
      }
      s.mouth.push(m);
      s.speech.push(speech);
      if (s.mouth.length > this.cap) {
        s.mouth.shift();
        s.speech.shift();
      }
    }
    for (const id of this.tracks.keys()) if (!mouthByTrack.has(id)) this.tracks.delete(id);
  }

  correlation(trackId: number): number {
    const s = this.tracks.get(trackId);
    return s ? pearson(s.mouth, s.speech) : 0;
  }

  /** The speaking track, or null. */
  speaker(): number | null {
    let best: number | null = null;
    let bestC = this.opts.minCorr;
    for (const id of this.tracks.keys()) {
      const c = this.correlation(id);
      if (c > bestC) {
        bestC = c;
        best = id;
      }
    }
    return best;
  }

  drop(trackId: number): void {
    this.tracks.delete(trackId);
  }
}

export function pearson(a: readonly number[], b: readonly number[]): number {
  const n = Math.min(a.length, b.length);
  if (n < 3) return 0;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i];
    mb += b[i];
  }
  ma /= n;
  mb /= n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) ** 2;
    sbb += (b[i] - mb) ** 2;
  }
  return saa > 1e-12 && sbb > 1e-12 ? sab / Math.sqrt(saa * sbb) : 0;
}
