/**
 * The replayer: checks workflow code against recorded histories (determinism before a deploy).
 * This list is the public surface of `core/replay/`.
 */
export { Replayer, replayHistory, replayHistories } from './replayer.js';
export type { HistoryInput, ReplayItem, ReplayOptions, ReplayResult, ReplayRunOptions } from './replayer.js';
export { historyFromJSON } from './history-json.js';
export { HistoryParseError, ReplayWorkflowTaskFailedError } from './errors.js';
