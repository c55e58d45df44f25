import type { ActivityOutcome } from '../activity/activity-execution.js';
import type { WorkerState } from '../worker/worker-state.js';

/** Labels every worker-level event carries, as in the Temporal SDK metrics. */
export interface WorkerLabels {
  readonly namespace: string;
  readonly taskQueue: string;
  readonly workerId: string;
}

/**
 * What the runtime tells its metrics plugins. A plain discriminated union, so a plugin maps it to
 * any backend; the Prometheus plugin maps it to the Temporal SDK metric names.
 */
export type RuntimeMetricEvent =
  | (WorkerLabels & {
      readonly type: 'activity_task_done';
      readonly activityType: string;
      readonly workflowType: string;
      readonly outcome: ActivityOutcome;
      /** From the start of the user function to the server's answer. */
      readonly executionMs: number;
      /** From the attempt's scheduling to its start here. */
      readonly scheduleToStartMs: number;
      /** From the first scheduling to completion; only for `completed`. */
      readonly endToEndMs?: number;
    })
  | (WorkerLabels & {
      readonly type: 'poll';
      readonly kind: 'activity' | 'workflow';
      readonly gotTask: boolean;
      /** A sticky-queue poll: the entity's own, or the process's shared one (then `workerId` is ''). */
      readonly sticky?: boolean;
    })
  | (WorkerLabels & {
      /** One local activity attempt that ran (sdk-core's `local_activity_*` metrics). */
      readonly type: 'local_activity_attempt_done';
      readonly activityType: string;
      readonly workflowType: string;
      readonly outcome: 'completed' | 'failed' | 'timedOut' | 'cancelled';
      readonly executionMs: number;
      /** From the first attempt's schedule time; only for `completed`. */
      readonly endToEndMs?: number;
    })
  | (WorkerLabels & { readonly type: 'activity_task_received'; readonly activityType: string; readonly workflowType: string; readonly eager: boolean })
  /** A run left the sticky cache for another reason than its workflow finishing (sdk-core's forced eviction). */
  | (WorkerLabels & { readonly type: 'sticky_cache_forced_eviction' })
  | (WorkerLabels & { readonly type: 'worker_state'; readonly state: WorkerState; readonly prev: WorkerState })
  | (WorkerLabels & {
      readonly type: 'workflow_task_done';
      readonly workflowType: string;
      readonly failed: boolean;
      /** When failed: sdk-core's `failure_reason` (`NonDeterminismError`, `WorkflowError`, `GrpcMessageTooLarge`). */
      readonly failureReason?: string;
      readonly executionMs: number;
      /** The run was in the sticky cache. */
      readonly cacheHit: boolean;
      /** Counted as sdk-core counts the sticky cache (partial-history tasks only); see WorkflowTaskReport.sticky. */
      readonly sticky?: 'hit' | 'miss';
      /** Time spent replaying before the first new activation, when the task replayed. */
      readonly replayMs?: number;
      /** Server-side wait before a poller took the task. */
      readonly scheduleToStartMs?: number;
    })
  | (WorkerLabels & {
      readonly type: 'workflow_done';
      readonly workflowType: string;
      readonly outcome: 'completed' | 'failed' | 'canceled' | 'continue_as_new';
      /** From the run's WorkflowExecutionStarted event to its closing command, when known. */
      readonly endToEndMs?: number;
    })
  | {
      /** One WorkflowService call. `operation` is the gRPC method name (PollActivityTaskQueue). */
      readonly type: 'request';
      readonly namespace: string;
      readonly operation: string;
      readonly longPoll: boolean;
      readonly failed: boolean;
      /** When failed with a gRPC status: its name as sdk-core writes it (`NOT_FOUND`). */
      readonly statusCode?: string;
      readonly latencyMs: number;
    };

/** Something that consumes metric events. */
export type MetricEventSink = (event: RuntimeMetricEvent) => void;
