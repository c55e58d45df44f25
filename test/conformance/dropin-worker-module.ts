/**
 * What `require('@temporalio/worker')` gives the harness and the features in a `dropin` run: our
 * drop-in facade (compat/) under the official module's name, so the harness's own
 * `Runner.create` (`NativeConnection.connect`, `Worker.create(workerOpts)`, `worker.run()`,
 * `worker.shutdown()`) runs unchanged on our runtime, as a user's worker file would after changing
 * its import. `IllegalStateError` is the class the official module re-exports from `@temporalio/common`.
 */
export { NativeConnection, Worker } from '../../compat/index.js';
export { IllegalStateError } from '@temporalio/common';
