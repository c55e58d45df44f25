import { msToNumber, type Duration } from '@temporalio/common/lib/time.js';
import type { Context } from '@temporalio/activity';
import type { Payload } from '@temporalio/common';
import { RuntimeError } from '../core/errors.js';
import type { ActivityFunction } from '../core/activity/activity-execution.js';
import type { NexusInterceptorsFactory } from '../core/nexus/nexus-interceptors.js';
import type { AnyServiceHandler } from '../core/nexus/nexus-task.js';
import type { WorkerEntityInput } from '../core/worker/worker-entity-options.js';
import type { InjectedSinks } from '../sandbox/sinks.js';
import type { WorkerDataConverter } from '../core/worker/data-converter.js';
import type { BundlerOptions, WorkflowBundleOption } from '../sandbox/workflow-bundle-source.js';
import type { NativeConnection } from './native-connection.js';
import type { WorkerDeploymentOptions } from '../core/worker/versioning.js';
import type { WorkerTunerInput } from '../core/worker/tuner.js';

/** The official `ActivityExecuteInput` / `ActivityInboundCallsInterceptor` shape (declared here so our types need no `@temporalio/worker`). */
export interface ActivityExecuteInput {
  readonly args: unknown[];
  readonly headers: Record<string, Payload>;
}
export interface ActivityInboundCallsInterceptor {
  execute?(input: ActivityExecuteInput, next: (input: ActivityExecuteInput) => Promise<unknown>): Promise<unknown>;
}
/** The official factory: called per activity execution with its `Context`. */
export type ActivityInterceptorsFactory = (ctx: Context) => { inbound?: ActivityInboundCallsInterceptor; outbound?: object };

/**
 * The official `WorkerOptions` of `@temporalio/worker` 1.24, as far as this runtime takes them:
 * same names, same meaning, durations as milliseconds or `'30s'`-style strings. A worker file
 * written for the official SDK passes its options object unchanged.
 */
export interface WorkerOptions {
  connection?: NativeConnection;
  /** @default 'default' */
  namespace?: string;
  taskQueue: string;
  identity?: string;
  /** Activity functions by name (an object of functions, as the official option). */
  activities?: object;
  workflowsPath?: string;
  /** A bundle built ahead (ours or the official `bundleWorkflowCode`'s), instead of `workflowsPath`. */
  workflowBundle?: WorkflowBundleOption;
  /** `ignoreModules`, and `webpackConfigHook` as far as esbuild can mean the same (sandbox/webpack-config-hook.ts). */
  bundlerOptions?: BundlerOptions;
  /** Converter paths (bundled into workflows too) and payload codecs (docs/workflows.md). */
  dataConverter?: WorkerDataConverter;
  /** `client` and `nexus` interceptors are accepted for plugins' sake; see {@link translateWorkerOptions}. */
  interceptors?: {
    workflowModules?: string[];
    activity?: ActivityInterceptorsFactory[];
    /** @deprecated in the official SDK (use `activity`), still honoured there, so here too. */
    activityInbound?: Array<(ctx: Context) => ActivityInboundCallsInterceptor>;
    client?: unknown;
    nexus?: NexusInterceptorsFactory[];
  };
  /** Nexus service handlers (`nexus.serviceHandler(...)`), as the official option. */
  nexusServices?: AnyServiceHandler[];
  maxConcurrentNexusTaskExecutions?: number;
  maxConcurrentNexusTaskPolls?: number;
  /** Official worker plugins (`@temporalio/plugin`'s `SimplePlugin` and the like), applied in order. */
  plugins?: WorkerPlugin[];
  maxConcurrentActivityTaskExecutions?: number;
  maxConcurrentWorkflowTaskExecutions?: number;
  maxConcurrentActivityTaskPolls?: number;
  maxConcurrentWorkflowTaskPolls?: number;
  maxCachedWorkflows?: number;
  stickyQueueScheduleToStartTimeout?: Duration;
  maxHeartbeatThrottleInterval?: Duration;
  defaultHeartbeatThrottleInterval?: Duration;
  /** How long in-flight tasks may take to finish after shutdown starts. @default this runtime's drain grace (30 s), not the official 0 */
  shutdownGraceTime?: Duration;
  /** Host functions behind workflow sinks (`{ fn, callDuringReplay? }`), as the official option. */
  sinks?: InjectedSinks;
  /** Include source contents in `__enhanced_stack_trace` answers. @default false */
  showStackTraceSources?: boolean;
  /** By workflow type (`'*'`: all), error class names that fail the workflow execution instead of the task; `NondeterminismError` covers nondeterminism. */
  workflowFailureErrorTypes?: Record<string, string[]>;
  /** This worker's deployment version and Worker Versioning opt-in (see `core/worker/versioning.ts`). */
  workerDeploymentOptions?: WorkerDeploymentOptions;
  /** Legacy build id (without `workerDeploymentOptions`). */
  buildId?: string;
  /** Legacy build-id-based versioning; needs `buildId`. @default false */
  useVersioning?: boolean;
  /** Local activities run at once. @default 100 */
  maxConcurrentLocalActivityExecutions?: number;
  /** False: no activity polling (local activities still run). @default true */
  enableNonLocalActivities?: boolean;
  /** Worker-side cap on activity tasks taken per second. */
  maxActivitiesPerSecond?: number;
  /** Queue-wide activity rate the server enforces, sent on activity polls. */
  maxTaskQueueActivitiesPerSecond?: number;
  /** Fixed-size slot suppliers only; a resource-based or custom tuner is refused. */
  tuner?: WorkerTunerInput;
  /** Other official options: accepted by name, see {@link optionSupport}. */
  [option: string]: unknown;
}

