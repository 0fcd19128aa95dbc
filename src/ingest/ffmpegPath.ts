/**
 * Which ffmpeg decodes: the static ffmpeg 4.1 inside the npm package @ffmpeg-installer/linux-x64 by default (it
 * installs with the other dependencies, no download, and returns each frame as soon as it is decoded — Debian's
 * 5.1 holds every frame until the next arrives), or the binary given by configuration.
 */
import ffmpegInstaller from '@ffmpeg-installer/ffmpeg';

export function resolveFfmpeg(configured?: string): string {
  return configured ?? ffmpegInstaller.path;
}
