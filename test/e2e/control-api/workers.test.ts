/**
 * The control API on a real runtime and a real server: activities on our entities, workflows on
 * the official worker (test/helpers/official-worker.ts), started by the official client.
 */
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createControlApi } from '../../../control-api/app.js';
import type { Runtime } from '../../../core/runtime/runtime.js';
import { DbToken } from '../../fixtures/plugins/db-activities.js';
import { calls as interceptedCalls } from '../../fixtures/plugins/recording-interceptor.js';
import { fixtureWorkflowsPath, startOfficialWorker } from '../../helpers/official-worker.js';
import { testRuntime, json } from '../../helpers/runtime.js';
import { officialClient, uniqueTaskQueue, waitFor } from '../../helpers/temporal.js';

const TOKEN = 'e2e-token-0123456789';
let runtime: Runtime;
let app: ReturnType<typeof createControlApi>;
let client: Client;
let closeClient: () => Promise<void>;
const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };

beforeAll(async () => {
  ({ client, close: closeClient } = await officialClient());
  // This suite loads plugins and workflows through the API: that needs allowRuntimeModules (test/e2e/hardening covers the default).
  runtime = await testRuntime({ plugins: [{ module: './echo-activities.ts' }, { module: './slow-activities.ts' }, { module: 'builtin:prometheus' }], allowRuntimeModules: true });
  runtime.container.register(DbToken, { useValue: { get: async (k: string) => `row:${k}` } });
  app = createControlApi(runtime, { token: TOKEN });
});
afterAll(async () => {
  await runtime?.shutdown({ graceMs: 0 });
  await closeClient?.();
});

const post = (path: string, body?: unknown) => app.request(path, { method: 'POST', headers, body: body === undefined ? undefined : JSON.stringify(body) });
const del = (path: string) => app.request(path, { method: 'DELETE', headers });
const run = (taskQueue: string, activity: string, args: unknown[], options: object = { startToCloseTimeout: '20s' }) =>
  client.workflow.execute('callActivity', { taskQueue, workflowId: `${taskQueue}-${Math.random()}`, args: [activity, args, options] });

