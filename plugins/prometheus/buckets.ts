/**
 * sdk-core's default histogram buckets, ms, by metric (its `default_buckets_for`), so the
 * quantiles of existing Temporal dashboards mean the same here.
 */
const WORKFLOW_END_TO_END = [100, 500, 1000, 1500, 2000, 5000, 10_000, 30_000, 60_000, 120_000, 300_000, 600_000, 1_800_000, 3_600_000, 30_600_000, 86_400_000];
const WORKFLOW_TASK = [1, 10, 20, 50, 100, 200, 500, 1000];
const ACTIVITY_EXECUTION = [50, 100, 500, 1000, 5000, 10_000, 60_000];
const SCHEDULE_TO_START = [100, 500, 1000, 5000, 10_000, 100_000, 1_000_000];

/** Every other histogram's buckets (sdk-core's `DEFAULT_MS_BUCKETS`). */
export const DEFAULT_BUCKETS_MS = [50, 100, 500, 1000, 2500, 10_000];

const BY_METRIC: Readonly<Record<string, readonly number[]>> = {
  temporal_workflow_endtoend_latency: WORKFLOW_END_TO_END,
  temporal_workflow_task_execution_latency: WORKFLOW_TASK,
  temporal_workflow_task_replay_latency: WORKFLOW_TASK,
  temporal_activity_execution_latency: ACTIVITY_EXECUTION,
  temporal_workflow_task_schedule_to_start_latency: SCHEDULE_TO_START,
  temporal_activity_schedule_to_start_latency: SCHEDULE_TO_START,
};

/** The buckets of `metric`: the operator's override for all histograms, else sdk-core's default for it. */
export function bucketsFor(metric: string, override?: readonly number[]): number[] {
  return [...(override ?? BY_METRIC[metric] ?? DEFAULT_BUCKETS_MS)];
}
