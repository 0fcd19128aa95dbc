/**
 * File source: any ffmpeg-readable file → the same timestamped RGB frames and 16 kHz mono PCM as a live stream.
 * Video and audio are decoded by two ffmpeg children (one per output pipe). Frame times come from ffmpeg's
 * `showinfo` (the frame's own pts, so variable frame rate is kept); audio is resampled to start at t = 0 and its
 * time is counted in samples. Read as fast as the consumer allows (pause/resume) or paced in real time.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { ONE_DECODER_THREAD, readStderr, rgbFramesWithPts } from './ffmpegFrames.ts';
import { resolveFfmpeg } from './ffmpegPath.ts';
import type { EndReason, MediaSource, MediaSourceEvents, SourceInfo } from './mediaSource.ts';
import { probeMedia } from './probeMedia.ts';
import { runInBackground } from './processPriority.ts';
import { RawFrameReader } from './rawFrameReader.ts';
import { userBufferPipe } from './userBufferPipe.ts';

export interface FileSourceOptions {
  streamId: string;
  room: string;
  /** long side of the frames handed out, pixels (aspect kept, even sizes) */
  longSide?: number;
  /** pace output at the media rate instead of as fast as possible */
  realtime?: boolean;
  ffmpegPath?: string;
  /** samples per audio chunk (default 512 = 32 ms, the VAD's chunk) */
  audioChunk?: number;
}

/** Output size with the long side scaled to `longSide` (never upscaled), both even. */
export function analysisSize(width: number, height: number, longSide: number): { width: number; height: number } {
  const s = Math.min(1, longSide / Math.max(width, height));
  const even = (x: number) => Math.max(2, 2 * Math.round((x * s) / 2));
  return { width: even(width), height: even(height) };
}

export async function openFileSource(path: string, opts: FileSourceOptions): Promise<FileSource> {
  const ffmpeg = resolveFfmpeg(opts.ffmpegPath);
  const probe = await probeMedia(ffmpeg, path);
  const size = probe.video ? analysisSize(probe.video.width, probe.video.height, opts.longSide ?? 640) : null;
  return new FileSource(path, ffmpeg, opts, probe.durationS, size, {
    kind: 'file',
    streamId: opts.streamId,
    room: opts.room,
    video: probe.video && size ? { codec: probe.video.codec, width: size.width, height: size.height } : null,
    audio: probe.audio ? { codec: probe.audio.codec, sampleRate: 16000 } : null,
  });
}

export class FileSource extends EventEmitter<MediaSourceEvents> implements MediaSource {
  private readonly children: ChildProcess[] = [];
  private readonly ptsQueue: number[] = [];
  private readonly frameQueue: { buf: Uint8Array; index: number }[] = [];
  private stderrTail = '';
  private ended = false;
  private paused = false;
  /**
   * Realtime mode: the wall time of media time 0, set when the first video frame is ready (audio-only files: the first
   * audio chunk), not at spawn. A live camera delivers its first frame when it captures it; anchored at spawn, the
   * frames decoded during ffmpeg's start-up (~0.1–0.2 s, more with several streams starting) all came out late, in one
   * burst of 4–6 frames that the live gate could only drop.
   */
  private startWall: number | undefined;
  private audioOut: NodeJS.ReadableStream | null = null;
  private pacing: NodeJS.Timeout | undefined;
  /** realtime mode: decoded audio chunks waiting for their wall time (bounded: ffmpeg's pipe is paused) */
  private readonly audioQueue: { t: number; samples: Float32Array }[] = [];
  private audioPacing: NodeJS.Timeout | undefined;
  private audioEnded = false;
  private readonly spareFrames: Uint8Array[] = [];
  private open = 0;
  /** the video child's stdout, read into one reused buffer (userBufferPipe.ts) */
  private videoOut: Socket | null = null;
  private framesOut = 0;
  private lastT = 0;

  constructor(
    readonly path: string,
    private readonly ffmpeg: string,
    private readonly opts: FileSourceOptions,
    readonly durationS: number | null,
    private readonly size: { width: number; height: number } | null,
    readonly info: SourceInfo,
  ) {
    super();
  }

  /** Starts decoding; listeners should be attached first. */
  start(): void {
    if (this.size) void this.startVideo(this.size);
    if (this.info.audio) this.startAudio();
    if (!this.size && !this.info.audio) void this.finish('error', 'nothing to decode');
  }

  get framesEmitted(): number {
    return this.framesOut;
  }

