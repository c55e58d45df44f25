/**
 * The Temporal SDK's metric names (https://docs.temporal.io/references/sdk-metrics), with the
 * labels sdk-core puts on them, so existing Temporal dashboards read this runtime unchanged.
 * Histograms are in milliseconds with sdk-core's default buckets per metric (see buckets.ts), as
 * sdk-core's are by default.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { RuntimeMetricEvent } from '../../core/runtime/metric-events.js';
import type { RuntimeView } from '../contracts.js';
import { bucketsFor } from './buckets.js';

const ACTIVITY = ['namespace', 'task_queue', 'activity_type', 'workflow_type'] as const;
const QUEUE = ['namespace', 'task_queue'] as const;
const WORKFLOW = ['namespace', 'task_queue', 'workflow_type'] as const;
const REQUEST = ['namespace', 'operation'] as const;
// sdk-core adds the gRPC status to the failure counters only.
const REQUEST_FAILURE = [...REQUEST, 'status_code'] as const;

/**
 * Builds every metric on `registry` and returns the event handler that feeds them.
 * `bucketsMs` overrides every histogram's buckets; without it each gets sdk-core's default.
 */
export function temporalMetrics(registry: Registry, view: RuntimeView, bucketsMs?: readonly number[]): (event: RuntimeMetricEvent) => void {
  const registers = [registry];
  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]) => new Counter<L>({ name, help, labelNames, registers });
  const histogram = <L extends string>(name: string, help: string, labelNames: readonly L[]) => new Histogram<L>({ name, help, labelNames, buckets: bucketsFor(name, bucketsMs), registers });

  const request = counter('temporal_request', 'WorkflowService calls (not long polls)', REQUEST);
  const requestFailure = counter('temporal_request_failure', 'WorkflowService calls that failed', REQUEST_FAILURE);
  const requestLatency = histogram('temporal_request_latency', 'WorkflowService call latency, ms', REQUEST);
  const longRequest = counter('temporal_long_request', 'Long polls', REQUEST);
  const longRequestFailure = counter('temporal_long_request_failure', 'Long polls that failed', REQUEST_FAILURE);
  const longRequestLatency = histogram('temporal_long_request_latency', 'Long poll latency, ms', REQUEST);

  const activityLatency = histogram('temporal_activity_execution_latency', 'Activity execution time, ms', ACTIVITY);
  const activityFailed = counter('temporal_activity_execution_failed', 'Activity executions that failed', ACTIVITY);
  const activityCancelled = counter('temporal_activity_execution_cancelled', 'Activity executions cancelled', ACTIVITY);
  const activityScheduleToStart = histogram('temporal_activity_schedule_to_start_latency', 'Activity schedule-to-start, ms', ACTIVITY);
  const activityEndToEnd = histogram('temporal_activity_succeed_endtoend_latency', 'Activity schedule to successful completion, ms', ACTIVITY);
  const activityPollNoTask = counter('temporal_activity_poll_no_task', 'Activity polls that returned no task', QUEUE);
  // As sdk-core: every local attempt that ran counts, with how it ended.
  const localTotal = counter('temporal_local_activity_total', 'Local activity attempts run', ACTIVITY);
  const localLatency = histogram('temporal_local_activity_execution_latency', 'Local activity attempt execution time, ms', ACTIVITY);
  const localFailed = counter('temporal_local_activity_execution_failed', 'Local activity attempts that failed; failure_reason ActivityError or timeout', [...ACTIVITY, 'failure_reason']);
  const localCancelled = counter('temporal_local_activity_execution_cancelled', 'Local activity attempts cancelled', ACTIVITY);
  const localEndToEnd = histogram('temporal_local_activity_succeed_endtoend_latency', 'Local activity first schedule to successful completion, ms', ACTIVITY);
  const activityReceived = counter('temporal_activity_task_received', 'Activity tasks received (polled or eager)', [...ACTIVITY, 'eager']);

  const wftPollEmpty = counter('temporal_workflow_task_queue_poll_empty', 'Workflow polls that returned no task', QUEUE);
  const wftPollSucceed = counter('temporal_workflow_task_queue_poll_succeed', 'Workflow polls that returned a task', QUEUE);
  const wftLatency = histogram('temporal_workflow_task_execution_latency', 'Workflow task execution time, ms', WORKFLOW);
  // sdk-core labels this one with why: failure_reason = NonDeterminismError | WorkflowError | GrpcMessageTooLarge.
  const wftFailed = counter('temporal_workflow_task_execution_failed', 'Workflow tasks that failed', [...WORKFLOW, 'failure_reason']);
  const wftScheduleToStart = histogram('temporal_workflow_task_schedule_to_start_latency', 'Workflow task schedule-to-start, ms', WORKFLOW);
  const wftReplay = histogram('temporal_workflow_task_replay_latency', 'Workflow task replay time, ms', WORKFLOW);
  const workflowEndToEnd = histogram('temporal_workflow_endtoend_latency', 'Workflow start to close, ms', WORKFLOW);
  const forcedEviction = counter('temporal_sticky_cache_total_forced_eviction', 'Runs evicted from the sticky cache before their workflow finished', QUEUE);
  const stickyHit = counter('temporal_sticky_cache_hit', 'Workflow tasks whose run was cached', QUEUE);
  const stickyMiss = counter('temporal_sticky_cache_miss', 'Workflow tasks whose run was not cached', QUEUE);
  const workflowDone = {
    completed: counter('temporal_workflow_completed', 'Workflows completed', WORKFLOW),
    failed: counter('temporal_workflow_failed', 'Workflows failed', WORKFLOW),
    canceled: counter('temporal_workflow_canceled', 'Workflows cancelled', WORKFLOW),
    continue_as_new: counter('temporal_workflow_continue_as_new', 'Workflows continued as new', WORKFLOW),
  };
  const workerStart = counter('temporal_worker_start', 'Workers started', QUEUE);

  // Gauges are read from the runtime at scrape time: no event can leave them stale.
  const gauge = (name: string, help: string, labelNames: readonly string[], fill: (g: Gauge) => void) =>
    new Gauge({
      name,
      help,
      labelNames,
      registers,
      collect() {
        this.reset();
        fill(this);
      },
    });
  const slots = (field: 'free' | 'used') => (g: Gauge) => {
    for (const w of view.list()) {
      const base = { namespace: w.namespace, task_queue: w.taskQueue };
      g.inc({ ...base, worker_type: 'ActivityWorker' }, w.slots.activity[field]);
      if (w.slots.workflow) g.inc({ ...base, worker_type: 'WorkflowWorker' }, w.slots.workflow[field]);
    }
  };
  gauge('temporal_worker_task_slots_available', 'Free task slots', [...QUEUE, 'worker_type'], slots('free'));
  gauge('temporal_worker_task_slots_used', 'Task slots in use', [...QUEUE, 'worker_type'], slots('used'));
  gauge('temporal_num_pollers', 'Long polls open, by poller type', [...QUEUE, 'poller_type'], (g) => {
    for (const w of view.list()) {
      if (!w.pollers) continue;
      const base = { namespace: w.namespace, task_queue: w.taskQueue };
      if (w.pollers.activity) g.inc({ ...base, poller_type: 'activity_task' }, w.pollers.activity);
      if (w.slots.workflow) g.inc({ ...base, poller_type: 'workflow_task' }, w.pollers.workflow);
      if (w.pollers.stickyWorkflow) g.inc({ ...base, poller_type: 'sticky_workflow_task' }, w.pollers.stickyWorkflow);
    }
    // The process's shared sticky queue polls for every entity of its namespace: labelled with its own name.
    for (const q of view.sharedStickyQueues?.() ?? []) {
      if (q.name) g.inc({ namespace: q.namespace, task_queue: q.name, poller_type: 'sticky_workflow_task' }, q.activePolls);
    }
  });
  gauge('temporal_sticky_cache_size', 'Workflow runs in the sticky cache', QUEUE, (g) => {
    for (const w of view.list()) g.inc({ namespace: w.namespace, task_queue: w.taskQueue }, w.cachedRuns ?? 0);
  });
  gauge('tempo_worker_entities', 'Worker entities by state (this runtime, not an SDK metric)', [...QUEUE, 'state'], (g) => {
    for (const w of view.list()) g.inc({ namespace: w.namespace, task_queue: w.taskQueue, state: w.state }, 1);
  });

  return (e) => {
    switch (e.type) {
      case 'request': {
        const l = { namespace: e.namespace, operation: e.operation };
        (e.longPoll ? longRequest : request).inc(l);
        if (e.failed) (e.longPoll ? longRequestFailure : requestFailure).inc(e.statusCode ? { ...l, status_code: e.statusCode } : l);
        (e.longPoll ? longRequestLatency : requestLatency).observe(l, e.latencyMs);
        return;
      }
      case 'activity_task_done': {
        const l = { namespace: e.namespace, task_queue: e.taskQueue, activity_type: e.activityType, workflow_type: e.workflowType };
        activityLatency.observe(l, e.executionMs);
        activityScheduleToStart.observe(l, e.scheduleToStartMs);
        if (e.outcome === 'failed') activityFailed.inc(l);
        else if (e.outcome === 'cancelled') activityCancelled.inc(l);
        else if (e.endToEndMs !== undefined) activityEndToEnd.observe(l, e.endToEndMs);
        return;
      }
      case 'local_activity_attempt_done': {
        const l = { namespace: e.namespace, task_queue: e.taskQueue, activity_type: e.activityType, workflow_type: e.workflowType };
        localTotal.inc(l);
        localLatency.observe(l, e.executionMs);
        if (e.outcome === 'failed' || e.outcome === 'timedOut') localFailed.inc({ ...l, failure_reason: e.outcome === 'failed' ? 'ActivityError' : 'timeout' });
        else if (e.outcome === 'cancelled') localCancelled.inc(l);
        else if (e.endToEndMs !== undefined) localEndToEnd.observe(l, e.endToEndMs);
        return;
      }
      case 'poll': {
        const l = { namespace: e.namespace, task_queue: e.taskQueue };
        if (e.kind === 'activity') {
          if (!e.gotTask) activityPollNoTask.inc(l);
        } else (e.gotTask ? wftPollSucceed : wftPollEmpty).inc(l);
        return;
      }
      case 'workflow_task_done': {
        const l = { namespace: e.namespace, task_queue: e.taskQueue, workflow_type: e.workflowType };
        wftLatency.observe(l, e.executionMs);
        if (e.scheduleToStartMs !== undefined) wftScheduleToStart.observe(l, e.scheduleToStartMs);
        if (e.replayMs !== undefined) wftReplay.observe(l, e.replayMs);
        if (e.failed) wftFailed.inc({ ...l, failure_reason: e.failureReason ?? 'WorkflowError' });
        // As sdk-core: only partial-history tasks count, a new run's first task is neither.
        if (e.sticky) (e.sticky === 'hit' ? stickyHit : stickyMiss).inc({ namespace: e.namespace, task_queue: e.taskQueue });
        return;
      }
      case 'workflow_done': {
        const l = { namespace: e.namespace, task_queue: e.taskQueue, workflow_type: e.workflowType };
        workflowDone[e.outcome].inc(l);
        if (e.endToEndMs !== undefined) workflowEndToEnd.observe(l, e.endToEndMs);
        return;
      }
      case 'activity_task_received':
        activityReceived.inc({ namespace: e.namespace, task_queue: e.taskQueue, activity_type: e.activityType, workflow_type: e.workflowType, eager: String(e.eager) });
        return;
      case 'sticky_cache_forced_eviction':
        forcedEviction.inc({ namespace: e.namespace, task_queue: e.taskQueue });
        return;
      case 'worker_state':
        if (e.state === 'RUNNING' && e.prev === 'INITIALIZED') workerStart.inc({ namespace: e.namespace, task_queue: e.taskQueue });
        return;
    }
  };
}
