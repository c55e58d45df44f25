/**
 * GET /metrics with sdk-core's semantics, on the real server: the sticky cache counted as
 * sdk-core counts it (misses only for partial histories, forced evictions), replay and
 * end-to-end latencies, activity tasks received, pollers, status_code on failed requests, the
 * service_name label and sdk-core's per-metric buckets.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createControlApi } from '../../../control-api/app.js';
import type { Runtime } from '../../../core/runtime/runtime.js';
import { testRuntime } from '../../helpers/runtime.js';
import { fixtureWorkflowsPath } from '../../helpers/official-worker.js';
import { officialClient, uniqueTaskQueue, waitFor } from '../../helpers/temporal.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const waitingWorkflows = path.resolve(here, '../../fixtures/versioning/workflows.ts');

let runtime: Runtime;
let app: ReturnType<typeof createControlApi>;
let client: Client;
let closeClient: () => Promise<void>;

beforeAll(async () => {
  ({ client, close: closeClient } = await officialClient());
  runtime = await testRuntime({ plugins: [{ module: 'builtin:prometheus', options: { serviceName: 'billing' } }] });
  app = createControlApi(runtime, { token: 'metrics-token-0123456789' });
});
afterAll(async () => {
  await runtime?.shutdown({ graceMs: 0 });
  await closeClient?.();
});

async function scrape(): Promise<(name: string, labels?: Record<string, string>) => number | undefined> {
  const text = await (await app.request('/metrics')).text();
  return (name, labels = {}) => {
    const lines = text.split('\n').filter((l) => l.startsWith(`${name}{`) && Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)));
    return lines.length ? lines.reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0) : undefined;
  };
}

describe('Prometheus metrics with sdk-core semantics', () => {
  it('a cache of one run: misses and forced evictions as sdk-core counts them, replay and end-to-end latency', async () => {
    const taskQueue = uniqueTaskQueue('metrics-cache');
    const w = await runtime.addWorker({ taskQueue, workflowsPath: waitingWorkflows, limits: { maxCachedWorkflows: 1 } });
    const q = { task_queue: taskQueue };
    try {
      const a = await client.workflow.start('pinned', { taskQueue, workflowId: `${taskQueue}-a` });
      await waitFor(async () => ((await scrape())('temporal_workflow_task_execution_latency_count', q) ?? 0) >= 1, 10_000, 'first task of a');
      const b = await client.workflow.start('autoUpgrade', { taskQueue, workflowId: `${taskQueue}-b` });
      await waitFor(async () => ((await scrape())('temporal_workflow_task_execution_latency_count', q) ?? 0) >= 2, 10_000, 'first task of b');
      // Two new runs, full histories: neither a hit nor a miss; b's arrival evicted a (forced).
      let m = await scrape();
      expect(m('temporal_sticky_cache_miss', q) ?? 0).toBe(0);
      expect(m('temporal_sticky_cache_total_forced_eviction', q)).toBe(1);
      await a.signal('proceed');
      expect(await a.result()).toBe('pinned');
      await b.signal('proceed');
      expect(await b.result()).toBe('autoUpgrade');
      await waitFor(async () => ((await scrape())('temporal_workflow_completed', q) ?? 0) === 2, 10_000, 'both completions counted');
      m = await scrape();
      // Each came back on the sticky queue with a partial history and was not cached: a miss, a replay.
      expect(m('temporal_sticky_cache_miss', q)).toBe(2);
      expect(m('temporal_sticky_cache_hit', q) ?? 0).toBe(0);
      expect(m('temporal_workflow_task_replay_latency_count', q)).toBe(2);
      // a's return evicted b (forced); the finished runs left unforced.
      expect(m('temporal_sticky_cache_total_forced_eviction', q)).toBe(2);
      expect(m('temporal_workflow_endtoend_latency_count', { ...q, workflow_type: 'pinned' })).toBe(1);
      expect(m('temporal_workflow_endtoend_latency_count', { ...q, workflow_type: 'autoUpgrade' })).toBe(1);
      expect(m('temporal_num_pollers', { ...q, poller_type: 'workflow_task' })).toBeGreaterThan(0);
      expect(m('temporal_num_pollers', { poller_type: 'sticky_workflow_task' })).toBeGreaterThan(0);
      // The shared sticky queue's polls are counted, under the tasks' normal queue.
      expect(m('temporal_workflow_task_queue_poll_succeed', q)).toBeGreaterThanOrEqual(4);
    } finally {
      await runtime.remove(w.id);
    }
  }, 60_000);

  it('a cached run is a hit; activity tasks received; status_code on a failed request; service_name and sdk-core buckets', async () => {
    const taskQueue = uniqueTaskQueue('metrics-hit');
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const w = await runtime.addWorker({
      taskQueue,
      workflowsPath: fixtureWorkflowsPath,
      activities: { echo: async (x: unknown) => x, late: async () => void (await gate) },
    });
    const q = { task_queue: taskQueue };
    try {
      expect(await client.workflow.execute('callActivity', { taskQueue, workflowId: `${taskQueue}-echo`, args: ['echo', [1], { startToCloseTimeout: '10s' }] })).toBe(1);
      // The activity's completion fails once its workflow is gone: NOT_FOUND.
      const doomed = await client.workflow.start('callActivity', { taskQueue, workflowId: `${taskQueue}-late`, args: ['late', [], { startToCloseTimeout: '30s' }] });
      await waitFor(() => runtime.get(w.id).slots.activity.used === 1, 10_000, 'late running');
      await doomed.terminate();
      release();
      await waitFor(async () => ((await scrape())('temporal_request_failure', { operation: 'RespondActivityTaskCompleted' }) ?? 0) >= 1, 10_000, 'the failed completion');
      const m = await scrape();
      expect(m('temporal_request_failure', { operation: 'RespondActivityTaskCompleted', status_code: 'NOT_FOUND' })).toBeGreaterThanOrEqual(1);
      expect(m('temporal_sticky_cache_hit', q)).toBeGreaterThanOrEqual(1);
      expect(m('temporal_sticky_cache_miss', q) ?? 0).toBe(0);
      expect(m('temporal_activity_task_received', { ...q, activity_type: 'echo', workflow_type: 'callActivity' })).toBe(1);
      expect(m('temporal_activity_task_received', { ...q, activity_type: 'late' })).toBe(1);
      expect(m('temporal_worker_start', { ...q, service_name: 'billing' })).toBe(1);
      const text = await (await app.request('/metrics')).text();
      // sdk-core's buckets: workflow tasks up to 1 s, activity executions 50 ms .. 60 s.
      expect(text).toMatch(new RegExp(`temporal_workflow_task_execution_latency_bucket\\{[^}]*le="20"[^}]*task_queue="${taskQueue}"|temporal_workflow_task_execution_latency_bucket\\{[^}]*task_queue="${taskQueue}"[^}]*le="20"`));
      expect(text).toMatch(/temporal_activity_execution_latency_bucket\{[^}]*le="60000"/);
      expect(text).toMatch(/temporal_workflow_endtoend_latency_bucket\{[^}]*le="86400000"/);
    } finally {
      release();
      await runtime.remove(w.id);
    }
  }, 60_000);
});