/** The bundler options a plugin's `configureBundler` sees (the official `BundleOptions` fields we use). */
export interface PluginBundleOptions {
  workflowsPath: string;
  workflowInterceptorModules?: string[];
  ignoreModules?: string[];
  webpackConfigHook?: BundlerOptions['webpackConfigHook'];
  payloadConverterPath?: string;
  failureConverterPath?: string;
  [option: string]: unknown;
}

/**
 * The official `WorkerPlugin` contract of `@temporalio/worker` 1.24. `runWorker` receives this
 * runtime's {@link Worker} facade.
 */
// `any` in the hooks: plugins are typed against the official classes (its NativeConnection,
// Worker, WorkerOptions), which are not ours; the values they pass are the same shapes.
/* eslint-disable @typescript-eslint/no-explicit-any */
export interface WorkerPlugin {
  readonly name: string;
  configureWorker?(options: any): any;
  configureBundler?(options: any): any;
  runWorker?(worker: any, next: (worker: any) => Promise<void>): Promise<void>;
}
/* eslint-enable @typescript-eslint/no-explicit-any */

/** Applies every plugin's `configureWorker`, then `configureBundler`, as the official worker does. */
export async function applyPlugins(options: WorkerOptions): Promise<WorkerOptions> {
  const plugins = options.plugins ?? [];
  for (const plugin of plugins) if (plugin.configureWorker) options = (await plugin.configureWorker(options)) as WorkerOptions;
  if (!options.workflowsPath) return options;
  // What the official worker hands configureBundler: its BundleOptions, converter paths included.
  const { dataConverter, bundlerOptions } = options;
  let bundle: PluginBundleOptions = {
    workflowsPath: options.workflowsPath,
    workflowInterceptorModules: options.interceptors?.workflowModules,
    ...(bundlerOptions?.ignoreModules && { ignoreModules: [...bundlerOptions.ignoreModules] }),
    ...(bundlerOptions?.webpackConfigHook && { webpackConfigHook: bundlerOptions.webpackConfigHook }),
    ...(dataConverter?.payloadConverterPath && { payloadConverterPath: dataConverter.payloadConverterPath }),
    ...(dataConverter?.failureConverterPath && { failureConverterPath: dataConverter.failureConverterPath }),
  };
  for (const plugin of plugins) if (plugin.configureBundler) bundle = plugin.configureBundler(bundle) as PluginBundleOptions;
  const converterPaths = { payloadConverterPath: bundle.payloadConverterPath, failureConverterPath: bundle.failureConverterPath };
  return {
    ...options,
    workflowsPath: bundle.workflowsPath,
    interceptors: { ...options.interceptors, workflowModules: bundle.workflowInterceptorModules },
    ...((bundle.ignoreModules || bundle.webpackConfigHook) && {
      bundlerOptions: {
        ...bundlerOptions,
        ...(bundle.ignoreModules && { ignoreModules: bundle.ignoreModules }),
        ...(bundle.webpackConfigHook && { webpackConfigHook: bundle.webpackConfigHook }),
      },
    }),
    ...((converterPaths.payloadConverterPath || converterPaths.failureConverterPath) && { dataConverter: { ...dataConverter, ...converterPaths } }),
  };
}

