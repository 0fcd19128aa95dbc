/**
 * Frame-in/frame-out harness for pipeline stages: feed typed inputs, get every output with the index of the
 * input that produced it (flush outputs get index = inputs.length).
 */
import type { Stage } from '../../src/events/stage.ts';

export interface Emitted<O> {
  /** index of the input whose push emitted this output; inputs.length for outputs of flush() */
  input: number;
  output: O;
}

export async function runStage<I, O>(
  stage: Stage<I, O>,
  inputs: Iterable<I>,
  opts: { flush?: boolean; close?: boolean } = {},
): Promise<Emitted<O>[]> {
  const out: Emitted<O>[] = [];
  let i = 0;
  for (const input of inputs) {
    const idx = i++;
    await stage.push(input, (output) => out.push({ input: idx, output }));
  }
  if (opts.flush ?? true) await stage.flush?.((output) => out.push({ input: i, output }));
  if (opts.close ?? true) await stage.close?.();
  return out;
}

/** Outputs only, in order. */
export async function collect<I, O>(stage: Stage<I, O>, inputs: Iterable<I>): Promise<O[]> {
  return (await runStage(stage, inputs)).map((e) => e.output);
}
