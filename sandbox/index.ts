/**
 * The workflow sandbox: bundles workflow code and runs it deterministically in worker threads.
 * This list is the public surface; everything else in `sandbox/` is internal.
 */
export { bundleWorkflowCode, BUNDLE_DEFAULTS, type BundleOptions, type WorkflowBundle } from './bundler.js';
export { WorkflowSandbox, type ActivationRequest } from './workflow-sandbox.js';
export { prebuiltBundle, workflowBundleFrom, type BundlerOptions, type WorkflowBundleOption, type WorkflowSourceOptions } from './workflow-bundle-source.js';
export { SANDBOX_DEFAULTS, type SandboxOptions } from './options.js';
export type { RunCreateOptions, SandboxIsolation, SinkCallRecord, WorkflowLogRecord } from './protocol.js';
export { loggerSink, SinkDispatcher, type InjectedSinkFunction, type InjectedSinks, type SinkCallHandler } from './sinks.js';
export type { WorkflowLogLevel } from './thread/context-globals.js';
export {
  SandboxErrorCode,
  ForbiddenImportError,
  UnknownBundleError,
  WorkflowActivationError,
  WorkflowBundleError,
  WorkflowDeadlockError,
  WorkflowRunNotFoundError,
  WorkflowThreadCrashedError,
  type ForbiddenImport,
} from './errors.js';
