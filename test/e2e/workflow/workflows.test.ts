import { scenarioActivities } from '../../fixtures/workflows/scenario-activities.js';
import { WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkerEntity } from '../../../core/worker/worker-entity.js';
import type { WorkerEntityInput } from '../../../core/worker/worker-entity-options.js';
import { WorkflowSandbox } from '../../../sandbox/workflow-sandbox.js';
import { fixtureWorkflowsPath } from '../../helpers/official-worker.js';
import { uniqueTaskQueue, useServer, waitFor } from '../../helpers/temporal.js';

const server = useServer();
let sandbox: WorkflowSandbox;

const activities = scenarioActivities;

beforeAll(async () => {
  sandbox = await WorkflowSandbox.create({ threads: 2, deadlockTimeoutMs: 1000, maxOldGenerationSizeMb: 64 });
});
afterAll(async () => {
  await sandbox?.close();
});

/** Our runtime runs both workflows and activities; no official worker in the loop. */
async function ourWorker(extra: Partial<WorkerEntityInput> = {}): Promise<{ entity: WorkerEntity; taskQueue: string; close: () => Promise<void> }> {
  const taskQueue = uniqueTaskQueue('wf');
  const entity = new WorkerEntity({ taskQueue, workflowsPath: fixtureWorkflowsPath, activities, ...extra }, { connection: server.connection, sandbox });
  await entity.start();
  return { entity, taskQueue, close: () => entity.close() };
}

