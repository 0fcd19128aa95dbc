// The Stage contract lives in src/events so that every layer (audio, vision, model) can implement it without
// importing upward; the pipeline re-exports it next to its wiring.
export { chain, type Emit, type Stage } from '../events/stage.ts';