  /**
   * `stdout`: a socket to write into instead of a pipe; the child then counts as closed once `drained` too.
   * `input`: options for the input (before `-i`).
   */
  private spawn(
    args: string[],
    stdout?: { socket: Socket; drained: Promise<void> },
    input: readonly string[] = [],
  ): ChildProcess {
    const child = spawn(this.ffmpeg, ['-hide_banner', '-nostdin', ...input, '-i', this.path, ...args], {
      stdio: ['ignore', stdout?.socket ?? 'pipe', 'pipe'],
    });
    if (child.pid) runInBackground(child.pid);
    this.children.push(child);
    this.open++;
    child.on('close', (code) => {
      // with a socket for stdout, 'close' does not wait for its data to be read
      void (stdout?.drained ?? Promise.resolve()).then(() => {
        this.open--;
        this.onChildClosed(code);
      });
    });
    child.on('error', (err) => void this.finish('error', `ffmpeg failed to start: ${err.message}`));
    return child;
  }

  private async startVideo(size: { width: number; height: number }): Promise<void> {
    const { width, height } = size;
    const reader = new RawFrameReader(width * height * 3, (buf, index) => {
      // The reader's pool is reused: keep a private copy only while the frame waits for its pts or its time. The
      // copies are recycled once emitted (listeners copy what they keep): a fresh 0.9 MB buffer per frame was a
      // steady source of GC pauses on the main loop.
      const copy = this.spareFrames.pop() ?? new Uint8Array(buf.length);
      copy.set(buf);
      this.frameQueue.push({ buf: copy, index });
      this.drain();
    });
    // counts as an open child while the pipe is set up, so an audio track that ends first does not end the source
    this.open++;
    let pipe: Awaited<ReturnType<typeof userBufferPipe>>;
    try {
      pipe = await userBufferPipe((chunk) => reader.push(chunk));
    } catch (err) {
      this.open--;
      await this.finish('error', `video pipe: ${(err as Error).message}`);
      return;
    }
    this.open--;
    if (this.ended) {
      pipe.reader.destroy();
      pipe.closeChildEnd();
      return;
    }
    this.videoOut = pipe.reader;
    const drained = new Promise<void>((resolve) => {
      pipe.reader.once('end', resolve);
      pipe.reader.once('close', resolve);
    });
    // a video track that ends without a single frame must not hold the audio back for ever
    void drained.then(() => {
      if (!this.opts.realtime || this.startWall !== undefined) return;
      this.startClock(this.audioQueue[0]?.t ?? 0);
      this.drainAudio();
    });
    const child = this.spawn(
      rgbFramesWithPts(`scale=${width}:${height}`),
      { socket: pipe.childEnd, drained },
      ONE_DECODER_THREAD,
    );
    pipe.closeChildEnd();
    this.setVideoFlow(this.frameQueue.length < 3 && !this.paused);
    readStderr(
      child.stderr,
      ({ ptsTime }) => {
        this.ptsQueue.push(Math.max(0, ptsTime));
        this.drain();
      },
      (l) => {
        this.stderrTail = (this.stderrTail + l + '\n').slice(-4000);
      },
    );
  }

