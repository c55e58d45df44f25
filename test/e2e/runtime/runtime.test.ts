/** The Runtime API on the real server: drain under load, lifecycle, conflicts, plugins, shutdown. */
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasErrorCode } from '../../../core/errors.js';
import type { Runtime } from '../../../core/runtime/runtime.js';
import { defineActivityPlugin } from '../../../plugins/contracts.js';
import { fixtureWorkflowsPath, startOfficialWorker } from '../../helpers/official-worker.js';
import { testRuntime } from '../../helpers/runtime.js';
import { officialClient, uniqueTaskQueue, waitFor } from '../../helpers/temporal.js';

let runtime: Runtime;
let client: Client;
let closeClient: () => Promise<void>;

beforeAll(async () => {
  ({ client, close: closeClient } = await officialClient());
  runtime = await testRuntime({ plugins: [{ module: './slow-activities.ts' }, { module: './echo-activities.ts' }, { module: 'builtin:structured-logging' }] });
});
afterAll(async () => {
  await runtime?.shutdown({ graceMs: 0 });
  await closeClient?.();
});

describe('Runtime', () => {
  it('drain under load: 100 workflows in flight, drain, every one completes, none lost, the entity ends DRAINED', async () => {
    const taskQueue = uniqueTaskQueue('rt-drain');
    const official = await startOfficialWorker(taskQueue);
    try {
      const first = await runtime.addWorker({ taskQueue, activityPlugins: ['slow'], interceptors: [] });
      // 5 s activities: on a loaded machine the workflow side schedules them slowly, and 50 must overlap.
      const handles = await Promise.all(
        [...Array(100)].map((_, i) => client.workflow.start('callActivity', { taskQueue, workflowId: `${taskQueue}-${i}`, args: ['slow', [5_000], { startToCloseTimeout: '60s' }] })),
      );
      let most = 0;
      await waitFor(() => (most = Math.max(most, runtime.get(first.id).slots.activity.used)) >= 50, 30_000, '50 activities in flight').catch((err: Error) => {
        throw new Error(`${err.message} (at most ${most}; status ${JSON.stringify(runtime.get(first.id))})`);
      });
      const takenAtDrain = runtime.get(first.id).slots.activity.used;
      const drained = await runtime.drain(first.id, { graceMs: 20_000 });
      expect(drained.state).toBe('DRAINED');
      // Everything it had taken finished within the grace, as a success: nothing was handed back.
      expect(drained.tasks.activity.failed).toBe(0);
      expect(drained.tasks.activity.completed).toBeGreaterThanOrEqual(takenAtDrain);
      expect(drained.slots.activity.used).toBe(0);
      // What it never took is still on the server: a second entity finishes it.
      const second = await runtime.addWorker({ taskQueue, activityPlugins: ['slow'], interceptors: [] });
      const results = await Promise.all(handles.map((h) => h.result()));
      expect(results).toHaveLength(100);
      expect(results.every((r) => (r as { attempt: number }).attempt === 1)).toBe(true); // none retried: none lost
      expect(runtime.get(first.id).tasks.activity.completed + runtime.get(second.id).tasks.activity.completed).toBe(100);
      await runtime.remove(first.id);
      await runtime.remove(second.id);
    } finally {
      await official.stop();
    }
    // 100 workflows and a drain on 2 shared cores: give it room beyond the default 60 s.
  }, 120_000);

  it('runs workflows on the entity itself when the spec has a workflowsPath (interceptor modules bundled)', async () => {
    const taskQueue = uniqueTaskQueue('rt-wf');
    const w = await runtime.addWorker({ taskQueue, activityPlugins: ['echo'], workflowsPath: fixtureWorkflowsPath });
    expect(w).toMatchObject({ workflowSide: 'entity', interceptors: ['structured-logging'] });
    const result = await client.workflow.execute('callActivity', { taskQueue, workflowId: taskQueue, args: ['echo', ['via entity']] });
    expect(result).toBe('via entity');
    // The count moves once the server has the answer, which may be just after the result is out.
    await waitFor(() => (runtime.get(w.id).tasks.workflow?.completed ?? 0) >= 2, 5_000, 'two workflow tasks counted');
    await runtime.remove(w.id, { force: true });
  });

  it('in-process activities and plugins; conflict codes; remove frees the queue', async () => {
    await runtime.registerPlugin(defineActivityPlugin({ name: 'inline', activities: { twice: async (n: number) => n * 2 } }));
    const taskQueue = uniqueTaskQueue('rt-api');
    const a = await runtime.addWorker({ id: 'rt-a', taskQueue, activityPlugins: ['inline'], activities: { local: async () => 'local' } });
    expect(a.activities).toEqual(['local', 'twice']);
    await expect(runtime.addWorker({ taskQueue, activities: { x: async () => 1 } })).rejects.toSatisfy((e) => hasErrorCode(e, 'WORKER_CONFLICT'));
    await expect(runtime.addWorker({ id: 'rt-a', taskQueue: uniqueTaskQueue(), activities: { x: async () => 1 } })).rejects.toSatisfy((e) => hasErrorCode(e, 'WORKER_ID_TAKEN'));
    // Two concurrent adds on one queue: exactly one wins.
    const q2 = uniqueTaskQueue('rt-race');
    const settled = await Promise.allSettled([runtime.addWorker({ taskQueue: q2, activities: { x: async () => 1 } }), runtime.addWorker({ taskQueue: q2, activities: { x: async () => 1 } })]);
    expect(settled.map((s) => s.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(() => runtime.get('nope')).toThrow(expect.objectContaining({ code: 'WORKER_NOT_FOUND' }));
    expect(runtime.pause('rt-a').state).toBe('PAUSED');
    expect(() => runtime.pause('rt-a')).toThrow(expect.objectContaining({ code: 'ILLEGAL_STATE' }));
    expect(runtime.resume('rt-a').state).toBe('RUNNING');
    await runtime.remove('rt-a');
    expect(runtime.list().some((w) => w.id === 'rt-a')).toBe(false);
    await runtime.addWorker({ id: 'rt-a', taskQueue, activityPlugins: ['inline'] });
    await runtime.remove('rt-a', { force: true });
  });

  it('a plugin that fails to load at start never takes the runtime down', async () => {
    const other = await testRuntime({ plugins: [{ module: './throws-on-import.ts' }, { module: './not-a-plugin.ts' }, { module: './echo-activities.ts' }] });
    try {
      const { plugins, failures } = other.listPlugins();
      expect(plugins.map((p) => p.name)).toEqual(['echo']);
      expect(failures.map((f) => f.code)).toEqual(['PLUGIN_LOAD_FAILED', 'PLUGIN_INVALID']);
      await expect(other.addWorker({ taskQueue: uniqueTaskQueue(), activityPlugins: ['echo'] })).resolves.toMatchObject({ state: 'RUNNING' });
      expect((await other.readiness()).ready).toBe(true);
    } finally {
      await other.shutdown({ graceMs: 0 });
    }
    expect(other.list()).toEqual([]);
    await expect(other.addWorker({ taskQueue: 'x', activityPlugins: ['echo'] })).rejects.toSatisfy((e) => hasErrorCode(e, 'RUNTIME_SHUT_DOWN'));
    expect((await other.readiness()).ready).toBe(false);
  });
});
