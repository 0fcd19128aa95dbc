/**
 * Locates the shared real-media folder (../shared/media from the project root). Tests that need it skip with a
 * clear message when it is absent: it is not part of the project.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const PROJECT_ROOT = resolve(new URL('../..', import.meta.url).pathname);
export const MEDIA_DIR = process.env.MICROEMO_MEDIA_DIR ?? resolve(PROJECT_ROOT, '..', 'shared', 'media');

/** Absolute path of a shared media file, or undefined when absent. */
export function mediaPath(rel: string): string | undefined {
  const p = join(MEDIA_DIR, rel);
  return existsSync(p) ? p : undefined;
}

/** For node:test's `skip` option: a reason string when the file is missing, false when present. */
export function skipWithoutMedia(...rels: string[]): string | false {
  const missing = rels.filter((r) => !mediaPath(r));
  return missing.length ? `shared media absent (${missing.join(', ')} not in ${MEDIA_DIR})` : false;
}
