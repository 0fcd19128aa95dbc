/**
 * One-Euro filter (Casiez, Roussel, Vogel, CHI 2012) over a whole vector at once: a first-order low-pass whose cutoff
 * rises with the signal's speed, so landmark jitter at rest is smoothed hard while real motion passes with little lag.
 * Hand-written because it is ~30 lines and must run in place on one Float32Array per track (1,404 mesh coordinates
 * per frame); the npm packages found filter one scalar per object, and no package list here has one.
 * Each element has its own speed and cutoff; `t` is media seconds, so a dropped frame
 * (larger dt) just filters less.
 */
export interface OneEuroOptions {
  /** cutoff at rest, Hz: lower = smoother still face */
  minCutoff: number;
  /** cutoff gain per unit of speed (units/s): higher = less lag in fast motion */
  beta: number;
  /** cutoff for the speed estimate, Hz */
  dCutoff: number;
}

const alpha = (cutoff: number, dt: number) => {
  const tau = 1 / (2 * Math.PI * cutoff);
  return 1 / (1 + tau / dt);
};

export class OneEuroVector {
  private x: Float32Array | null = null;
  private dx: Float32Array | null = null;
  private t = 0;

  constructor(private readonly o: OneEuroOptions) {}

  /**
   * Filters `v` in place (and returns it): every element, or only those listed in `only` (the same list on every
   * call). The first sample passes unchanged.
   */
  filter(t: number, v: Float32Array, only?: ArrayLike<number>): Float32Array {
    const dt = t - this.t;
    if (!this.x || !this.dx || this.x.length !== v.length || !(dt > 0)) {
      this.x = v.slice();
      this.dx = new Float32Array(v.length);
      this.t = t;
      return v;
    }
    const ad = alpha(this.o.dCutoff, dt);
    const n = only ? only.length : v.length;
    for (let k = 0; k < n; k++) {
      const i = only ? only[k] : k;
      const d = (v[i] - this.x[i]) / dt;
      const ed = this.dx[i] + ad * (d - this.dx[i]);
      this.dx[i] = ed;
      const a = alpha(this.o.minCutoff + this.o.beta * Math.abs(ed), dt);
      const y = this.x[i] + a * (v[i] - this.x[i]);
      this.x[i] = y;
      v[i] = y;
    }
    this.t = t;
    return v;
  }
}
