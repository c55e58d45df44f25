import { hostname } from 'node:os';
import { z } from 'zod';
import type { ActivityFunction } from '../activity/activity-execution.js';
import type { AnyServiceHandler } from '../nexus/nexus-task.js';
import { heartbeatThrottleDefaults } from '../activity/heartbeat-throttle.js';
import { shutdownDefaults, shutdownInputShape, type ShutdownInput, type ShutdownOptions } from './shutdown-options.js';
import type { InjectedSinks } from '../../sandbox/sinks.js';
import { bundlerOptionsSchema, workflowBundleOptionSchema, type BundlerOptions, type WorkflowBundleOption } from '../../sandbox/workflow-bundle-source.js';
import { dataConverterSchema, type WorkerDataConverter } from './data-converter.js';
import { checkTunerInput, workerTunerSchema, type WorkerTunerInput } from './tuner.js';
import { checkVersioningInput, versioningInputShape, type VersioningOptions } from './versioning.js';

/** Options of one Worker Entity (one namespace + one task queue). */
export interface WorkerEntityOptions extends ShutdownOptions, VersioningOptions {
  /** The task queue this entity polls. */
  taskQueue: string;
  /** Sent with every poll and answer. @default `${pid}@${hostname}` */
  identity: string;
  /** Activities by type name. */
  activities: Record<string, ActivityFunction>;
  /** Activity tasks run at once; no poll happens without a free slot. @default 100 */
  maxConcurrentActivityTaskExecutions: number;
  /** Local activity attempts run at once (the workflows' `proxyLocalActivities`), beside the activity slots. @default 100 */
  maxConcurrentLocalActivityExecutions: number;
  /** Concurrent activity long polls, capped by the slots. @default 10 */
  maxConcurrentActivityTaskPolls: number;
  /**
   * Poll for activity tasks. False: this entity runs no activity tasks of the queue (its
   * workflows' local activities still run here). @default true
   */
  enableNonLocalActivities: boolean;
  /** This entity takes at most this many activity tasks a second (activity polls are spaced). */
  maxActivitiesPerSecond?: number;
  /** Activity tasks per second for the whole task queue, across all workers; the server enforces it. */
  maxTaskQueueActivitiesPerSecond?: number;
  /** Heartbeat throttle without a heartbeat timeout. @default 30000 */
  defaultHeartbeatThrottleIntervalMs: number;
  /** Heartbeat throttle upper bound. @default 60000 */
  maxHeartbeatThrottleIntervalMs: number;
  /** Module exporting the workflow functions (unmodified `@temporalio/workflow` code). No workflow polling without it. */
  workflowsPath?: string;
  /** A bundle built ahead (ours, or the official `bundleWorkflowCode`'s), instead of `workflowsPath`. */
  workflowBundle?: WorkflowBundleOption;
  /** How `workflowsPath` is bundled, e.g. `{ ignoreModules: ['fs'] }`. */
  bundlerOptions?: BundlerOptions;
  /**
   * Converters (by path; bundled into the workflows as well) and payload codecs (main side), as
   * the official worker takes them. Unset: the runtime's converter, else the default one.
   */
  dataConverter?: WorkerDataConverter;
  /** Modules exporting `interceptors()` for every workflow run. */
  workflowInterceptorModules: string[];
  /** Workflow tasks run at once. @default 40 */
  maxConcurrentWorkflowTaskExecutions: number;
  /** Concurrent workflow long polls (normal + sticky). @default 10 */
  maxConcurrentWorkflowTaskPolls: number;
  /** Runs kept in the sticky cache; 0 turns stickiness off. @default 1000 */
  maxCachedWorkflows: number;
  /** How long the server holds a task on our sticky queue before it goes to the normal one. @default 10000 */
  stickyQueueScheduleToStartTimeoutMs: number;
  /**
   * Host functions behind the sinks workflow code calls through `proxySinks()`, in the official
   * worker's shape. Called on the main side once per call, never for calls made during replay
   * unless `callDuringReplay`. Workflow `log.*` goes to the entity's logger unless this
   * overrides `__temporal_logger`. Code only: functions cannot travel as JSON.
   */
  sinks?: InjectedSinks;
  /** Include the source files' contents in `__enhanced_stack_trace` answers. @default false */
  showStackTraceSources: boolean;
  /**
   * The official `workflowFailureErrorTypes`: by workflow type (`'*'` for all), error class names
   * that fail the workflow execution instead of the workflow task when workflow code throws them.
   * `NondeterminismError` (or `DeterminismViolationError`, or `Error`) also fails the execution on
   * nondeterminism.
   */
  workflowFailureErrorTypes?: Record<string, string[]>;
  /**
   * Nexus service handlers (`nexus.serviceHandler(...)` from `nexus-rpc`, with
   * `@temporalio/nexus` helpers) served on this task queue; no Nexus polling without them. Code only.
   */
  nexusServices: AnyServiceHandler[];
  /** Nexus tasks run at once; no poll happens without a free slot. @default 100 */
  maxConcurrentNexusTaskExecutions: number;
  /** Concurrent Nexus long polls, capped by the slots. @default 10 */
  maxConcurrentNexusTaskPolls: number;
}

