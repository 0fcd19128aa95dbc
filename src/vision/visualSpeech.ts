/**
 * Articulation seen on the lips: the lip gap (inner lips, in inter-ocular distances) opening and closing again and
 * again within a second, as syllables (3–8 per second) and chewing make it. A single opening — a smile parting the
 * lips, a jaw drop in surprise — is one excursion and does not count.
 *
 * Why: the spotter rejects mouth/jaw-only events while someone speaks, but "speaking" comes from the audio VAD, which
 * a muted participant, a clip without sound or a far microphone does not give. On MEAD's silent clips of a talking
 * speaker every syllable read as a micro-expression (bench/spotting `silent_precision` 0.14).
 *
 * Method: turning points of the lip gap with hysteresis (a maximum or minimum is confirmed once the gap has moved
 * `minExcursion` away from it), and articulation while at least `minTurns` turning points fall in the last
 * `windowS`. Measured on talking/1.mp4 and 3.mp4 (speech per ffmpeg silencedetect): syllable excursions are
 * 0.05–0.2 IOD, a closed mouth at rest wobbles by < 0.01.
 */
export interface VisualSpeechOptions {
  /** IOD units the gap must move away from a turning point to confirm it */
  minExcursion: number;
  /** turning points within `windowS` that make articulation */
  minTurns: number;
  windowS: number;
}

export const defaultVisualSpeechOptions: VisualSpeechOptions = { minExcursion: 0.04, minTurns: 3, windowS: 1 };

export class VisualSpeech {
  private readonly turns: number[] = [];
  /** the extreme of the current run and whether the run is rising */
  private ext: { v: number; t: number } | null = null;
  private rising = true;

  constructor(private readonly o: VisualSpeechOptions = defaultVisualSpeechOptions) {}

  /** Lip gap (IOD units) at media time t → 1 while the lips articulate, else 0. */
  push(t: number, gap: number): number {
    if (!Number.isFinite(gap)) return 0;
    if (!this.ext) this.ext = { v: gap, t };
    else if (this.rising ? gap > this.ext.v : gap < this.ext.v) this.ext = { v: gap, t };
    else if (Math.abs(gap - this.ext.v) >= this.o.minExcursion) {
      this.turns.push(this.ext.t);
      this.rising = !this.rising;
      this.ext = { v: gap, t };
    }
    while (this.turns.length && this.turns[0] < t - this.o.windowS) this.turns.shift();
    return this.turns.length >= this.o.minTurns ? 1 : 0;
  }
}
