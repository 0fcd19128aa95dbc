// Worker bootstrap: worker_threads cannot start a .ts file, so this registers tsx's loader in the worker and then
// imports the TypeScript worker module named in workerData.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.moduleUrl);
