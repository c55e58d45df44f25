/** The Runtime wires one shared sticky queue per namespace into its entities, and can turn it off. */
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureWorkflowsPath } from '../../helpers/official-worker.js';
import { testRuntime } from '../../helpers/runtime.js';
import { officialClient, uniqueTaskQueue, waitFor } from '../../helpers/temporal.js';

let client: Client;
let closeClient: () => Promise<void>;

beforeAll(async () => {
  ({ client, close: closeClient } = await officialClient());
});
afterAll(async () => {
  await closeClient?.();
});

describe('Runtime and the shared sticky queue', () => {
  it('entities with workflows share it; removing one keeps it; the last one releases it', async () => {
    const runtime = await testRuntime({ stickyQueue: { pollers: 2 }, plugins: [{ module: './echo-activities.ts' }] });
    try {
      const [qa, qb] = [uniqueTaskQueue('rt-sticky'), uniqueTaskQueue('rt-sticky')];
      const a = await runtime.addWorker({ taskQueue: qa, activityPlugins: ['echo'], workflowsPath: fixtureWorkflowsPath });
      const b = await runtime.addWorker({ taskQueue: qb, activityPlugins: ['echo'], workflowsPath: fixtureWorkflowsPath });
      const queue = runtime.stickyQueueOf()!;
      expect(queue.members).toBe(2);
      expect(runtime.entity(a.id).status().workflow?.stickyQueue).toBe(queue.name);
      expect(runtime.entity(b.id).status().workflow?.stickyQueue).toBe(queue.name);
      for (const tq of [qa, qb]) {
        expect(await client.workflow.execute('callActivity', { taskQueue: tq, workflowId: tq, args: ['echo', [tq]] })).toBe(tq);
      }
      await waitFor(() => queue.counts.hits >= 2, 5_000, 'a cache hit per run');
      await runtime.remove(a.id);
      expect(queue.members).toBe(1);
      expect(await client.workflow.execute('callActivity', { taskQueue: qb, workflowId: `${qb}-2`, args: ['echo', ['again']] })).toBe('again');
      await runtime.remove(b.id);
      expect(queue.members).toBe(0);
      expect(queue.name).toBeUndefined();
    } finally {
      await runtime.shutdown({ graceMs: 0 });
    }
  });

  it('stickyQueue.shared: false gives each entity its own queue, as the official SDK does', async () => {
    const runtime = await testRuntime({ stickyQueue: { shared: false } });
    try {
      const w = await runtime.addWorker({ taskQueue: uniqueTaskQueue('rt-own'), workflowsPath: fixtureWorkflowsPath });
      expect(runtime.stickyQueueOf()).toBeUndefined();
      expect(runtime.entity(w.id).status().workflow?.stickyQueue).toContain(w.taskQueue);
    } finally {
      await runtime.shutdown({ graceMs: 0 });
    }
  });
});