/** An official option this runtime does not implement yet: refused by name, never silently dropped. */
export class WorkerOptionUnsupportedError extends RuntimeError {
  constructor(option: string, why: string, owner: 'WorkerOptions' | 'NativeConnectionOptions' = 'WorkerOptions') {
    super('WORKER_OPTION_UNSUPPORTED', `${owner}.${option} is not supported by this runtime yet: ${why}. Remove it, or run this worker on @temporalio/worker.`);
  }
}

/**
 * Official options that change nothing observable here, with the reason; every other option
 * name that is neither mapped below nor listed here is refused.
 */
export const optionSupport: Readonly<Record<string, string>> = {
  debugMode: 'no isolate timeouts to lift: a stuck activation is reported by the deadlock detector',
  enableSDKTracing: 'tracing of the SDK itself has no counterpart here',
  reuseV8Context: 'the sandbox shares a context per thread by default (docs/workflows.md)',
  workflowThreadPoolSize: 'the sandbox thread count is a runtime option (sandbox.threads)',
  nonStickyToStickyPollRatio: 'poll distribution is managed by the poll loops',
  maxEagerActivityReservationsPerWorkflowTask: 'eager activities take any free activity slot',
  disablePayloadErrorLimit: 'no payload size limit is enforced locally',
};

/** The entity input and the activity interceptor factories of `options`. */
export interface TranslatedOptions {
  namespace: string;
  entity: WorkerEntityInput;
  activityInterceptors: ActivityInterceptorsFactory[];
  nexusInterceptors: NexusInterceptorsFactory[];
}

const MAPPED = new Set([
  'connection', 'namespace', 'taskQueue', 'identity', 'activities', 'workflowsPath', 'interceptors',
  'maxConcurrentActivityTaskExecutions', 'maxConcurrentWorkflowTaskExecutions', 'maxConcurrentActivityTaskPolls',
  'maxConcurrentWorkflowTaskPolls', 'maxCachedWorkflows', 'stickyQueueScheduleToStartTimeout',
  'maxHeartbeatThrottleInterval', 'defaultHeartbeatThrottleInterval', 'shutdownGraceTime', 'plugins',
  'sinks', 'showStackTraceSources', 'shutdownForceTime', 'workflowFailureErrorTypes',
  'workflowBundle', 'bundlerOptions', 'dataConverter',
  'nexusServices', 'maxConcurrentNexusTaskExecutions', 'maxConcurrentNexusTaskPolls',
  'workerDeploymentOptions', 'buildId', 'useVersioning',
  'enableNonLocalActivities', 'maxActivitiesPerSecond', 'maxTaskQueueActivitiesPerSecond', 'tuner',
  'maxConcurrentLocalActivityExecutions', 'workflowTaskPollerBehavior', 'activityTaskPollerBehavior', 'nexusTaskPollerBehavior',
]);