describe('workflows on our runtime, real server', () => {
  it('hello with one activity', async () => {
    const w = await ourWorker();
    try {
      expect(await server.client.workflow.execute('hello', { taskQueue: w.taskQueue, workflowId: w.taskQueue, args: ['World'] })).toBe('Hello, World!');
      // The client can see the result before our answer's RPC returns: wait for the count.
      await waitFor(() => (w.entity.status().workflow?.completed ?? 0) >= 2, 5_000, 'two completed workflow tasks');
      // The activity came back with the first task's answer (eager execution), not through a poll.
      expect(w.entity.status().activity.eager).toBe(1);
    } finally {
      await w.close();
    }
  });

  it('timers, and Promise.race of a timer and an activity', async () => {
    const w = await ourWorker();
    try {
      const elapsed = await server.client.workflow.execute('timers', { taskQueue: w.taskQueue, workflowId: `${w.taskQueue}-t` });
      expect(elapsed).toBeGreaterThanOrEqual(180);
      expect(await server.client.workflow.execute('raceTimerAndActivity', { taskQueue: w.taskQueue, workflowId: `${w.taskQueue}-r1`, args: [100, 3000] })).toBe('timer');
      expect(await server.client.workflow.execute('raceTimerAndActivity', { taskQueue: w.taskQueue, workflowId: `${w.taskQueue}-r2`, args: [5000, 10] })).toBe('activity');
    } finally {
      await w.close();
    }
  });

  it('signals before and after start, and queries in several states', async () => {
    const w = await ourWorker();
    try {
      const handle = await server.client.workflow.signalWithStart('collector', { taskQueue: w.taskQueue, workflowId: w.taskQueue, signal: 'addItem', signalArgs: ['before-start'] });
      expect(await handle.query('state')).toBe('collecting');
      await handle.signal('addItem', 'after-start');
      await waitFor(async () => (await handle.query<string[]>('items')).length === 2, 10_000, 'two items');
      expect(await handle.query('items')).toEqual(['before-start', 'after-start']);
      await handle.signal('finish');
      expect(await handle.result()).toEqual(['before-start', 'after-start']);
      expect(await handle.query('state')).toBe('done');
    } finally {
      await w.close();
    }
  });

  it('condition with a timeout', async () => {
    const w = await ourWorker();
    try {
      expect(await server.client.workflow.execute('conditionWithTimeout', { taskQueue: w.taskQueue, workflowId: `${w.taskQueue}-a`, args: [200] })).toBe(false);
      const h = await server.client.workflow.start('conditionWithTimeout', { taskQueue: w.taskQueue, workflowId: `${w.taskQueue}-b`, args: [30_000] });
      await h.signal('finish');
      expect(await h.result()).toBe(true);
    } finally {
      await w.close();
    }
  });

  it('cancellation scopes: cancel an activity, and a non-cancellable scope', async () => {
    const w = await ourWorker();
    try {
      expect(await server.client.workflow.execute('cancellationScopes', { taskQueue: w.taskQueue, workflowId: w.taskQueue })).toEqual({ cancelledSeen: true, shielded: 'Hello, shielded!' });
    } finally {
      await w.close();
    }
  });

  it('a cancel request to the workflow', async () => {
    const w = await ourWorker();
    try {
      const h = await server.client.workflow.start('cancellableWorkflow', { taskQueue: w.taskQueue, workflowId: w.taskQueue });
      await waitFor(async () => (await h.describe()).historyLength >= 3, 10_000, 'first task');
      await h.cancel();
      const err = await h.result().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WorkflowFailedError);
      expect((err as WorkflowFailedError).cause?.name).toBe('CancelledFailure');
      expect((await h.describe()).status.name).toBe('CANCELLED');
    } finally {
      await w.close();
    }
  });

  it('continue-as-new carries state', async () => {
    const w = await ourWorker();
    try {
      expect(await server.client.workflow.execute('continueAsNewCounter', { taskQueue: w.taskQueue, workflowId: w.taskQueue, args: [3] })).toBe(6);
    } finally {
      await w.close();
    }
  });

  it('ApplicationFailure fails the workflow; a plain throw fails the task, which is retried', async () => {
    const w = await ourWorker();
    try {
      const err = await server.client.workflow.execute('failsWithApplicationFailure', { taskQueue: w.taskQueue, workflowId: `${w.taskQueue}-a` }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WorkflowFailedError);
      expect((err as WorkflowFailedError).cause).toMatchObject({ name: 'ApplicationFailure', type: 'BusinessRule', message: 'order rejected' });
      const h = await server.client.workflow.start('plainThrowThenSucceeds', { taskQueue: w.taskQueue, workflowId: `${w.taskQueue}-b` });
      expect(await h.result()).toBe(1);
      const history = await h.fetchHistory();
      expect(history.events?.some((e) => e.workflowTaskFailedEventAttributes)).toBe(true);
    } finally {
      await w.close();
    }
  });

  it('eviction then full replay gives the same result as a cached run', async () => {
    const cached = await ourWorker();
    const uncached = await ourWorker({ maxCachedWorkflows: 0 });
    try {
      const a = await server.client.workflow.execute('manyActivities', { taskQueue: cached.taskQueue, workflowId: cached.taskQueue, args: [5, 3] });
      const b = await server.client.workflow.execute('manyActivities', { taskQueue: uncached.taskQueue, workflowId: uncached.taskQueue, args: [5, 3] });
      expect(a).toBe(15);
      expect(b).toBe(15);
      // The run is dropped right after our answer, which the client may see first.
      await waitFor(() => uncached.entity.status().workflow?.cachedRuns === 0, 5_000, 'the uncached worker to hold no run');
    } finally {
      await cached.close();
      await uncached.close();
    }
  });

  it('a history of more than 1,000 events replays through paging', async () => {
    const w = await ourWorker({ maxCachedWorkflows: 0 });
    try {
      // 8 batches of 50 activities ≈ 1,250 events; with no cache every task replays the full
      // history, which GetWorkflowExecutionHistory returns in pages of at most 1,000 events.
      expect(await server.client.workflow.execute('manyActivities', { taskQueue: w.taskQueue, workflowId: w.taskQueue, args: [8, 50] })).toBe(400);
      const h = server.client.workflow.getHandle(w.taskQueue);
      expect((await h.describe()).historyLength).toBeGreaterThan(1000);
    } finally {
      await w.close();
    }
  }, 120_000);

  it('deadlock detection fails the workflow task naming the type and run; the worker lives on', async () => {
    const w = await ourWorker();
    try {
      const h = await server.client.workflow.start('deadlocks', { taskQueue: w.taskQueue, workflowId: `${w.taskQueue}-d` });
      let failure: string | undefined;
      await waitFor(async () => {
        const ev = (await h.fetchHistory()).events?.find((e) => e.workflowTaskFailedEventAttributes);
        failure = ev?.workflowTaskFailedEventAttributes?.failure?.message ?? undefined;
        return failure !== undefined;
      }, 20_000, 'a failed workflow task');
      expect(failure).toMatch(/deadlocks/);
      expect(failure).toContain(h.firstExecutionRunId);
      await h.terminate();
      expect(await server.client.workflow.execute('hello', { taskQueue: w.taskQueue, workflowId: `${w.taskQueue}-h`, args: ['after'] })).toBe('Hello, after!');
    } finally {
      await w.close();
    }
  });

  it('a memory bomb kills one sandbox thread, not the process', async () => {
    const w = await ourWorker();
    try {
      const h = await server.client.workflow.start('eatsMemory', { taskQueue: w.taskQueue, workflowId: `${w.taskQueue}-m` });
      await waitFor(async () => (await h.fetchHistory()).events?.some((e) => e.workflowTaskFailedEventAttributes) ?? false, 60_000, 'a failed workflow task');
      await h.terminate();
      expect(await server.client.workflow.execute('hello', { taskQueue: w.taskQueue, workflowId: `${w.taskQueue}-h`, args: ['survivor'] })).toBe('Hello, survivor!');
    } finally {
      await w.close();
    }
  }, 120_000);
});
