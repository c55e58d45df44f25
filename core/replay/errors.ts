import { RuntimeError } from '../errors.js';

/**
 * The input given to the replayer is not a workflow history (not JSON, no `events`, no
 * WorkflowExecutionStarted first). The message says what was expected and, for files, which file.
 */
export class HistoryParseError extends RuntimeError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('REPLAY_HISTORY_INVALID', message, options);
  }
}

/**
 * On replay the workflow code failed its workflow task (it threw something other than a
 * Temporal failure, or the workflow library rejected an activation). A live worker would have
 * failed the task and retried it forever; replay reports it instead.
 */
export class ReplayWorkflowTaskFailedError extends RuntimeError {
  constructor(
    message: string,
    /** The failure the workflow library returned, as it would have been sent to the server. */
    readonly failure: { message?: string | null; stackTrace?: string | null },
  ) {
    super('REPLAY_WORKFLOW_TASK_FAILED', message);
  }
}
