/**
 * `npm run bench -- stack`: the face stack per face per frame on one thread, detection and tracking mode.
 * Targets (DESIGN budgets): stack_track_ms ≤ 5, stack_detect_ms ≤ 8.
 */
import { DEFAULT_MODELS_DIR } from '../src/model/modelBuild.ts';
import { OrtSessionCache } from '../src/model/ortSession.ts';
import { measureFaceStack } from './lib/faceStack.ts';

const dir = process.env.MICROEMO_MODELS_DIR || DEFAULT_MODELS_DIR;
const cache = new OrtSessionCache({ intraOpThreads: 1 });
const metrics = await measureFaceStack(cache, dir);
await cache.releaseAll();
console.log(JSON.stringify({ suite: 'stack', metrics }));
