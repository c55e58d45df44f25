/**
 * The drop-in surface: the names of `@temporalio/worker` that a worker file uses, over this
 * runtime. `import { NativeConnection, Worker } from 'tempo-worker-runtime'` replaces the official import.
 */
export { NativeConnection, type NativeConnectionOptions } from './native-connection.js';
export { Worker, type PollerState, type State, type WorkerStatus } from './worker.js';
export { WorkerOptionUnsupportedError, type WorkerOptions, type ActivityInterceptorsFactory, type ActivityInboundCallsInterceptor, type ActivityExecuteInput } from './worker-options.js';
export { ReplayError, type ReplayResult, type ReplayWorkerOptions } from './replay.js';
