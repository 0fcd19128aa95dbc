/**
 * What the file and live video decoders share about ffmpeg: the output arguments for raw RGB frames on stdout and
 * the reading of its stderr, where the `showinfo` filter reports each frame's pts in output order (raw frames on
 * stdout carry none).
 */
import type { Readable } from 'node:stream';

/** One raw RGB24 frame on stdout per decoded frame, none duplicated or dropped (the pts are the input's). */
const RGB_FRAMES_TO_STDOUT = ['-vsync', 'passthrough', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'];

/**
 * Input options for a video decoder: one decoding thread. ffmpeg's default on this 2-core machine is frame threading
 * with 3 threads, which costs 25–50 % more CPU for the same frames (640×480 H.264, 30 s at 30 fps: 1.34–1.66 s user
 * against 1.06–1.09 s) and holds frames back by the number of threads — a pipeline decodes one stream per process and
 * runs several streams on few cores, where those threads only compete. Decoded frames are bit-identical.
 */
export const ONE_DECODER_THREAD = ['-threads', '1'];

/**
 * ffmpeg arguments that filter the first video stream with `filter`, write its frames as raw RGB24 to stdout and report
 * each frame's pts through `showinfo` on stderr. showinfo runs on a 2×2 crop of a split copy of each frame, not on the
 * frame: it checksums every pixel it sees, and the bundled ffmpeg (2018) has no option to turn that off — on the full
 * 640×480 frames it cost 1.4 of ffmpeg's 3.2 s of CPU per 42 s of 30 fps video. split and crop pass references
 * (no pixel copy), so the frames on stdout are byte-identical. `sws_flags=bicubic` because ffmpeg gives a complex
 * filtergraph's scalers bilinear, not the bicubic of a simple `-vf` one (the frames differed in every byte without it).
 */
export function rgbFramesWithPts(filter: string): string[] {
  return [
    '-filter_complex',
    `sws_flags=bicubic;[0:v:0]${filter},split=2[frames][info];[info]crop=2:2:0:0,showinfo,nullsink`,
    '-map',
    '[frames]',
    ...RGB_FRAMES_TO_STDOUT,
  ];
}

export interface ShowinfoFrame {
  /** pts in the stream's time base */
  pts: number;
  /** pts in seconds */
  ptsTime: number;
}

const FRAME_LINE = /showinfo.* n:\s*\d+ .*pts:\s*(-?\d+) .*pts_time:\s*(-?[\d.]+)/;

/** One stderr line: a frame's showinfo, other showinfo output (null), or anything else ffmpeg said (the line). */
export function parseStderrLine(line: string): ShowinfoFrame | string | null {
  const m = FRAME_LINE.exec(line);
  if (m) return { pts: Number(m[1]), ptsTime: Number(m[2]) };
  return /showinfo/.test(line) ? null : line;
}

/** Splits ffmpeg's stderr into lines: frames go to `onFrame`, lines not from showinfo to `onLine`. */
export function readStderr(
  stderr: Readable | null,
  onFrame: (frame: ShowinfoFrame) => void,
  onLine?: (line: string) => void,
): void {
  let rest = '';
  stderr?.on('data', (d: Buffer) => {
    rest += d.toString();
    let nl = rest.indexOf('\n');
    while (nl >= 0) {
      const parsed = parseStderrLine(rest.slice(0, nl));
      if (typeof parsed === 'string') onLine?.(parsed);
      else if (parsed) onFrame(parsed);
      rest = rest.slice(nl + 1);
      nl = rest.indexOf('\n');
    }
  });
}
