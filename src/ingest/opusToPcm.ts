/**
 * Opus RTP payloads → 16 kHz mono float PCM in-process (opus-decoder, wasm: ~0.1 ms per 20 ms frame). The decoder
 * outputs 48 kHz; mono-mixed samples are low-pass filtered and decimated by 3.
 * The 3:1 decimator is hand-written: a fixed 31-tap windowed-sinc FIR carried across frames is all that is needed,
 * and the resampler packages on npm either work on whole buffers or pull in native builds.
 */
import { OpusDecoder } from 'opus-decoder';

const TAPS = (() => {
  const n = 31;
  const fc = 7600 / 48000; // cut-off just below the 8 kHz Nyquist of 16 kHz
  const h = new Float32Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const m = i - (n - 1) / 2;
    const sinc = m === 0 ? 2 * fc : Math.sin(2 * Math.PI * fc * m) / (Math.PI * m);
    const w = 0.54 - 0.46 * Math.cos((2 * Math.PI * i) / (n - 1));
    h[i] = sinc * w;
    sum += h[i];
  }
  for (let i = 0; i < n; i++) h[i] /= sum;
  return h;
})();

export class Decimate48to16 {
  private readonly hist = new Float32Array(TAPS.length);
  private phase = 0;

  process(input: Float32Array): Float32Array {
    const out = new Float32Array(Math.ceil((input.length + this.phase) / 3));
    let o = 0;
    for (const x of input) {
      this.hist.copyWithin(0, 1);
      this.hist[this.hist.length - 1] = x;
      if (this.phase === 0) {
        let acc = 0;
        for (let k = 0; k < TAPS.length; k++) acc += TAPS[k] * this.hist[k];
        out[o++] = acc;
      }
      this.phase = (this.phase + 1) % 3;
    }
    return out.subarray(0, o);
  }
}

export class OpusToPcm {
  private readonly decoder = new OpusDecoder({ channels: 2 });
  private readonly decimate = new Decimate48to16();
  readonly ready: Promise<void>;

  constructor() {
    this.ready = this.decoder.ready;
  }

  /** Decodes one Opus packet; returns 16 kHz mono samples (empty for a packet that does not decode). */
  decode(payload: Uint8Array): Float32Array {
    const r = this.decoder.decodeFrame(payload);
    if (!r.samplesDecoded) return new Float32Array(0);
    const [l, rch] = r.channelData;
    const mono = new Float32Array(r.samplesDecoded);
    for (let i = 0; i < mono.length; i++) mono[i] = rch ? (l[i] + rch[i]) / 2 : l[i];
    return this.decimate.process(mono);
  }

  free(): void {
    this.decoder.free();
  }
}
