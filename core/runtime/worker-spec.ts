import { z } from 'zod';
import type { AnyServiceHandler } from '../nexus/nexus-task.js';
import type { ActivityFunction } from '../activity/activity-execution.js';
import { temporalName } from '../validate.js';
import { msToNumber, type Duration } from '@temporalio/common/lib/time.js';
import { durationSchema } from '../worker/shutdown-options.js';
import { workerTunerSchema } from '../worker/tuner.js';
import { versioningInputShape } from '../worker/versioning.js';
import { workerEntityInputSchema, type WorkerEntityInput } from '../worker/worker-entity-options.js';
import type { InjectedSinks } from '../../sandbox/sinks.js';
import { dataConverterSchema, type WorkerDataConverter } from '../worker/data-converter.js';
import { bundlerOptionsSchema, workflowBundleOptionSchema, type BundlerOptions, type WorkflowBundleOption } from '../../sandbox/workflow-bundle-source.js';

const positiveInt = (max: number) => z.number().int('must be an integer').positive('must be > 0').max(max, `must be <= ${max}`);
const pluginName = z.string().min(1, 'must name a loaded plugin').max(128);

/** The official `WorkerOptions` that make sense as JSON, by their official names; durations as ms or `'30s'`. */
function officialOptionsShape() {
  const d = (what: string) => durationSchema.optional().describe(`${what} Milliseconds, or a string such as '30s'.`);
  return {
    shutdownGraceTime: d('In-flight tasks get this long to finish on drain (official name of drainGraceMs).'),
    shutdownForceTime: d('After the grace, cancelled activities get this long before they are answered as failed.'),
    stickyQueueScheduleToStartTimeout: d('How long the server holds a task on our sticky queue. Default 10s.'),
    maxHeartbeatThrottleInterval: d('Heartbeat throttle upper bound. Default 60s.'),
    defaultHeartbeatThrottleInterval: d('Heartbeat throttle without a heartbeat timeout. Default 30s.'),
    ...versioningInputShape,
    enableNonLocalActivities: z.boolean().optional().describe('False: no activity polling (local activities still run). Default true.'),
    maxActivitiesPerSecond: z.number().positive().optional().describe('Activity tasks this worker takes per second at most.'),
    maxTaskQueueActivitiesPerSecond: z.number().positive().optional().describe('Activity tasks per second for the whole task queue (server-enforced).'),
    tuner: workerTunerSchema.optional().describe('Fixed-size slot suppliers (exclusive with limits.maxConcurrent…Executions).'),
    workflowFailureErrorTypes: z
      .record(z.string().min(1).max(1000), z.array(z.string().min(1).max(1000)).max(100))
      .optional()
      .describe("By workflow type ('*': all), error class names that fail the workflow execution instead of the task; NondeterminismError covers nondeterminism."),
  };
}

const SAME_NAME = ['shutdownGraceTime', 'shutdownForceTime', 'buildId', 'useVersioning', 'workerDeploymentOptions', 'enableNonLocalActivities', 'maxActivitiesPerSecond', 'maxTaskQueueActivitiesPerSecond', 'tuner', 'workflowFailureErrorTypes'] as const;
const IN_MS = { stickyQueueScheduleToStartTimeout: 'stickyQueueScheduleToStartTimeoutMs', maxHeartbeatThrottleInterval: 'maxHeartbeatThrottleIntervalMs', defaultHeartbeatThrottleInterval: 'defaultHeartbeatThrottleIntervalMs' } as const;

/** The entity input of a validated spec's official options (the entity checks them together). */
export function officialEntityInput(spec: WorkerSpecJson): Partial<WorkerEntityInput> {
  const out: Record<string, unknown> = {};
  for (const key of SAME_NAME) if (spec[key] !== undefined) out[key] = spec[key];
  for (const [key, ms] of Object.entries(IN_MS)) {
    const v = spec[key as keyof typeof IN_MS];
    if (v !== undefined) out[ms] = msToNumber(v as Duration);
  }
  return out as Partial<WorkerEntityInput>;
}

