/**
 * Nothing wedges a drain: an activity that never settles and ignores its cancellation is answered
 * as a retryable WorkerShutdown failure after grace + force time, its slot is freed, and the
 * retry runs elsewhere. Drain, remove (DELETE) and shutdown all return within that bound.
 */
import { Context } from '@temporalio/activity';
import { defaultDataConverter, type LoadedDataConverter, type PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { describe, expect, it } from 'vitest';
import { WorkerEntity } from '../../../core/worker/worker-entity.js';
import { fixtureWorkflowsPath } from '../../helpers/official-worker.js';
import { silentLogger, testRuntime } from '../../helpers/runtime.js';
import { uniqueTaskQueue, useServer, waitFor } from '../../helpers/temporal.js';

const server = useServer();
const EventType = temporal.api.enums.v1.EventType;

/** Attempt 1 never settles and ignores cancellation; later attempts succeed. */
const stubborn = async () => {
  const { attempt } = Context.current().info;
  if (attempt === 1) return new Promise(() => undefined);
  return { attempt };
};
const retryFast = { startToCloseTimeout: '5m', retry: { initialInterval: '100ms', maximumAttempts: 5 } };
/** Slack on top of grace + force for poll shutdown and the answers themselves. */
const SLACK_MS = 2_000;

async function startedAttempt(workflowId: string): Promise<temporal.api.history.v1.IActivityTaskStartedEventAttributes> {
  const history = await server.client.workflow.getHandle(workflowId).fetchHistory();
  const started = history.events!.filter((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED);
  return started.at(-1)!.activityTaskStartedEventAttributes!;
}

describe('bounded force time', () => {
  it('drain: a never-settling activity is answered as WorkerShutdown within grace + force time; the retry runs elsewhere', async () => {
    const taskQueue = uniqueTaskQueue('force-drain');
    const first = new WorkerEntity({ taskQueue, workflowsPath: fixtureWorkflowsPath, activities: { stubborn } }, { connection: server.connection, logger: silentLogger });
    await first.start();
    const workflowId = `${taskQueue}-wf`;
    const handle = await server.client.workflow.start('callActivity', { taskQueue, workflowId, args: ['stubborn', [], retryFast] });
    let second: WorkerEntity | undefined;
    try {
      await waitFor(() => first.status().activity.slotsUsed === 1, 20_000, 'the stubborn activity to run');
      const graceMs = 500;
      const forceTimeMs = 1_500;
      const t0 = performance.now();
      await first.drain({ graceMs, forceTimeMs });
      const drainMs = performance.now() - t0;
      console.log(`[lifecycle] drain with a never-settling activity: ${drainMs.toFixed(0)} ms (grace ${graceMs} + force ${forceTimeMs})`);
      expect(first.state).toBe('DRAINED');
      expect(drainMs).toBeLessThan(graceMs + forceTimeMs + SLACK_MS);
      expect(first.status().activity).toMatchObject({ slotsUsed: 0, failed: 1 });

      second = new WorkerEntity({ taskQueue, workflowsPath: fixtureWorkflowsPath, activities: { stubborn } }, { connection: server.connection, logger: silentLogger });
      await second.start();
      expect(await handle.result()).toEqual({ attempt: 2 });
      const attempt2 = await startedAttempt(workflowId);
      expect(attempt2.attempt).toBe(2);
      expect(attempt2.lastFailure?.applicationFailureInfo?.type).toBe('WorkerShutdown');
      expect(attempt2.lastFailure?.applicationFailureInfo?.nonRetryable).toBeFalsy();
      expect(attempt2.lastFailure?.message).toMatch(/force time/);
    } finally {
      await first.close();
      await second?.close();
    }
  });

  it('runtime remove (DELETE) and shutdown return within grace + force time with never-settling activities', async () => {
    const graceMs = 300;
    const forceTimeMs = 1_000;
    const runtime = await testRuntime({ drainGraceMs: graceMs, shutdownForceTime: `${forceTimeMs}ms` });
    const tqA = uniqueTaskQueue('force-delete');
    const tqB = uniqueTaskQueue('force-shutdown');
    try {
      const a = await runtime.addWorker({ taskQueue: tqA, workflowsPath: fixtureWorkflowsPath, activities: { stubborn } });
      const b = await runtime.addWorker({ taskQueue: tqB, workflowsPath: fixtureWorkflowsPath, activities: { stubborn } });
      const handles = await Promise.all(
        [tqA, tqA, tqB].map((taskQueue, i) => server.client.workflow.start('callActivity', { taskQueue, workflowId: `${taskQueue}-${i}`, args: ['stubborn', [], retryFast] })),
      );
      await waitFor(() => runtime.get(a.id).slots.activity.used === 2 && runtime.get(b.id).slots.activity.used === 1, 20_000, 'three stubborn activities');

      let t0 = performance.now();
      await runtime.remove(a.id);
      const removeMs = performance.now() - t0;
      t0 = performance.now();
      await runtime.shutdown();
      const shutdownMs = performance.now() - t0;
      console.log(`[lifecycle] remove: ${removeMs.toFixed(0)} ms, shutdown: ${shutdownMs.toFixed(0)} ms (grace ${graceMs} + force ${forceTimeMs})`);
      expect(removeMs).toBeLessThan(graceMs + forceTimeMs + SLACK_MS);
      expect(shutdownMs).toBeLessThan(graceMs + forceTimeMs + SLACK_MS);

      // Every attempt was answered: the retries run on a fresh worker at once.
      const rest = await testRuntime();
      try {
        await rest.addWorker({ taskQueue: tqA, workflowsPath: fixtureWorkflowsPath, activities: { stubborn } });
        await rest.addWorker({ taskQueue: tqB, workflowsPath: fixtureWorkflowsPath, activities: { stubborn } });
        expect(await Promise.all(handles.map((h) => h.result()))).toEqual([{ attempt: 2 }, { attempt: 2 }, { attempt: 2 }]);
      } finally {
        await rest.shutdown({ graceMs: 0 });
      }
    } finally {
      await runtime.shutdown();
    }
  });
});

describe('lifecycle races', () => {
  it('drain() while start() is still bundling: start rejects, nothing ever polls, the drain ends DRAINED', async () => {
    const taskQueue = uniqueTaskQueue('drain-while-starting');
    const entity = new WorkerEntity({ taskQueue, workflowsPath: fixtureWorkflowsPath, activities: { stubborn } }, { connection: server.connection, logger: silentLogger });
    const starting = entity.start();
    const drained = entity.drain({ graceMs: 0 });
    await expect(starting).rejects.toSatisfy((e: unknown) => (e as { code?: string }).code === 'ILLEGAL_STATE');
    await drained;
    expect(entity.state).toBe('DRAINED');
    // A workflow on the queue is not taken: nothing polls.
    const handle = await server.client.workflow.start('callActivity', { taskQueue, workflowId: `${taskQueue}-wf`, args: ['stubborn', [], retryFast] });
    await new Promise((r) => setTimeout(r, 1_500));
    const history = await handle.fetchHistory();
    expect(history.events!.some((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED)).toBe(false);
    await entity.close();
    expect(entity.state).toBe('STOPPED');
    await handle.terminate();
  });

  it('heartbeat details that cannot be decoded: the task is answered as failed at once, naming the cause', async () => {
    const taskQueue = uniqueTaskQueue('bad-heartbeat');
    // A codec that refuses to decode one marked value, as a broken or rotated codec would.
    const codec: PayloadCodec = {
      encode: async (p) => p,
      decode: async (ps) => ps.map((p) => {
        if (Buffer.from(p.data ?? []).toString().includes('poison')) throw new Error('codec cannot decode this payload');
        return p;
      }),
    };
    const dataConverter: LoadedDataConverter = { ...defaultDataConverter, payloadCodecs: [codec] };
    const poisoner = async () => {
      const ctx = Context.current();
      if (ctx.info.attempt === 1) {
        ctx.heartbeat('poison');
        throw new Error('first attempt fails after its heartbeat');
      }
      return 'unreachable';
    };
    // The codec is the activity side's only: a workflow worker with it would fail to decode the
    // activity failure (the server puts the last heartbeat details in it), as the official one would.
    const entity = new WorkerEntity({ taskQueue, activities: { poisoner } }, { connection: server.connection, logger: silentLogger, dataConverter });
    const workflows = new WorkerEntity({ taskQueue, workflowsPath: fixtureWorkflowsPath }, { connection: server.connection, logger: silentLogger });
    await entity.start();
    await workflows.start();
    try {
      const t0 = performance.now();
      const result = (await server.client.workflow.execute('callActivityCatching', {
        taskQueue,
        workflowId: `${taskQueue}-wf`,
        args: ['poisoner', [], { startToCloseTimeout: '60s', retry: { initialInterval: '100ms', maximumAttempts: 2 } }],
      })) as { causeMessage?: string };
      expect(result.causeMessage).toMatch(/Failed to parse heartbeat details.*codec cannot decode/);
      // Answered, not left to its 60 s start-to-close.
      expect(performance.now() - t0).toBeLessThan(20_000);
    } finally {
      await Promise.all([entity.close(), workflows.close()]);
    }
  });
});
