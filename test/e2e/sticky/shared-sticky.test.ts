/**
 * One sticky queue for several entities on different task queues, on the real server
 * (docs/sticky-queues.md): routing, cache hits, drain of one entity, sticky timeout, hand-back.
 */
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Connection } from '../../../core/connection/connection.js';
import { WorkflowSandbox } from '../../../sandbox/workflow-sandbox.js';
import { officialClient, ourConnection, waitFor } from '../../helpers/temporal.js';
import { newStickyQueue, PollCounter, replayAll, startEntity, tasksOf, troubleEvents, type TestEntity } from './harness.js';

let client: Client;
let closeClient: () => Promise<void>;
let connection: Connection;
let polls: PollCounter;
let sandbox: WorkflowSandbox;

beforeAll(async () => {
  ({ client, close: closeClient } = await officialClient());
  connection = await ourConnection();
  polls = new PollCounter(connection);
  sandbox = await WorkflowSandbox.create({ threads: 2 });
});
afterAll(async () => {
  await sandbox?.close();
  await closeClient?.();
  await connection?.close();
});

/** Runs `manyTimers(count)` on each entity and returns the workflow ids. */
async function timersOnEach(entities: TestEntity[], count: number): Promise<Map<TestEntity, { workflowId: string; runId: string }>> {
  const runs = new Map<TestEntity, { workflowId: string; runId: string }>();
  await Promise.all(
    entities.map(async (e) => {
      const h = await client.workflow.start('manyTimers', { taskQueue: e.taskQueue, workflowId: `${e.taskQueue}-timers`, args: [count] });
      expect(await h.result()).toBe('ok');
      runs.set(e, { workflowId: h.workflowId, runId: h.firstExecutionRunId });
    }),
  );
  return runs;
}

