import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WorkerCrashedError, WorkerPool } from '../../src/pipeline/workerPool.ts';

const moduleUrl = new URL('./fixtures/sumWorker.ts', import.meta.url);

describe('WorkerPool', () => {
  it('keeps per-key state in one worker and transfers buffers without copying', async () => {
    const pool = new WorkerPool(moduleUrl, 2, { scale: 2 });
    try {
      const a = new Float32Array([1, 2, 3]);
      const r1 = await pool.run<{ sum: number; back: Float32Array }>('s1', 'add', a, [a.buffer]);
      assert.equal(a.byteLength, 0, 'the sent buffer was transferred (detached here)');
      assert.equal(r1.sum, 12);
      assert.deepEqual([...r1.back], [-1, 2, 3]);
      const r2 = await pool.run<{ sum: number }>('s1', 'add', new Float32Array([1]));
      assert.equal(r2.sum, 14);
      const other = await pool.run<{ sum: number }>('s2', 'add', new Float32Array([5]));
      assert.equal(other.sum, 10);
      await pool.release('s1');
      assert.equal((await pool.run<{ sum: number }>('s1', 'add', new Float32Array([1]))).sum, 2);
    } finally {
      await pool.close();
    }
  });

  it('reports handler errors and replaces a crashed worker', async () => {
    const pool = new WorkerPool(moduleUrl, 1, { scale: 1 });
    try {
      await assert.rejects(pool.run('k', 'fail', null), /asked to fail/);
      await assert.rejects(pool.run('k', 'crash', null), WorkerCrashedError);
      assert.equal((await pool.run<{ sum: number }>('k', 'add', new Float32Array([4]))).sum, 4);
    } finally {
      await pool.close();
    }
  });
});