/** Maps official option names onto {@link WorkerEntityInput}; refuses what it cannot honour. */
export function translateWorkerOptions(options: WorkerOptions): TranslatedOptions {
  for (const [name, value] of Object.entries(options)) {
    if (value === undefined || MAPPED.has(name) || name in optionSupport) continue;
    throw new WorkerOptionUnsupportedError(name, 'it has no implementation in this runtime');
  }
  const entity: WorkerEntityInput = { taskQueue: options.taskQueue };
  if (options.identity !== undefined) entity.identity = options.identity;
  if (options.activities !== undefined) entity.activities = activityMap(options.activities);
  if (options.workflowsPath !== undefined) entity.workflowsPath = options.workflowsPath;
  if (options.workflowBundle !== undefined) entity.workflowBundle = options.workflowBundle;
  if (options.bundlerOptions !== undefined) entity.bundlerOptions = options.bundlerOptions;
  if (options.dataConverter !== undefined) entity.dataConverter = options.dataConverter;
  if (options.interceptors?.workflowModules?.length) entity.workflowInterceptorModules = options.interceptors.workflowModules;
  copy(options, entity, 'maxConcurrentActivityTaskExecutions');
  copy(options, entity, 'maxConcurrentWorkflowTaskExecutions');
  copy(options, entity, 'maxConcurrentActivityTaskPolls');
  copy(options, entity, 'maxConcurrentWorkflowTaskPolls');
  copy(options, entity, 'maxCachedWorkflows');
  copy(options, entity, 'maxConcurrentNexusTaskExecutions');
  copy(options, entity, 'maxConcurrentNexusTaskPolls');
  copy(options, entity, 'maxConcurrentLocalActivityExecutions');
  pollerBehavior(options, entity, 'workflowTaskPollerBehavior', 'maxConcurrentWorkflowTaskPolls');
  pollerBehavior(options, entity, 'activityTaskPollerBehavior', 'maxConcurrentActivityTaskPolls');
  pollerBehavior(options, entity, 'nexusTaskPollerBehavior', 'maxConcurrentNexusTaskPolls');
  if (options.nexusServices !== undefined) entity.nexusServices = options.nexusServices;
  if (options.stickyQueueScheduleToStartTimeout !== undefined) entity.stickyQueueScheduleToStartTimeoutMs = msToNumber(options.stickyQueueScheduleToStartTimeout);
  if (options.maxHeartbeatThrottleInterval !== undefined) entity.maxHeartbeatThrottleIntervalMs = msToNumber(options.maxHeartbeatThrottleInterval);
  if (options.defaultHeartbeatThrottleInterval !== undefined) entity.defaultHeartbeatThrottleIntervalMs = msToNumber(options.defaultHeartbeatThrottleInterval);
  if (options.shutdownGraceTime !== undefined) entity.shutdownGraceTime = options.shutdownGraceTime;
  if (options.shutdownForceTime !== undefined) entity.shutdownForceTime = options.shutdownForceTime as Duration;
  if (options.sinks !== undefined) entity.sinks = options.sinks;
  if (typeof options.showStackTraceSources === 'boolean') entity.showStackTraceSources = options.showStackTraceSources;
  if (options.workflowFailureErrorTypes !== undefined) entity.workflowFailureErrorTypes = options.workflowFailureErrorTypes;
  // Passed as given: the entity's schema checks them, with the official worker's rules.
  if (options.workerDeploymentOptions !== undefined) entity.workerDeploymentOptions = options.workerDeploymentOptions;
  if (options.buildId !== undefined) entity.buildId = options.buildId;
  if (options.useVersioning !== undefined) entity.useVersioning = options.useVersioning;
  if (options.enableNonLocalActivities !== undefined) entity.enableNonLocalActivities = options.enableNonLocalActivities;
  if (options.maxActivitiesPerSecond !== undefined) entity.maxActivitiesPerSecond = options.maxActivitiesPerSecond;
  if (options.maxTaskQueueActivitiesPerSecond !== undefined) entity.maxTaskQueueActivitiesPerSecond = options.maxTaskQueueActivitiesPerSecond;
  if (options.tuner !== undefined) entity.tuner = fixedSizeTuner(options.tuner);
  const known = new Set(['workflowModules', 'activity', 'activityInbound', 'client', 'nexus']);
  for (const key of Object.keys(options.interceptors ?? {})) {
    if (!known.has(key)) throw new WorkerOptionUnsupportedError(`interceptors.${key}`, 'it has no implementation in this runtime');
  }
  const legacyInbound = (options.interceptors?.activityInbound ?? []).map((make): ActivityInterceptorsFactory => (ctx) => ({ inbound: make(ctx) }));
  return {
    namespace: options.namespace ?? 'default',
    entity,
    activityInterceptors: [...legacyInbound, ...(options.interceptors?.activity ?? [])],
    nexusInterceptors: options.interceptors?.nexus ?? [],
  };
}