describe('a sticky queue shared by entities on different task queues', () => {
  it('polls once for all: open polls before (own queues) and after (shared)', async () => {
    const own = await Promise.all([0, 1, 2].map(() => startEntity({ connection, sandbox })));
    await waitFor(() => polls.total === 30, 10_000, '30 open polls');
    const before = { ...polls.open };
    await Promise.all(own.map((e) => e.entity.close()));
    await waitFor(() => polls.total === 0, 10_000, 'no open polls');

    const queue = newStickyQueue(connection);
    const shared = await Promise.all([0, 1, 2].map(() => startEntity({ connection, sandbox, stickyQueue: queue })));
    await waitFor(() => polls.total === 14, 10_000, '14 open polls');
    await new Promise((r) => setTimeout(r, 300));
    const after = { ...polls.open };
    // 10 polls per entity (2 normal + 8 sticky) against 2 per entity plus 8 for the process.
    expect(before).toEqual({ normal: 6, sticky: 24 });
    expect(after).toEqual({ normal: 6, sticky: 8 });
    expect(new Set(shared.map((e) => e.entity.status().workflow?.stickyQueue))).toEqual(new Set([queue.name]));
    await Promise.all(shared.map((e) => e.entity.close()));
    expect(queue.members).toBe(0);
    expect(queue.name).toBeUndefined();
    await waitFor(() => polls.total === 0, 10_000, 'no open polls after the last entity left');
  });

  it('workflows on three queues complete; every task after the first is a cache hit; histories replay', async () => {
    const queue = newStickyQueue(connection, 4);
    const entities = await Promise.all([0, 1, 2].map(() => startEntity({ connection, sandbox, stickyQueue: queue })));
    try {
      const runs = await timersOnEach(entities, 5);
      for (const [e, { runId }] of runs) {
        // The report of the last task can land just after the client saw the result.
        await waitFor(() => tasksOf(e, runId).total >= 6, 5_000, 'six workflow tasks reported');
        expect(tasksOf(e, runId)).toEqual({ total: 6, hits: 5 });
      }
      // Each run's tasks went only to its own entity.
      for (const e of entities) expect(new Set(e.reports.map((r) => r.runId))).toEqual(new Set([runs.get(e)!.runId]));
      expect(queue.counts).toMatchObject({ hits: 15, misses: 0, handedBack: 0 });
      const ids = [...runs.values()].map((r) => r.workflowId);
      for (const id of ids) expect(await troubleEvents(client, id)).toEqual([]);
      expect(await replayAll(client, ids)).toEqual([]);
    } finally {
      await Promise.all(entities.map((e) => e.entity.close()));
    }
  });

  it('draining one entity leaves the others sticky; its runs go back to their normal queue at once', async () => {
    const queue = newStickyQueue(connection, 4);
    const [a, b, c] = await Promise.all([0, 1, 2].map(() => startEntity({ connection, sandbox, stickyQueue: queue })));
    const handles = await Promise.all(
      [a!, b!, c!].map((e) => client.workflow.start('collector', { taskQueue: e.taskQueue, workflowId: `${e.taskQueue}-collector` })),
    );
    try {
      await Promise.all(handles.map((h) => h.signal('addItem', 'one')));
      await Promise.all(handles.map((h) => waitFor(async () => (await h.query<string[]>('items')).length === 1, 10_000, 'first item')));
      await a!.entity.drain({ graceMs: 1_000 });
      expect(queue.members).toBe(2);
      expect(queue.name).toBeDefined();

      // The others carry on from their caches.
      for (const [i, e] of [b!, c!].entries()) {
        const h = handles[i + 1]!;
        await h.signal('addItem', 'two');
        await h.signal('finish');
        expect(await h.result()).toEqual(['one', 'two']);
        await waitFor(() => e.entity.status().workflow!.completed >= 4, 5_000, 'tasks counted');
        const { total, hits } = tasksOf(e, h.firstExecutionRunId);
        expect(hits).toBe(total - 1);
      }

      // A's run was handed back by ResetStickyTaskQueue: a new entity on A's queue gets its next
      // task from the normal queue with full history — no failed task, no 10 s sticky timeout.
      const a2 = await startEntity({ connection, sandbox, stickyQueue: queue }, { taskQueue: a!.taskQueue });
      const started = Date.now();
      await handles[0]!.signal('finish');
      expect(await handles[0]!.result()).toEqual(['one']);
      expect(Date.now() - started).toBeLessThan(5_000);
      await waitFor(() => tasksOf(a2, handles[0]!.firstExecutionRunId).total >= 1, 5_000, 'a task on the new entity');
      expect(a2.reports[0]!.cacheHit).toBe(false);
      // Not through the shared queue (a miss routed to a2, or a hand-back): the reset moved it.
      expect(queue.counts).toMatchObject({ misses: 0, handedBack: 0 });
      const ids = handles.map((h) => h.workflowId);
      for (const id of ids) expect(await troubleEvents(client, id)).toEqual([]);
      expect(await replayAll(client, ids)).toEqual([]);
      await a2.entity.close();
    } finally {
      await Promise.all([a!, b!, c!].map((e) => e.entity.close()));
    }
  });

  it('a paused entity hands its sticky tasks back (RESET_STICKY_TASK_QUEUE); the run resumes from the normal queue', async () => {
    const queue = newStickyQueue(connection, 2);
    const e = await startEntity({ connection, sandbox, stickyQueue: queue });
    try {
      const h = await client.workflow.start('collector', { taskQueue: e.taskQueue, workflowId: `${e.taskQueue}-paused` });
      await waitFor(async () => (await h.query<string>('state')) === 'collecting', 10_000, 'first task');
      e.entity.pause();
      await h.signal('addItem', 'while paused');
      await waitFor(() => queue.counts.handedBack === 1, 10_000, 'the task handed back');
      e.entity.resume();
      await h.signal('finish');
      expect(await h.result()).toEqual(['while paused']);
      expect(await troubleEvents(client, h.workflowId)).toEqual(['EVENT_TYPE_WORKFLOW_TASK_FAILED']);
      expect(await replayAll(client, [h.workflowId])).toEqual([]);
    } finally {
      await e.entity.close();
    }
  });

  it('sticky schedule-to-start timeout: with the shared pollers held, the task moves to the normal queue', async () => {
    const queue = newStickyQueue(connection, 2);
    const e = await startEntity({ connection, sandbox, stickyQueue: queue }, { stickyQueueScheduleToStartTimeoutMs: 1_000 });
    try {
      const h = await client.workflow.start('collector', { taskQueue: e.taskQueue, workflowId: `${e.taskQueue}-timeout` });
      await waitFor(async () => (await h.query<string>('state')) === 'collecting', 10_000, 'first task');
      queue.pause();
      await h.signal('addItem', 'late');
      await h.signal('finish');
      expect(await h.result()).toEqual(['late']);
      queue.resume();
      // One timeout per task scheduled while the pollers were held (the two signals may make two).
      const trouble = await troubleEvents(client, h.workflowId);
      expect(trouble.length).toBeGreaterThanOrEqual(1);
      expect(new Set(trouble)).toEqual(new Set(['EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT']));
      expect(await replayAll(client, [h.workflowId])).toEqual([]);
    } finally {
      await e.entity.close();
    }
  });
});
