/**
 * What a media file holds, read from ffmpeg's own input description (the npm-shipped static ffmpeg has no
 * ffprobe): the first video stream's size and rate, whether there is audio, and the duration.
 */
import { spawn } from 'node:child_process';

export interface MediaProbe {
  durationS: number | null;
  video: { codec: string; width: number; height: number; fps: number | null } | null;
  audio: { codec: string; sampleRate: number } | null;
}

export class MediaProbeError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(`${path}: ${message}`);
    this.name = 'MediaProbeError';
  }
}

export function parseFfmpegInputInfo(text: string): MediaProbe {
  const dur = /Duration: (\d+):(\d+):(\d+(?:\.\d+)?)/.exec(text);
  const durationS = dur ? Number(dur[1]) * 3600 + Number(dur[2]) * 60 + Number(dur[3]) : null;
  let video: MediaProbe['video'] = null;
  let audio: MediaProbe['audio'] = null;
  for (const line of text.split('\n')) {
    if (!video) {
      const v = /Stream #\d+:\d+.*?: Video: (\w+).*?, (\d{2,5})x(\d{2,5})/.exec(line);
      if (v) {
        const fps = /, ([\d.]+) fps/.exec(line) ?? /, ([\d.]+) tbr/.exec(line);
        video = { codec: v[1], width: Number(v[2]), height: Number(v[3]), fps: fps ? Number(fps[1]) : null };
      }
    }
    if (!audio) {
      const a = /Stream #\d+:\d+.*?: Audio: (\w+).*?, (\d+) Hz/.exec(line);
      if (a) audio = { codec: a[1], sampleRate: Number(a[2]) };
    }
  }
  return { durationS, video, audio };
}

export async function probeMedia(ffmpeg: string, path: string): Promise<MediaProbe> {
  const child = spawn(ffmpeg, ['-hide_banner', '-i', path], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d: Buffer) => {
    if (err.length < 256 * 1024) err += d.toString();
  });
  await new Promise<void>((resolve, reject) => {
    child.on('error', (e) => reject(new MediaProbeError(path, `cannot run ffmpeg (${e.message})`)));
    child.on('close', () => resolve());
  });
  const info = parseFfmpegInputInfo(err);
  if (!info.video && !info.audio) {
    const why = /No such file or directory/.test(err)
      ? 'no such file'
      : /moov atom not found/.test(err)
        ? 'truncated or unfinished file (moov atom not found)'
        : /Invalid data found/.test(err)
          ? 'not a readable media file (invalid data)'
          : 'no audio or video stream found';
    throw new MediaProbeError(path, why);
  }
  return info;
}