describe('control API on the real server', () => {
  it('POST /workers adds a worker; a workflow started by the official client completes on it', async () => {
    const taskQueue = uniqueTaskQueue('api-add');
    const official = await startOfficialWorker(taskQueue);
    try {
      const res = await post('/workers', { taskQueue, activityPlugins: ['echo'] });
      expect(res.status).toBe(201);
      const created = await json(res);
      expect(created).toMatchObject({ state: 'RUNNING', taskQueue, namespace: 'default', activities: ['echo', 'fail'] });
      expect(res.headers.get('location')).toBe(`/workers/${created.id}`);
      expect(await run(taskQueue, 'echo', [{ hello: 'world' }])).toEqual({ hello: 'world' });
      const status = await json(await app.request(`/workers/${created.id}`));
      expect(status).toMatchObject({ state: 'RUNNING', taskQueue, slots: { activity: { used: 0, free: 100 } }, tasks: { activity: { completed: 1, failed: 0 } } });
      expect(status.lastError).toBeUndefined();
      expect((await app.request('/workers')).status).toBe(200);
      expect((await del(`/workers/${created.id}`)).status).toBe(200);
    } finally {
      await official.stop();
    }
  });

  it('pause stops polling (in-flight work finishes), resume polls again; delete drains and removes', async () => {
    const taskQueue = uniqueTaskQueue('api-pause');
    const official = await startOfficialWorker(taskQueue);
    try {
      const { id } = await json(await post('/workers', { taskQueue, activityPlugins: ['slow'] }));
      const inFlight = run(taskQueue, 'slow', [600]);
      await waitFor(() => runtime.get(id).slots.activity.used === 1, 20_000, 'activity in flight');
      expect(await json(await post(`/workers/${id}/pause`))).toMatchObject({ state: 'PAUSED' });
      expect(await inFlight).toEqual({ attempt: 1 }); // in-flight work finished while paused
      const queued = run(taskQueue, 'slow', [1]);
      await new Promise((r) => setTimeout(r, 1_000));
      expect(runtime.get(id).tasks.activity.completed).toBe(1); // nothing polled while paused
      expect((await post(`/workers/${id}/pause`)).status).toBe(409); // already paused: ILLEGAL_STATE
      expect(await json(await post(`/workers/${id}/resume`))).toMatchObject({ state: 'RUNNING' });
      expect(await queued).toEqual({ attempt: 1 });
      expect(runtime.get(id).tasks.activity.completed).toBe(2);

      const removed = await del(`/workers/${id}`);
      expect(await json(removed)).toEqual({ id, removed: true });
      expect((await app.request(`/workers/${id}`)).status).toBe(404);
      expect((await del(`/workers/${id}`)).status).toBe(404);
    } finally {
      await official.stop();
    }
  });

  it('refuses a second entity on the same queue (409) unless allowDuplicate; the queue frees once drained', async () => {
    const taskQueue = uniqueTaskQueue('api-dup');
    const first = await json(await post('/workers', { taskQueue, activityPlugins: ['echo'] }));
    const conflict = await post('/workers', { taskQueue, activityPlugins: ['echo'] });
    expect(conflict.status).toBe(409);
    expect((await json(conflict)).error).toMatchObject({ code: 'WORKER_CONFLICT', message: expect.stringContaining(first.id) });
    expect((await post('/workers', { id: first.id, taskQueue: uniqueTaskQueue(), activityPlugins: ['echo'] })).status).toBe(409);
    const dup = await post('/workers', { taskQueue, activityPlugins: ['echo'], allowDuplicate: true });
    expect(dup.status).toBe(201);
    const drained = await post(`/workers/${first.id}/drain`, { graceMs: 1_000 });
    expect(await json(drained)).toMatchObject({ id: first.id, state: 'DRAINED' });
    expect((await post(`/workers/${first.id}/resume`)).status).toBe(409);
    await del(`/workers/${(await json(dup)).id}?force=true`);
    expect((await post('/workers', { taskQueue, activityPlugins: ['echo'] })).status).toBe(201); // first is DRAINED: no longer holds the queue
  });

  it('answers 401 without a token and 403 with a wrong one, changing nothing', async () => {
    const before = runtime.list().length;
    expect((await app.request('/workers', { method: 'POST', body: JSON.stringify({ taskQueue: 'x', activityPlugins: ['echo'] }) })).status).toBe(401);
    expect((await app.request('/workers', { method: 'POST', headers: { authorization: 'Bearer nope' }, body: '{"taskQueue":"x"}' })).status).toBe(403);
    expect(runtime.list().length).toBe(before);
  });

  it('loads plugins through the API: an activity class injecting a host service, and an interceptor', async () => {
    expect(await json(await post('/plugins', { module: './db-activities.ts' }))).toMatchObject({ name: 'db', kind: 'activity', activities: ['lookup'] });
    expect((await post('/plugins', { module: './recording-interceptor.ts', options: { tag: 'api' } })).status).toBe(201);
    expect((await post('/plugins', { module: './db-activities.ts' })).status).toBe(409);
    const broken = await post('/plugins', { module: './missing-members.ts' });
    expect(broken.status).toBe(400);
    expect((await json(broken)).error.message).toMatch(/"\.\/missing-members\.ts" \("broken"\) is missing or has wrong: kind/);
    const listed = await json(await app.request('/plugins'));
    expect(listed.plugins.map((p: { name: string }) => p.name)).toEqual(expect.arrayContaining(['db', 'recording']));
    expect(listed.failures).toEqual([expect.objectContaining({ code: 'PLUGIN_NAME_TAKEN' }), expect.objectContaining({ module: './missing-members.ts', code: 'PLUGIN_INVALID' })]);

    const taskQueue = uniqueTaskQueue('api-di');
    const official = await startOfficialWorker(taskQueue);
    try {
      const { id } = await json(await post('/workers', { taskQueue, activityPlugins: ['db'], interceptors: ['recording'] }));
      expect(await run(taskQueue, 'lookup', ['k1'])).toEqual({ value: 'row:k1', attempt: 1 });
      expect(interceptedCalls).toEqual(['api:lookup']);
      expect(runtime.get(id).interceptors).toEqual(['recording']);
    } finally {
      await official.stop();
    }
  });

  it('GET /metrics shows the Temporal SDK metrics with the right counts after a known workload', async () => {
    const taskQueue = uniqueTaskQueue('api-metrics');
    const official = await startOfficialWorker(taskQueue);
    try {
      await post('/workers', { taskQueue, activityPlugins: ['echo'], interceptors: [], limits: { maxConcurrentActivityTaskExecutions: 7 } });
      await Promise.all([...Array(5)].map((_, i) => run(taskQueue, 'echo', [i])));
      const failing = { startToCloseTimeout: '10s', retry: { maximumAttempts: 1 } };
      await Promise.all([...Array(2)].map(() => client.workflow.execute('callActivityCatching', { taskQueue, workflowId: `${taskQueue}-f-${Math.random()}`, args: ['fail', [], failing] })));
      const res = await app.request('/metrics');
      expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
      const text = await res.text();
      const value = (name: string, labels: Record<string, string>) => {
        const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)));
        return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
      };
      const q = { namespace: 'default', task_queue: taskQueue };
      expect(value('temporal_activity_execution_latency_count', { ...q, activity_type: 'echo', workflow_type: 'callActivity' })).toBe(5);
      expect(value('temporal_activity_execution_latency_count', { ...q, activity_type: 'fail', workflow_type: 'callActivityCatching' })).toBe(2);
      expect(value('temporal_activity_execution_failed', { ...q, activity_type: 'fail' })).toBe(2);
      expect(value('temporal_activity_execution_failed', { ...q, activity_type: 'echo' })).toBeUndefined();
      expect(value('temporal_activity_succeed_endtoend_latency_count', { ...q, activity_type: 'echo' })).toBe(5);
      expect(value('temporal_activity_schedule_to_start_latency_count', { ...q, activity_type: 'echo' })).toBe(5);
      expect(value('temporal_worker_task_slots_available', { ...q, worker_type: 'ActivityWorker' })).toBe(7);
      expect(value('temporal_worker_task_slots_used', { ...q, worker_type: 'ActivityWorker' })).toBe(0);
      expect(value('temporal_worker_start', q)).toBe(1);
      expect(value('temporal_long_request', { namespace: 'default', operation: 'PollActivityTaskQueue' })).toBeGreaterThanOrEqual(7);
      expect(value('temporal_request', { namespace: 'default', operation: 'RespondActivityTaskFailed' })).toBeGreaterThanOrEqual(2);
      expect(text).toContain('# TYPE temporal_activity_execution_latency histogram');
      expect(text).toContain('# TYPE temporal_sticky_cache_size gauge');
    } finally {
      await official.stop();
    }
  });

  it('GET /metrics counts workflow tasks and workflow endings of workflows run on our entity', async () => {
    const taskQueue = uniqueTaskQueue('api-wf-metrics');
    const { id } = await json(await post('/workers', { taskQueue, activityPlugins: ['echo'], interceptors: [], workflowsPath: fixtureWorkflowsPath }));
    await Promise.all([...Array(3)].map((_, i) => run(taskQueue, 'echo', [i])));
    await client.workflow.execute('failsWithApplicationFailure', { taskQueue, workflowId: `${taskQueue}-fail` }).catch(() => undefined);
    // Counted once our answer's RPC returns, which the client may see after the result.
    await waitFor(() => (runtime.get(id).tasks.workflow?.completed ?? 0) >= 7, 5_000, 'seven workflow tasks');
    const text = await (await app.request('/metrics')).text();
    // Summed over the workflow_type label (callActivity, failsWithApplicationFailure).
    const value = (name: string) =>
      text
        .split('\n')
        .filter((l) => l.startsWith(`${name}{`) && l.includes(`task_queue="${taskQueue}"`))
        .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
    expect(value('temporal_workflow_completed')).toBe(3);
    expect(value('temporal_workflow_failed')).toBe(1);
    expect(value('temporal_workflow_task_execution_latency_count')).toBe(7);
    expect(value('temporal_workflow_task_schedule_to_start_latency_count')).toBe(7);
  });

  it('readyz: 200 with a running entity; healthz always 200', async () => {
    expect((await app.request('/healthz')).status).toBe(200);
    const ready = await app.request('/readyz');
    expect(await json(ready)).toMatchObject({ ready: true, connected: true, shuttingDown: false });
  });
});
