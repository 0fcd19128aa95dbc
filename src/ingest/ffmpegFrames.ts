/**
 * What the file and live video decoders share about ffmpeg: the output arguments for raw RGB frames on stdout and
 * the reading of its stderr, where the `showinfo` filter reports each frame's pts in output order (raw frames on
 * stdout carry none).
 */
import type { Readable } from 'node:stream';

/** One raw RGB24 frame on stdout per decoded frame, none duplicated or dropped (the pts are the input's). */
export const RGB_FRAMES_TO_STDOUT = ['-vsync', 'passthrough', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'];

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
