/**
 * One long-lived ffmpeg per live video track: depacketized frames go in as IVF on stdin (pts = RTP time), raw RGB
 * frames of a fixed analysis size come out on stdout, cut into preallocated buffers, each with its pts from
 * ffmpeg's showinfo. A crash restarts the decoder (and asks the sender for a keyframe) without ending the stream;
 * resolution changes need no restart because the output size is fixed (scaled and letterboxed).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { ONE_DECODER_THREAD, readStderr, rgbFramesWithPts } from './ffmpegFrames.ts';
import { ivfFileHeader, ivfFrameHeader } from './ivfWriter.ts';
import { runInBackground } from './processPriority.ts';
import { RawFrameReader } from './rawFrameReader.ts';
import { userBufferPipe } from './userBufferPipe.ts';

export interface DecodedFrame {
  /** the pts given with the encoded frame (RTP ticks since the track's first packet) */
  pts: number;
  rgb: Uint8Array;
  index: number;
}

export interface LiveVideoDecoderOptions {
  ffmpeg: string;
  codec: 'VP8' | 'H264';
  width: number;
  height: number;
  onFrame: (frame: DecodedFrame) => void;
  /** the decoder needs a keyframe (started, restarted) */
  onNeedKeyframe: () => void;
  onError?: (message: string) => void;
}

export class LiveVideoDecoder {
  private child: ChildProcess | undefined;
  private stopped = false;
  restarts = 0;
  framesIn = 0;
  framesOut = 0;

  constructor(private readonly opts: LiveVideoDecoderOptions) {
    this.start();
  }

  /** Until the decoder is up (a few ms), encoded frames are not written: it asks for a keyframe once started. */
  private start(): void {
    void this.spawnDecoder().catch((err: Error) => this.opts.onError?.(`video decoder: ${err.message}`));
  }

  private async spawnDecoder(): Promise<void> {
    const { width, height } = this.opts;
    // A frame's pixels (stdout) and its pts (showinfo on stderr) come through two pipes, in either order: each waits
    // for the other. Frames that wait are copied, since the reader reuses its buffers; under load they were seen
    // arriving first, and dropping them paired every later frame with its predecessor's pts (one frame early).
    const pts: number[] = [];
    const waiting: { rgb: Uint8Array; index: number }[] = [];
    const emit = (p: number, rgb: Uint8Array, index: number) => {
      this.framesOut++;
      this.opts.onFrame({ pts: p, rgb, index });
    };
    const reader = new RawFrameReader(width * height * 3, (buf, index) => {
      const p = pts.shift();
      if (p === undefined) waiting.push({ rgb: buf.slice(), index });
      else emit(p, buf, index);
    });
    // stdout is read into one reused buffer (userBufferPipe.ts: no garbage per read for the GC); the socket closes
    // itself at the decoder's EOF
    const pipe = await userBufferPipe((chunk) => reader.push(chunk));
    if (this.stopped) {
      pipe.reader.destroy();
      pipe.closeChildEnd();
      return;
    }
    const child = spawn(
      this.opts.ffmpeg,
      [
        '-hide_banner',
        '-nostdin',
        '-fflags',
        'nobuffer',
        '-flags',
        'low_delay',
        '-probesize',
        '32',
        '-analyzeduration',
        '0',
        ...ONE_DECODER_THREAD,
        '-f',
        'ivf',
        '-i',
        'pipe:0',
        ...rgbFramesWithPts(
          `scale=${width}:${height}:force_original_aspect_ratio=decrease,pad=${width}:${height}:(ow-iw)/2:(oh-ih)/2`,
        ),
      ],
      { stdio: ['pipe', pipe.childEnd, 'pipe'] },
    );
    pipe.closeChildEnd();
    if (child.pid) runInBackground(child.pid);
    this.child = child;
    readStderr(
      child.stderr,
      (f) => {
        const frame = waiting.shift();
        if (frame) emit(f.pts, frame.rgb, frame.index);
        else pts.push(f.pts);
      },
      (l) => {
        if (process.env.MICROEMO_DEBUG_FFMPEG) this.opts.onError?.(`ffmpeg: ${l}`);
      },
    );
    child.stdin?.on('error', () => undefined); // EPIPE when ffmpeg dies: handled by 'exit'
    child.on('exit', (code, signal) => {
      if (this.stopped) return;
      this.restarts++;
      this.opts.onError?.(`video decoder exited (${signal ?? code}); restarting`);
      setTimeout(() => {
        if (!this.stopped) this.start();
      }, 100);
    });
    child.stdin?.write(ivfFileHeader(this.opts.codec === 'VP8' ? 'VP80' : 'H264', width, height));
    // -fflags nobuffer drops the first keyframe it sees: ask for one once the process is up.
    setTimeout(() => {
      if (!this.stopped) this.opts.onNeedKeyframe();
    }, 300);
  }

  /** One encoded frame (VP8 frame or Annex-B access unit). */
  write(data: Buffer, pts: number): void {
    const stdin = this.child?.stdin;
    if (!stdin || stdin.destroyed || this.stopped) return;
    this.framesIn++;
    stdin.write(ivfFrameHeader(data.length, pts));
    stdin.write(data);
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  stop(): Promise<void> {
    this.stopped = true;
    const c = this.child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      c.once('exit', () => resolve());
      c.stdin?.end();
      c.kill('SIGKILL');
    });
  }
}
