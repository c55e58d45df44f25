/**
 * Turns a validated worker spec into a Worker Entity wired to the runtime: the namespace's shared
 * connection, plugin activities, interceptors and metric events. Everything that can fail on bad
 * input is checked before anything is created.
 */
import type { LoadedDataConverter, MetricMeter } from '@temporalio/common';
import type { ActivityFunction } from '../activity/activity-execution.js';
import type { Connection } from '../connection/connection.js';
import { ConfigError } from '../errors.js';
import { levelOf, loggerFrom, type Logger, type LogMetadata } from '../logger.js';
import { WorkerEntity, type WorkerEntityDeps } from '../worker/worker-entity.js';
import { workerEntityInputSchema, type WorkerEntityInput } from '../worker/worker-entity-options.js';
import type { InterceptorPlugin } from '../../plugins/contracts.js';
import type { PluginRegistry } from '../../plugins/registry.js';
import type { WorkflowSandbox } from '../../sandbox/workflow-sandbox.js';
import type { StickyQueue } from '../workflow-worker/sticky-queue.js';
import { activityAwareLogger, composeActivityInvoke } from './activity-interceptors.js';
import type { MetricEventSink } from './metric-events.js';
import type { ModuleOrigin, ModulePolicy } from './module-policy.js';
import type { WorkflowSide } from './worker-info.js';
import { officialEntityInput, type WorkerSpec, type WorkerSpecJson } from './worker-spec.js';

/** Whether the Worker Entity's options accept `key`: probed, so this keeps working as the entity grows. */
const entityAccepts = (key: string): boolean => key in (workerEntityInputSchema.shape as Record<string, unknown>);

/** Spec fields only an embedding host can give (functions, code paths, codec objects). */
type CodeOnlyFields = Pick<WorkerSpec, 'activities' | 'sinks' | 'dataConverter' | 'bundlerOptions' | 'workflowBundle' | 'nexusServices'>;
/** A spec as the runtime takes it in-process: JSON plus the code-only fields. */
type InProcessSpec = WorkerSpecJson & CodeOnlyFields;

/** A spec whose references were all resolved; building the entity from it cannot fail on input. */
export interface ResolvedSpec {
  readonly spec: InProcessSpec;
  readonly namespace: string;
  readonly activities: Record<string, ActivityFunction>;
  readonly interceptors: InterceptorPlugin[];
  readonly workflowsPath?: string;
  readonly workflowSide: WorkflowSide;
  readonly entityInput: WorkerEntityInput;
  /** Spec fields the entity does not take yet. */
  readonly ignored: string[];
}

/**
 * Checks references (plugins, workflow path: against the module policy, before anything is
 * bundled) and builds the entity's input. Throws ConfigError / PluginError / ModuleRefusedError.
 */