/** Concurrency limits of one entity; each maps to the WorkerEntity option of the same name. */
export const workerLimitsSchema = z
  .object({
    maxConcurrentActivityTaskExecutions: positiveInt(10_000).optional().describe('Activity tasks run at once. Default 100.'),
    maxConcurrentActivityTaskPolls: positiveInt(100).optional().describe('Concurrent activity long polls. Default 10.'),
    maxConcurrentLocalActivityExecutions: positiveInt(10_000).optional().describe('Local activity attempts run at once (workflow side). Default 100.'),
    maxConcurrentWorkflowTaskExecutions: positiveInt(10_000).optional().describe('Workflow tasks run at once (workflow side).'),
    maxConcurrentWorkflowTaskPolls: positiveInt(100).optional().describe('Concurrent workflow long polls (workflow side).'),
    maxCachedWorkflows: z.number().int().min(0).max(100_000).optional().describe('Sticky cache size (workflow side).'),
    maxConcurrentNexusTaskExecutions: positiveInt(10_000).optional().describe('Nexus tasks run at once (with nexusServices, given in-process). Default 100.'),
    maxConcurrentNexusTaskPolls: positiveInt(100).optional().describe('Concurrent Nexus long polls (with nexusServices). Default 10.'),
  })
  .strict();

/**
 * A worker spec as JSON: what POST /workers and the config file accept. The same schema
 * validates bodies and generates /openapi.json.
 */
export const workerSpecSchema = z
  .object({
    id: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'must be 1-128 letters, digits, ".", "_" or "-", starting with a letter or digit')
      .optional()
      .describe('Stable id; generated when omitted.'),
    namespace: temporalName({ maxBytes: 255 }).optional().describe("Defaults to the runtime's namespace."),
    taskQueue: temporalName({ maxBytes: 1000, reservedPrefix: '/_sys/' }).refine((s) => s.trim() === s, 'must not start or end with whitespace'),
    workflowsPath: z.string().min(1).max(4096).optional().describe('Workflow module (or folder with an index), relative to the runtime base dir.'),
    activityPlugins: z.array(pluginName).max(100).optional().describe('Names of loaded activity plugins whose activities this worker runs.'),
    interceptors: z.array(pluginName).max(100).optional().describe('Names of loaded interceptor plugins; omitted = every loaded one, [] = none.'),
    limits: workerLimitsSchema.optional(),
    identity: temporalName({ maxBytes: 1000 }).optional(),
    drainGraceMs: z.number().int().min(0).max(3_600_000).optional().describe('Default grace of drain and delete, ms.'),
    allowDuplicate: z.boolean().optional().describe('Allow a second entity on the same namespace + task queue.'),
    paused: z.boolean().optional().describe('Create it PAUSED: it polls only after resume.'),
    showStackTraceSources: z.boolean().optional().describe('Include source file contents in __enhanced_stack_trace answers.'),
    ...officialOptionsShape(),
  })
  .strict();

/** The JSON part of a worker spec, after validation. */
export type WorkerSpecJson = z.output<typeof workerSpecSchema>;

/**
 * What {@link Runtime.addWorker} takes: the JSON spec, plus activity functions given in-process
 * (embedding), which the REST API cannot carry.
 */
export type WorkerSpec = z.input<typeof workerSpecSchema> & {
  /** Activities by type name, beside those of `activityPlugins`. */
  activities?: Record<string, ActivityFunction>;
  /** Host functions behind workflow sinks (see `WorkerEntityOptions.sinks`). */
  sinks?: InjectedSinks;
  /**
   * The official worker's options that name or carry code (converter and bundle paths, codec
   * objects): in-process only, never from a request body. See {@link WorkerEntityOptions}.
   */
  dataConverter?: WorkerDataConverter;
  bundlerOptions?: BundlerOptions;
  workflowBundle?: WorkflowBundleOption;
  /**
   * Nexus service handlers served on this task queue, as the official `WorkerOptions.nexusServices`
   * (`nexus.serviceHandler(...)` objects): in-process only, a request body cannot carry them.
   */
  nexusServices?: AnyServiceHandler[];
};

/** The runtime's check of a whole spec, functions and code options included. */
export const workerSpecInputSchema = workerSpecSchema.extend({
  activities: z.record(z.string().min(1), z.custom<ActivityFunction>((v) => typeof v === 'function', 'must be a function')).optional(),
  sinks: workerEntityInputSchema.shape.sinks,
  dataConverter: dataConverterSchema.optional(),
  bundlerOptions: bundlerOptionsSchema.optional(),
  workflowBundle: workflowBundleOptionSchema.optional(),
  nexusServices: workerEntityInputSchema.shape.nexusServices,
});
