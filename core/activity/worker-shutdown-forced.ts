import { RuntimeError } from '../errors.js';

/**
 * Why an activity task was answered without waiting for its function: it was cancelled at the end
 * of the drain's grace, ignored that, and the force time ran out. Answered as a retryable
 * ApplicationFailure of type `WorkerShutdown`, so the server retries the activity elsewhere.
 */
export class WorkerShutdownForced extends RuntimeError {
  constructor(readonly forceTimeMs: number) {
    super('WORKER_SHUTDOWN_FORCED', `Activity did not stop within the shutdown force time (${forceTimeMs} ms) after it was cancelled for the worker's shutdown; answered as WorkerShutdown so the server retries it`);
  }
}