export function resolveSpec(
  spec: InProcessSpec,
  ctx: { defaultNamespace: string; modules: ModulePolicy; origin: ModuleOrigin; plugins: PluginRegistry },
): ResolvedSpec {
  const activities: Record<string, ActivityFunction> = {};
  const owner = new Map<string, string>();
  const add = (from: string, acts: Readonly<Record<string, ActivityFunction>>) => {
    for (const [type, fn] of Object.entries(acts)) {
      const prev = owner.get(type);
      if (prev) throw invalidField('activityPlugins', `activity type "${type}" is provided by both ${prev} and ${from}`);
      owner.set(type, from);
      activities[type] = fn;
    }
  };
  for (const name of spec.activityPlugins ?? []) add(`plugin "${name}"`, ctx.plugins.activityPlugin(name).activities);
  if (spec.activities) add('worker.activities', spec.activities);
  const interceptors = ctx.plugins.interceptorPlugins(spec.interceptors);

  const workflowsPath = spec.workflowsPath ? ctx.modules.workflowsFile(spec.workflowsPath, ctx.origin) : undefined;
  if (spec.workflowsPath && spec.workflowBundle) throw invalidField('workflowBundle', 'give workflowsPath or workflowBundle, not both');
  if (!Object.keys(activities).length && !workflowsPath && !spec.workflowBundle && !spec.nexusServices?.length) {
    throw invalidField('', 'has nothing to run; give activityPlugins (or activities), a workflowsPath and/or nexusServices');
  }

  const ignored: string[] = [];
  const input: Record<string, unknown> = { taskQueue: spec.taskQueue, activities };
  if (spec.identity) input.identity = spec.identity;
  if (spec.drainGraceMs !== undefined) input.drainGraceMs = spec.drainGraceMs;
  if (spec.sinks) input.sinks = spec.sinks;
  if (spec.nexusServices?.length) input.nexusServices = spec.nexusServices;
  if (spec.showStackTraceSources !== undefined) input.showStackTraceSources = spec.showStackTraceSources;
  const codeOptions = admitCodePaths(spec, (file, field) => ctx.modules.workflowsFile(file, ctx.origin, field));
  for (const key of ['dataConverter', 'bundlerOptions', 'workflowBundle'] as const) {
    if (codeOptions[key] === undefined) continue;
    if (entityAccepts(key)) input[key] = codeOptions[key];
    else ignored.push(key);
  }
  Object.assign(input, officialEntityInput(spec));
  for (const [key, value] of Object.entries(spec.limits ?? {})) {
    if (value === undefined) continue;
    if (entityAccepts(key)) input[key] = value;
    else ignored.push(`limits.${key}`);
  }
  let workflowSide: WorkflowSide = 'none';
  if (workflowsPath || spec.workflowBundle) {
    if (entityAccepts('workflowsPath')) {
      if (workflowsPath) input.workflowsPath = workflowsPath;
      const modules = interceptors.flatMap((p) => p.workflowModules ?? []);
      if (modules.length && entityAccepts('workflowInterceptorModules')) input.workflowInterceptorModules = modules;
      workflowSide = 'entity';
    } else {
      workflowSide = 'unsupported';
      ignored.push('workflowsPath');
    }
  }
  return {
    spec,
    namespace: spec.namespace ?? ctx.defaultNamespace,
    activities,
    interceptors,
    workflowsPath,
    workflowSide,
    entityInput: input as unknown as WorkerEntityInput,
    ignored,
  };
}

/**
 * The code options with every path checked by the module policy like `workflowsPath` (a regular
 * file under the module roots; relative to the base dir) and replaced by the file it names.
 */
function admitCodePaths(spec: InProcessSpec, admit: (file: string, field: string) => string): Pick<InProcessSpec, 'dataConverter' | 'bundlerOptions' | 'workflowBundle'> {
  const at = <K extends string>(file: string | undefined, key: K, prefix: string) => (file ? { [key]: admit(file, `${prefix}.${key}`) } : {}) as Partial<Record<K, string>>;
  const { dataConverter: dc, workflowBundle: wb } = spec;
  return {
    bundlerOptions: spec.bundlerOptions,
    dataConverter: dc && { ...dc, ...at(dc.payloadConverterPath, 'payloadConverterPath', 'dataConverter'), ...at(dc.failureConverterPath, 'failureConverterPath', 'dataConverter') },
    workflowBundle: wb && ('codePath' in wb ? { codePath: admit(wb.codePath, 'workflowBundle.codePath'), ...at(wb.sourceMapPath, 'sourceMapPath', 'workflowBundle') } : wb),
  };
}

/**
 * A {@link ConfigError} for one field of a worker spec, worded like `validate()`'s; its cause has
 * zod's `issues` shape so the control API reports it field by field like a schema error.
 */
export function invalidField(field: string, message: string): ConfigError {
  const name = field ? `worker.${field}` : 'worker';
  return new ConfigError(`Invalid worker: ${name}: ${message}`, { cause: { issues: [{ path: field ? field.split('.') : [], message }] } });
}

