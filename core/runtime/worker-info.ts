import type { LastError, WorkerEntity } from '../worker/worker-entity.js';
import type { WorkerState } from '../worker/worker-state.js';

/** How the workflows of a worker are run. */
export type WorkflowSide =
  /** The spec has no workflowsPath. */
  | 'none'
  /** The entity runs them itself. */
  | 'entity'
  /** The entity cannot run workflows: workflowsPath is ignored. */
  | 'unsupported';

export interface SlotCounts {
  readonly used: number;
  readonly free: number;
}

/** What list(), get() and the control API report about a worker. */
export interface WorkerInfo {
  readonly id: string;
  readonly namespace: string;
  readonly taskQueue: string;
  readonly state: WorkerState;
  readonly createdAt: string;
  readonly workflowsPath?: string;
  readonly workflowSide: WorkflowSide;
  readonly activities: readonly string[];
  readonly activityPlugins: readonly string[];
  readonly interceptors: readonly string[];
  /** Nexus services served (by service name), when the worker was given `nexusServices`. */
  readonly nexusServices?: readonly string[];
  readonly slots: { readonly activity: SlotCounts; readonly workflow?: SlotCounts; readonly nexus?: SlotCounts };
  readonly tasks: {
    readonly activity: { readonly completed: number; readonly failed: number; readonly cancelled: number };
    readonly workflow?: { readonly completed: number; readonly failed: number; readonly queries: number };
    readonly nexus?: { readonly completed: number; readonly operationError: number; readonly handlerError: number };
  };
  /** Workflow runs in the sticky cache. */
  readonly cachedRuns?: number;
  /** Long polls open right now, by kind. */
  readonly pollers?: { readonly activity: number; readonly workflow: number; readonly stickyWorkflow: number };
  /** The entity's latest failure, or its latest failed workflow task's (with `workflowType`, `runId`, `at`). */
  readonly lastError?: Readonly<LastError>;
  /** Spec fields the entity does not support yet (dropped with a warning at add). */
  readonly ignored?: readonly string[];
}

/** Everything the runtime keeps about one worker. */
export interface WorkerRecord {
  readonly id: string;
  readonly namespace: string;
  readonly entity: WorkerEntity;
  readonly createdAt: string;
  readonly workflowsPath?: string;
  readonly workflowSide: WorkflowSide;
  readonly activityPlugins: readonly string[];
  readonly interceptors: readonly string[];
  readonly ignored: readonly string[];
  readonly drainGraceMs?: number;
  /** The spec's `shutdownForceTime`, when it gives one. */
  readonly shutdownForceTimeMs?: number;
  removing?: Promise<void>;
}

export function workerInfo(r: WorkerRecord): WorkerInfo {
  const s = r.entity.status();
  const { slotsUsed, slotsFree, completed, failed, cancelled } = s.activity;
  return {
    id: r.id,
    namespace: r.namespace,
    taskQueue: s.taskQueue,
    state: s.state,
    createdAt: r.createdAt,
    ...(r.workflowsPath ? { workflowsPath: r.workflowsPath } : {}),
    workflowSide: r.workflowSide,
    activities: Object.keys(r.entity.options.activities).sort(),
    activityPlugins: r.activityPlugins,
    interceptors: r.interceptors,
    ...(s.nexus ? { nexusServices: r.entity.options.nexusServices.map((h) => h.definition.name).sort() } : {}),
    slots: {
      activity: { used: slotsUsed, free: slotsFree },
      ...(s.workflow ? { workflow: { used: s.workflow.slotsUsed, free: s.workflow.slotsFree } } : {}),
      ...(s.nexus ? { nexus: { used: s.nexus.slotsUsed, free: s.nexus.slotsFree } } : {}),
    },
    tasks: {
      activity: { completed, failed, cancelled },
      ...(s.workflow ? { workflow: { completed: s.workflow.completed, failed: s.workflow.failed, queries: s.workflow.queries } } : {}),
      ...(s.nexus ? { nexus: { completed: s.nexus.completed, operationError: s.nexus.operationError, handlerError: s.nexus.handlerError } } : {}),
    },
    ...(s.workflow ? { cachedRuns: s.workflow.cachedRuns } : {}),
    pollers: s.pollers,
    ...(s.lastError ? { lastError: s.lastError } : {}),
    ...(r.ignored.length ? { ignored: r.ignored } : {}),
  };
}
