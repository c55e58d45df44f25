import { RuntimeError } from '../errors.js';

/**
 * The workflow code and the recorded history disagree: on replay the code issued a command that
 * does not match the next command event in history (or none where history has one).
 * The run must be evicted and the workflow task failed with cause NON_DETERMINISTIC_ERROR.
 */
export class NondeterminismError extends RuntimeError {
  constructor(message: string) {
    super('WORKFLOW_NONDETERMINISM', message);
  }
}

/**
 * The workflow code issued a command kind this runtime does not implement yet. The workflow task
 * fails (reported once; the server retries it) until the workflow runs where it is supported.
 */
export class UnsupportedCommandError extends RuntimeError {
  constructor(readonly commandName: string) {
    super(
      'WORKFLOW_COMMAND_UNSUPPORTED',
      `Workflow command '${commandName}' (${commandName.charAt(0).toUpperCase()}${commandName.slice(1)}) is not supported by this runtime yet; ` +
        'the workflow task fails until this workflow runs on a worker that supports it (the official Temporal worker does).',
    );
  }
}

/**
 * The history given to the state machines is malformed or holds an event kind this runtime cannot
 * process (out-of-order ids, missing attributes, events of unsupported features).
 */
export class HistoryError extends RuntimeError {
  constructor(message: string) {
    super('WORKFLOW_HISTORY_INVALID', message);
  }
}

/**
 * An update response from the workflow code that does not fit the update's state (an answer for
 * an unknown update, a completion before acceptance, a second acceptance): a bug in the workflow
 * library or an interceptor, never in user code. The workflow task fails and is retried.
 */
export class UpdateProtocolError extends RuntimeError {
  constructor(message: string) {
    super('WORKFLOW_UPDATE_PROTOCOL', message);
  }
}
