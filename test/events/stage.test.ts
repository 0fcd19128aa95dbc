import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chain, type Stage } from '../../src/events/stage.ts';
import { runStage } from '../harness/stage.ts';

/** Emits the running sum every `n` inputs and the remainder at flush. */
function summer(n: number): Stage<number, number> {
  let acc = 0;
  let count = 0;
  return {
    name: 'summer',
    push(x, emit) {
      acc += x;
      if (++count % n === 0) {
        emit(acc);
        acc = 0;
      }
    },
    flush(emit) {
      if (count % n !== 0) emit(acc);
    },
  };
}

describe('stage harness', () => {
  it('reports which input produced each output, flush last', async () => {
    const out = await runStage(summer(2), [1, 2, 3, 4, 5]);
    assert.deepEqual(out, [
      { input: 1, output: 3 },
      { input: 3, output: 7 },
      { input: 5, output: 5 },
    ]);
  });

  it('chains stages, flushing through', async () => {
    const double: Stage<number, number> = { name: 'double', push: (x, emit) => emit(x * 2) };
    const out = await runStage(chain(summer(2), double), [1, 2, 3]);
    assert.deepEqual(
      out.map((o) => o.output),
      [6, 6],
    );
  });
});
