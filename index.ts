/**
 * The public surface of `tempo-worker-runtime`. Anything not exported here (or from the
 * subpaths in package.json `exports`) is internal.
 */
// Drop-in names of @temporalio/worker.
export { NativeConnection, Worker, WorkerOptionUnsupportedError } from './compat/index.js';
export type { NativeConnectionOptions, PollerState, State, WorkerStatus, WorkerOptions, ActivityInterceptorsFactory, ActivityInboundCallsInterceptor } from './compat/index.js';
// Data converters and workflow bundles, as the official worker takes them (docs/workflows.md).
// `bundleWorkflowCode` builds a bundle ahead (CI), for the `workflowBundle` option.
export { bundleWorkflowCode, type BundleOptions, type WorkflowBundle } from './sandbox/bundler.js';
export type { BundlerOptions, WorkflowBundleOption } from './sandbox/workflow-bundle-source.js';
export type { WorkerDataConverter } from './core/worker/data-converter.js';
// The runtime: many entities per process, plugins, readiness.
export { Runtime, type Readiness, type RuntimeDeps } from './core/runtime/runtime.js';
export type { RuntimeInput, RuntimeOptions } from './core/runtime/runtime-options.js';
export { WorkerEntity, type WorkerEntityDeps, type WorkerEntityStatus } from './core/worker/worker-entity.js';
export type { WorkerEntityInput, WorkerEntityOptions } from './core/worker/worker-entity-options.js';
export type { WorkerState } from './core/worker/worker-state.js';
// Workflow sinks, in the official worker's shape.
export type { InjectedSinkFunction, InjectedSinks } from './sandbox/sinks.js';
export { Connection } from './core/connection/connection.js';
export type { ConnectionInput, ConnectionOptions, TlsOptions } from './core/connection/connection-options.js';
export { TemporalDevServer } from './core/dev-server/temporal-dev-server.js';
export { RuntimeError, hasErrorCode, IllegalStateError, ConfigError } from './core/errors.js';
export { ConsoleLogger, loggerFrom, type Logger, type LogLevel, type LogMetadata } from './core/logger.js';
// Replaying histories.
export { Replayer, replayHistory, replayHistories, historyFromJSON } from './core/replay/index.js';
export type { HistoryInput, ReplayItem, ReplayOptions, ReplayResult, ReplayRunOptions } from './core/replay/index.js';
// Plugin contracts.
export {
  ActivityPluginToken,
  InterceptorPluginToken,
  MetricsPluginToken,
  defineActivityPlugin,
  defineInterceptorPlugin,
  defineMetricsPlugin,
} from './plugins/contracts.js';
export type { ActivityPlugin, InterceptorPlugin, MetricsPlugin, PluginDefinition, PluginContext } from './plugins/contracts.js';