/** What a built entity borrows from the runtime. */
export interface EntityWiring {
  connection: Connection;
  logger: Logger;
  dataConverter?: LoadedDataConverter;
  /** The workflow sandbox shared by every entity of the runtime. */
  sandbox?: WorkflowSandbox;
  /** The namespace's shared sticky queue; absent when sharing is off. */
  stickyQueue?: StickyQueue;
  workerId: string;
  emit: MetricEventSink;
  /** The metrics plugin's meter, behind activities' and workflows' `metricMeter`. */
  metricMeter?: MetricMeter;
}

/** Builds the entity of a resolved spec; its events feed the runtime's metrics. */
export function buildEntity(r: ResolvedSpec, w: EntityWiring): WorkerEntity {
  const labels = { namespace: r.namespace, taskQueue: r.spec.taskQueue, workerId: w.workerId };
  const logger = activityAwareLogger(withMeta(w.logger, { workerId: w.workerId, taskQueue: r.spec.taskQueue, namespace: r.namespace }), r.interceptors);
  const deps: WorkerEntityDeps = {
    connection: w.connection,
    logger,
    ...(w.dataConverter ? { dataConverter: w.dataConverter } : {}),
    ...(w.sandbox ? { sandbox: w.sandbox } : {}),
    ...(w.stickyQueue ? { stickyQueue: w.stickyQueue } : {}),
    ...(w.metricMeter ? { metricMeter: w.metricMeter } : {}),
    activityInvoke: composeActivityInvoke(r.interceptors),
    events: {
      activityTaskDone: (report) => {
        const now = Date.now();
        const { info } = report;
        w.emit({
          type: 'activity_task_done',
          ...labels,
          activityType: info.activityType,
          workflowType: info.workflowType ?? '',
          outcome: report.outcome,
          executionMs: report.durationMs,
          scheduleToStartMs: Math.max(0, now - report.durationMs - info.currentAttemptScheduledTimestampMs),
          ...(report.outcome === 'completed' ? { endToEndMs: Math.max(0, now - info.scheduledTimestampMs) } : {}),
        });
      },
      workflowTaskDone: (report) => {
        // Queries are not workflow tasks in the SDK metrics.
        if (report.outcome === 'query') return;
        w.emit({ type: 'workflow_task_done', ...labels, workflowType: report.workflowType, failed: report.outcome === 'failed', ...(report.failure ? { failureReason: report.failure.failureReason } : {}), executionMs: report.durationMs, cacheHit: report.cacheHit, sticky: report.sticky, replayMs: report.replayMs, scheduleToStartMs: report.scheduleToStartMs });
        if (report.workflowOutcome) w.emit({ type: 'workflow_done', ...labels, workflowType: report.workflowType, outcome: report.workflowOutcome, endToEndMs: report.workflowEndToEndMs });
      },
      pollEnd: (kind, gotTask, _entity, sticky) => w.emit({ type: 'poll', ...labels, kind, gotTask, sticky: sticky === true }),
      activityTaskReceived: (t) => w.emit({ type: 'activity_task_received', ...labels, ...t }),
      localActivityAttemptDone: (r) => w.emit({ type: 'local_activity_attempt_done', ...labels, ...r }),
      workflowEvicted: (forced) => {
        if (forced) w.emit({ type: 'sticky_cache_forced_eviction', ...labels });
      },
    },
  };
  const entity = new WorkerEntity(r.entityInput, deps);
  entity.onStateChange((state, prev) => w.emit({ type: 'worker_state', ...labels, state, prev }));
  return entity;
}

/** A logger that adds `meta` to every line, for any {@link Logger}. */
export function withMeta(base: Logger, meta: LogMetadata): Logger {
  return loggerFrom((level, message, m) => base.log(level, message, { ...meta, ...m }), levelOf(base));
}