  private startAudio(): void {
    const chunk = this.opts.audioChunk ?? 512;
    const child = this.spawn([
      '-map',
      '0:a:0',
      '-af',
      'aresample=async=1:first_pts=0',
      '-ac',
      '1',
      '-ar',
      '16000',
      '-f',
      'f32le',
      'pipe:1',
    ]);
    let samples = 0;
    const pending = new Float32Array(chunk);
    let filled = 0;
    let carry = Buffer.alloc(0);
    this.audioOut = child.stdout;
    const emitChunk = (data: Float32Array) => {
      if (this.ended) return;
      const t = samples / 16000;
      samples += data.length;
      if (!this.opts.realtime) {
        this.emit('audio', { t, samples: data });
        return;
      }
      // paced like the video: a live source cannot deliver audio ahead of its time
      this.audioQueue.push({ t, samples: data });
      if (this.audioQueue.length > 64) child.stdout?.pause();
      this.drainAudio();
    };
    child.stdout?.on('data', (d: Buffer) => {
      let buf = carry.length ? Buffer.concat([carry, d]) : d;
      const usable = buf.length - (buf.length % 4);
      carry = Buffer.from(buf.subarray(usable));
      buf = buf.subarray(0, usable);
      const f = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + usable));
      let off = 0;
      while (off < f.length) {
        const n = Math.min(chunk - filled, f.length - off);
        pending.set(f.subarray(off, off + n), filled);
        filled += n;
        off += n;
        if (filled === chunk) {
          emitChunk(pending.slice());
          filled = 0;
        }
      }
    });
    child.stdout?.on('end', () => {
      if (filled > 0) emitChunk(pending.slice(0, filled));
      this.audioEnded = true;
      if (this.opts.realtime) this.drainAudio();
      else if (!this.ended) this.emit('trackEnd', 'audio');
    });
    child.stderr?.on('data', (d: Buffer) => {
      this.stderrTail = (this.stderrTail + d.toString()).slice(-4000);
    });
  }

  /** Realtime mode: media time `t` is due now. */
  private startClock(t: number): number {
    this.startWall = performance.now() - t * 1000;
    return this.startWall;
  }

  /** Realtime mode: emits the audio chunks whose time has come, then the track's end once all are out. */
  private drainAudio(): void {
    const out = this.audioOut;
    while (!this.ended && this.audioQueue.length) {
      // with video, the first frame sets the clock (the audio waits for it, bounded by the paused pipe)
      if (this.startWall === undefined && this.size) return;
      const start = this.startWall ?? this.startClock(this.audioQueue[0].t);
      const wait = start + this.audioQueue[0].t * 1000 - performance.now();
      if (wait > 1) {
        this.audioPacing ??= setTimeout(() => {
          this.audioPacing = undefined;
          this.drainAudio();
        }, wait);
        return;
      }
      const c = this.audioQueue.shift()!;
      this.emit('audio', c);
    }
    if (this.audioQueue.length < 16 && out?.isPaused()) out.resume();
    if (this.audioEnded && this.audioQueue.length === 0 && !this.ended) {
      this.audioEnded = false;
      this.emit('trackEnd', 'audio');
      if (this.open === 0 && this.frameQueue.length === 0) void this.finishAfterChildren();
    }
  }

  /** Emits queued frames whose pts is known (and, when paced, whose time has come). */
  private drain(): void {
    while (!this.ended && !this.paused && this.frameQueue.length && this.ptsQueue.length) {
      const t = this.ptsQueue[0];
      if (this.opts.realtime) {
        let start = this.startWall;
        if (start === undefined) {
          start = this.startClock(t);
          // audio held back for the clock goes out now
          if (this.audioQueue.length) this.drainAudio();
        }
        const wait = start + t * 1000 - performance.now();
        if (wait > 1) {
          this.pacing ??= setTimeout(() => {
            this.pacing = undefined;
            this.drain();
          }, wait);
          this.setVideoFlow(false);
          return;
        }
      }
      this.ptsQueue.shift();
      const { buf, index } = this.frameQueue.shift()!;
      this.lastT = t;
      this.framesOut++;
      this.emit('video', { t, width: this.size!.width, height: this.size!.height, rgb: buf, index });
      if (this.spareFrames.length < 4) this.spareFrames.push(buf);
    }
    // Bound what waits in memory: stop reading ffmpeg while frames queue up.
    this.setVideoFlow(this.frameQueue.length < 3 && !this.paused);
    if (this.open === 0 && this.frameQueue.length === 0 && this.audioQueue.length === 0) {
      void this.finishAfterChildren();
    }
  }

  private setVideoFlow(on: boolean): void {
    const out = this.videoOut;
    if (!out || !this.size) return;
    if (on && out.isPaused()) out.resume();
    if (!on && !out.isPaused()) out.pause();
  }

  pause(): void {
    this.paused = true;
    this.setVideoFlow(false);
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.drain();
  }

  private exitCodes: (number | null)[] = [];

  private onChildClosed(code: number | null): void {
    this.exitCodes.push(code);
    if (this.open === 0) this.drain();
    if (this.open === 0 && this.frameQueue.length === 0 && this.audioQueue.length === 0) {
      void this.finishAfterChildren();
    }
  }

  private finishAfterChildren(): Promise<void> {
    if (this.ended) return Promise.resolve();
    const failed = this.exitCodes.some((c) => c !== 0);
    const truncated = /partial file|Invalid data found|moov atom not found|corrupt/i.test(this.stderrTail);
    if (failed || truncated) {
      const lines = this.stderrTail.trim().split('\n').filter(Boolean);
      const detail =
        lines.filter((l) => /partial file|Invalid data|moov atom|corrupt|error/i.test(l)).at(-1) ??
        lines.at(-1) ??
        'ffmpeg failed';
      const what = truncated ? 'truncated or corrupt file' : 'decoding failed';
      return this.finish(
        'error',
        `${this.path}: ${what} after ${this.framesOut} frames (t=${this.lastT.toFixed(2)} s): ${detail}`,
      );
    }
    return this.finish('eof');
  }

  private finish(reason: EndReason, message?: string): Promise<void> {
    if (this.ended) return Promise.resolve();
    this.ended = true;
    clearTimeout(this.pacing);
    clearTimeout(this.audioPacing);
    this.audioQueue.length = 0;
    for (const c of this.children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    this.videoOut?.destroy();
    this.frameQueue.length = 0;
    this.emit('end', reason, message);
    return Promise.resolve();
  }

  async stop(reason: EndReason = 'deleted', message?: string): Promise<void> {
    await this.finish(reason, message);
    await Promise.all(
      this.children.map(
        (c) =>
          new Promise<void>((r) => {
            if (c.exitCode !== null || c.signalCode !== null) return r();
            c.once('close', () => r());
          }),
      ),
    );
  }
}
