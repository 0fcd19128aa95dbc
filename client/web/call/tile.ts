/**
 * One participant's video with its live overlays: face boxes with the top frame expression, the latest utterance
 * emotion and its first descriptor, valence/arousal meters, a speaking indicator and a flash per micro-expression.
 * The DOM carries counters (`data-face-frames`, `data-micro`) so a page test can tell that events were drawn.
 */
import type { EventOf } from '../../sdk/index.ts';
import { boxOnElement, DEFAULT_ANALYSIS, type Size } from '../common/geometry.ts';
import { pct, signed, topClass } from '../common/labels.ts';
import { el } from '../common/session.ts';

const FLASH_MS = 900;

export class Tile {
  readonly root: HTMLElement;
  readonly video: HTMLVideoElement;
  private readonly overlay: HTMLElement;
  private readonly emotion: HTMLElement;
  private readonly microNote: HTMLElement;
  private readonly valence: HTMLElement;
  private readonly arousal: HTMLElement;
  private boxes: HTMLElement[] = [];
  private flashTimer: ReturnType<typeof setTimeout> | undefined;
  private lastFaces: EventOf<'face.frame'>['faces'] = [];
  /** size of the server's analysis frame for this stream (boxes are in its pixels) */
  analysis: Size = DEFAULT_ANALYSIS;
  private haveEmotion = false;

  constructor(
    readonly streamId: string,
    name: string,
    local: boolean,
  ) {
    this.video = el('video', { autoplay: '', playsinline: '' });
    this.video.muted = local;
    this.overlay = el('div', { class: 'overlay' });
    this.microNote = el('div', { class: 'micro-note' }, 'micro-expression');
    this.emotion = el('span', { class: 'emotion' }, el('small', {}, 'waiting for analysis…'));
    this.valence = el('span');
    this.arousal = el('span');
    const va = el(
      'div',
      { class: 'va' },
      'valence',
      el('div', { class: 'meter' }, this.valence),
      'arousal',
      el('div', { class: 'meter' }, this.arousal),
    );
    const hud = el(
      'div',
      { class: 'hud' },
      el('span', { class: 'speak-dot', title: 'speaking' }),
      el('span', { class: 'name' }, local ? `${name} (you)` : name),
      this.emotion,
      va,
    );
    this.root = el('div', {
      class: 'tile',
      'data-stream-id': streamId,
      'data-local': String(local),
      'data-face-frames': '0',
      'data-micro': '0',
    });
    this.root.append(this.video, this.overlay, this.microNote, hud);
    // a resize or the first decoded frame moves where the boxes belong
    this.video.addEventListener('resize', () => this.drawFaces());
    new ResizeObserver(() => this.drawFaces()).observe(this.root);
  }

  attach(stream: MediaStream): void {
    if (this.video.srcObject !== stream) this.video.srcObject = stream;
    void this.video.play().catch(() => {
      // autoplay with sound refused (no user gesture yet): play muted rather than not at all
      this.video.muted = true;
      return this.video.play().catch(() => undefined);
    });
  }

  private bump(key: 'faceFrames' | 'micro'): void {
    this.root.dataset[key] = String(Number(this.root.dataset[key] ?? 0) + 1);
  }

  onFaceFrame(e: EventOf<'face.frame'>): void {
    this.lastFaces = e.faces;
    this.bump('faceFrames');
    this.drawFaces();
    const face = e.faces[0];
    if (!face) return;
    this.meter(this.valence, face.valence);
    this.meter(this.arousal, face.arousal);
    if (!this.haveEmotion) {
      const top = topClass(face.expression);
      this.emotion.replaceChildren(el('strong', {}, top.label), ' ', el('small', {}, `frame ${pct(top.p)}`));
    }
    if (face.speaking !== undefined && this.root.dataset.utterance === undefined)
      this.root.classList.toggle('speaking', face.speaking);
  }

  private meter(bar: HTMLElement, v: number): void {
    // a bar growing from the centre: right for positive, left for negative
    bar.style.left = `${50 + Math.min(0, v) * 50}%`;
    bar.style.width = `${Math.abs(v) * 50}%`;
    bar.parentElement?.setAttribute('title', signed(v));
  }

  private drawFaces(): void {
    const video = { width: this.video.videoWidth, height: this.video.videoHeight };
    const element = { width: this.overlay.clientWidth, height: this.overlay.clientHeight };
    while (this.boxes.length > this.lastFaces.length) this.boxes.pop()?.remove();
    this.lastFaces.forEach((face, i) => {
      const r = boxOnElement(face.box, this.analysis, video, element);
      let box = this.boxes[i];
      if (!box) {
        box = el('div', { class: 'face-box' }, el('span', { class: 'face-label' }));
        this.boxes.push(box);
        this.overlay.append(box);
      }
      box.hidden = !r;
      if (!r) return;
      Object.assign(box.style, { left: `${r.x}px`, top: `${r.y}px`, width: `${r.w}px`, height: `${r.h}px` });
      const top = topClass(face.expression);
      (box.firstChild as HTMLElement).textContent = `#${face.trackId} ${top.label} ${pct(top.p)}`;
    });
  }

  onEmotion(e: EventOf<'emotion'>): void {
    this.haveEmotion = true;
    const word = e.descriptors[0]?.word;
    this.emotion.replaceChildren(
      el('strong', {}, e.label),
      word ? ` · ${word}` : '',
      ' ',
      el('small', {}, `${pct(e.confidence)}${e.final ? '' : ' …'}`),
    );
    this.emotion.title = e.explanation;
    this.root.dataset.emotion = e.label;
  }

  onMicro(e: EventOf<'microexpression'>): void {
    this.bump('micro');
    this.microNote.textContent = `${e.kind}-expression: ${e.expressionAtApex} (${e.aus.join('+') || e.regions.join(', ')})`;
    this.root.classList.add('flash');
    clearTimeout(this.flashTimer);
    this.flashTimer = setTimeout(() => this.root.classList.remove('flash'), FLASH_MS);
  }

  onUtterance(speaking: boolean): void {
    // once the VAD speaks for this stream it wins over the per-face mouth-activity guess
    this.root.dataset.utterance = speaking ? 'on' : 'off';
    this.root.classList.toggle('speaking', speaking);
  }

  remove(): void {
    clearTimeout(this.flashTimer);
    this.video.srcObject = null;
    this.root.remove();
  }
}
