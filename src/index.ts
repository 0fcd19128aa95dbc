/**
 * The package's programmatic entry (`import … from 'microemo'`): analyse a recorded file into the live pipeline's
 * events, score micro-expression spotting MEGC-style, and the v1 event schema. The subscriber client is
 * `microemo/client`; the schema alone is `microemo/events`.
 */

export * from './events/schema.ts';
export { type AnalyzeFileOptions, type AnalyzeResult, analyzeFile } from './pipeline/analyzeFile.ts';
export { type Interval, intervalIou, type MegcScore, megcEvaluate } from './vision/megcEval.ts';
