/**
 * Headless Debian Chromium driven by playwright-core, with fake camera and microphone fed from files.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { FFMPEG } from './clips.ts';

export const CHROMIUM = '/usr/bin/chromium';

export function chromiumAvailable(): boolean {
  return existsSync(CHROMIUM) && spawnSync(CHROMIUM, ['--version']).status === 0;
}

/** Converts a clip into the .y4m + .wav pair Chromium's fake devices read (they loop). */
export function fakeDeviceFiles(clip: string, dir: string, seconds = 6): { y4m: string; wav: string } {
  const y4m = join(dir, 'camera.y4m');
  const wav = join(dir, 'mic.wav');
  execFileSync(FFMPEG, [
    '-v',
    'error',
    '-y',
    '-i',
    clip,
    '-t',
    String(seconds),
    '-pix_fmt',
    'yuv420p',
    '-r',
    '30',
    y4m,
  ]);
  execFileSync(FFMPEG, ['-v', 'error', '-y', '-i', clip, '-t', String(seconds), '-ac', '1', '-ar', '48000', wav]);
  return { y4m, wav };
}

export async function launchChromium(fake?: { y4m: string; wav: string }, extra: string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream',
      '--allow-loopback-in-peer-connection',
      ...(fake
        ? [`--use-file-for-fake-video-capture=${fake.y4m}`, `--use-file-for-fake-audio-capture=${fake.wav}`]
        : []),
      ...extra,
    ],
  });
}