/** Only fixed-size slot suppliers have an implementation: refuse the rest by name rather than mis-size the worker. */
function fixedSizeTuner(tuner: object): WorkerTunerInput {
  if ('tunerOptions' in tuner || 'controller' in tuner) throw new WorkerOptionUnsupportedError('tuner', 'resource-based tuners are not implemented (slots are fixed-size)');
  for (const [kind, supplier] of Object.entries(tuner)) {
    const type = (supplier as { type?: unknown } | undefined)?.type;
    if (type !== 'fixed-size') throw new WorkerOptionUnsupportedError(`tuner.${kind}`, `only 'fixed-size' slot suppliers are implemented, not '${String(type)}'`);
  }
  return tuner as WorkerTunerInput;
}

type NumericOption =
  | 'maxConcurrentActivityTaskExecutions'
  | 'maxConcurrentWorkflowTaskExecutions'
  | 'maxConcurrentActivityTaskPolls'
  | 'maxConcurrentWorkflowTaskPolls'
  | 'maxCachedWorkflows'
  | 'maxConcurrentNexusTaskExecutions'
  | 'maxConcurrentNexusTaskPolls'
  | 'maxConcurrentLocalActivityExecutions';

type PollOption = 'maxConcurrentWorkflowTaskPolls' | 'maxConcurrentActivityTaskPolls' | 'maxConcurrentNexusTaskPolls';

/**
 * `{ type: 'simple-maximum', maximum }` is what `maxConcurrent…TaskPolls` means (the official
 * worker builds one from the other); autoscaling pollers are not implemented and are refused.
 */
function pollerBehavior(from: WorkerOptions, to: WorkerEntityInput, name: `${'workflow' | 'activity' | 'nexus'}TaskPollerBehavior`, polls: PollOption): void {
  const b = from[name] as { type?: unknown; maximum?: unknown } | undefined;
  if (b === undefined) return;
  if (b.type !== 'simple-maximum') throw new WorkerOptionUnsupportedError(`${name}.type`, `only 'simple-maximum' pollers are implemented, not '${String(b.type)}'`);
  if (from[polls] !== undefined) throw new WorkerOptionUnsupportedError(name, `give ${name} or ${polls}, not both`);
  if (b.maximum !== undefined) to[polls] = b.maximum as number;
}

function copy(from: WorkerOptions, to: WorkerEntityInput, name: NumericOption): void {
  const v = from[name];
  if (v !== undefined) to[name] = v;
}

/** The official option takes any object whose function-valued properties are activities. */
function activityMap(activities: object): Record<string, ActivityFunction> {
  const out: Record<string, ActivityFunction> = {};
  for (const [name, fn] of Object.entries(activities)) if (typeof fn === 'function') out[name] = fn as ActivityFunction;
  return out;
}
