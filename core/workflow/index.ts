/**
 * The workflow command layer: history events in, activations out; activation completions in,
 * API commands out. See workflow-run-state.ts for the per-task protocol the poller follows.
 */
export { WorkflowRunState, EvictionReason } from './workflow-run-state.js';
export type { WorkflowRunStateOptions, WorkflowTaskInput, WorkflowTaskOutcome } from './workflow-run-state.js';
export { NondeterminismError, UnsupportedCommandError, HistoryError } from './errors.js';
export { LEGACY_QUERY_ID } from './queries.js';
export type { LegacyQueryResponse } from './queries.js';
export { randomnessSeedFromRunId } from './randomness-seed.js';
