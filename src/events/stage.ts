/**
 * A pipeline stage: typed input in, typed outputs out (zero or more per input), like werift's Processor<I,O>.
 * Stages hold their own state and know nothing about their neighbours; the pipeline wires them.
 */
export type Emit<O> = (output: O) => void;

export interface Stage<I, O> {
  readonly name: string;
  /** Processes one input, emitting any number of outputs (synchronously or before the promise settles). */
  push(input: I, emit: Emit<O>): void | Promise<void>;
  /** Emits whatever is still pending at end of stream (e.g. an open utterance). */
  flush?(emit: Emit<O>): void | Promise<void>;
  /** Frees resources (sessions, child processes). Idempotent. */
  close?(): void | Promise<void>;
}

/** Chains two stages into one: every output of `a` is pushed through `b`. */
export function chain<A, B, C>(a: Stage<A, B>, b: Stage<B, C>): Stage<A, C> {
  return {
    name: `${a.name}>${b.name}`,
    async push(input, emit) {
      const mid: B[] = [];
      await a.push(input, (m) => mid.push(m));
      for (const m of mid) await b.push(m, emit);
    },
    async flush(emit) {
      const mid: B[] = [];
      await a.flush?.((m) => mid.push(m));
      for (const m of mid) await b.push(m, emit);
      await b.flush?.(emit);
    },
    async close() {
      await a.close?.();
      await b.close?.();
    },
  };
}