export const workerEntityDefaults: Omit<WorkerEntityOptions, 'taskQueue' | 'activities'> & { activities: Record<string, ActivityFunction> } = {
  identity: `${process.pid}@${hostname()}`,
  activities: {},
  maxConcurrentActivityTaskExecutions: 100,
  maxConcurrentLocalActivityExecutions: 100,
  maxConcurrentActivityTaskPolls: 10,
  enableNonLocalActivities: true,
  ...heartbeatThrottleDefaults,
  ...shutdownDefaults,
  workflowInterceptorModules: [],
  maxConcurrentWorkflowTaskExecutions: 40,
  maxConcurrentWorkflowTaskPolls: 10,
  maxCachedWorkflows: 1000,
  stickyQueueScheduleToStartTimeoutMs: 10_000,
  showStackTraceSources: false,
  nexusServices: [],
  maxConcurrentNexusTaskExecutions: 100,
  maxConcurrentNexusTaskPolls: 10,
  useVersioning: false,
};

/** What callers pass: `drainGraceMs` / `shutdownForceTimeMs`, or the official `shutdownGraceTime` / `shutdownForceTime`. */
export type WorkerEntityInput = Pick<WorkerEntityOptions, 'taskQueue'> &
  Partial<Omit<WorkerEntityOptions, 'taskQueue' | keyof ShutdownOptions>> &
  ShutdownInput & {
    /** Slot counts as the official `tuner` (fixed-size suppliers); exclusive with the `maxConcurrent…Executions` options. */
    tuner?: WorkerTunerInput;
  };

const positiveInt = z.number().int().positive();

const isServiceHandler = (v: unknown): boolean => typeof (v as AnyServiceHandler | null)?.getOperationHandler === 'function' && !!(v as AnyServiceHandler).definition?.name;

function isSinkFunction(v: unknown): boolean {
  const o = v as { fn?: unknown; callDuringReplay?: unknown } | null;
  return typeof o === 'object' && o !== null && typeof o.fn === 'function' && (o.callDuringReplay === undefined || typeof o.callDuringReplay === 'boolean');
}

export const workerEntityInputSchema = z
  .object({
    taskQueue: z.string().min(1).max(1000),
    identity: z.string().min(1).max(1000).optional(),
    activities: z.record(z.string().min(1), z.custom<ActivityFunction>((v) => typeof v === 'function', 'must be a function')).optional(),
    maxConcurrentActivityTaskExecutions: positiveInt.optional(),
    maxConcurrentLocalActivityExecutions: positiveInt.optional(),
    maxConcurrentActivityTaskPolls: positiveInt.optional(),
    enableNonLocalActivities: z.boolean().optional(),
    maxActivitiesPerSecond: z.number().positive().optional(),
    maxTaskQueueActivitiesPerSecond: z.number().positive().optional(),
    tuner: workerTunerSchema.optional(),
    defaultHeartbeatThrottleIntervalMs: positiveInt.optional(),
    maxHeartbeatThrottleIntervalMs: positiveInt.optional(),
    ...shutdownInputShape,
    workflowsPath: z.string().min(1).optional(),
    workflowBundle: workflowBundleOptionSchema.optional(),
    bundlerOptions: bundlerOptionsSchema.optional(),
    dataConverter: dataConverterSchema.optional(),
    workflowInterceptorModules: z.array(z.string().min(1)).optional(),
    maxConcurrentWorkflowTaskExecutions: positiveInt.optional(),
    maxConcurrentWorkflowTaskPolls: positiveInt.min(2).optional(),
    maxCachedWorkflows: z.number().int().min(0).optional(),
    stickyQueueScheduleToStartTimeoutMs: positiveInt.optional(),
    showStackTraceSources: z.boolean().optional(),
    workflowFailureErrorTypes: z.record(z.string().min(1), z.array(z.string().min(1, 'must name an error class'))).optional(),
    sinks: z
      .record(z.string(), z.record(z.string(), z.custom<InjectedSinks[string][string]>(isSinkFunction, 'must be { fn, callDuringReplay? }')))
      .refine((sinks) => !Object.keys(sinks).some((name) => name.startsWith('__temporal_')), "sink names must not use the reserved prefix '__temporal_' (as in the official worker)")
      .optional(),
    nexusServices: z
      .array(z.custom<AnyServiceHandler>(isServiceHandler, 'must be a Nexus service handler (nexus.serviceHandler(...)) with a non-empty service name'))
      .refine((services) => new Set(services.map((s) => s.definition.name)).size === services.length, 'registers the same Nexus service twice (as the official worker refuses)')
      .optional(),
    maxConcurrentNexusTaskExecutions: positiveInt.optional(),
    maxConcurrentNexusTaskPolls: positiveInt.optional(),
    ...versioningInputShape,
  })
  .strict()
  .refine((o) => !(o.workflowsPath && o.workflowBundle), { message: 'give workflowsPath or workflowBundle, not both', path: ['workflowBundle'] })
  .superRefine((o, ctx) => {
    const versioning = checkVersioningInput(o);
    if (versioning) ctx.addIssue({ code: 'custom', message: versioning, path: ['buildId'] });
    const tuner = checkTunerInput(o);
    if (tuner) ctx.addIssue({ code: 'custom', message: tuner, path: ['tuner'] });
  });
