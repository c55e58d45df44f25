import { activityInfo, CompleteAsyncError } from '@temporalio/activity';
import { ActivityFailure, ApplicationFailure } from '@temporalio/common';
import { WorkflowFailedError } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { WorkerEntity } from '../../../core/worker/worker-entity.js';
import { shapeOf } from '../replay/history-shape.js';
import { startOfficialWorker } from '../../helpers/official-worker.js';
import { sandboxApiWorkflowsPath, useSandbox } from '../../helpers/sandbox.js';
import { uniqueTaskQueue, useServer, waitFor } from '../../helpers/temporal.js';

const workflowsPath = sandboxApiWorkflowsPath;
const server = useServer();
const shared = useSandbox();

interface Started {
  taskToken: Uint8Array;
  workflowId: string;
  activityId: string;
}

/** `completeLater` hands its task over to the test and throws CompleteAsyncError. */
function asyncActivities(): { activities: Record<string, () => Promise<never>>; started: (workflowId: string) => Promise<Started> } {
  const seen = new Map<string, Started>();
  return {
    activities: {
      async completeLater() {
        const info = activityInfo();
        const workflowId = info.workflowExecution?.workflowId ?? '';
        seen.set(workflowId, { taskToken: info.taskToken, workflowId, activityId: info.activityId });
        throw new CompleteAsyncError();
      },
    },
    started: async (workflowId) => {
      await waitFor(() => seen.has(workflowId), 20_000, `the activity of ${workflowId} to start`);
      return seen.get(workflowId)!;
    },
  };
}

describe('CompleteAsyncError: completion by the client', () => {
  it('leaves the task open and frees its slot; the client heartbeats, completes by token and by id, and fails it', async () => {
    const taskQueue = uniqueTaskQueue('async');
    const { activities, started } = asyncActivities();
    const entity = new WorkerEntity({ taskQueue, workflowsPath, activities }, { connection: server.connection, sandbox: shared.sandbox });
    await entity.start();
    const { client } = server;
    try {
      const byToken = await client.workflow.start('asyncCompleted', { taskQueue, workflowId: `${taskQueue}-token` });
      const a = await started(byToken.workflowId);
      await waitFor(() => entity.status().activity.slotsUsed === 0, 5_000, 'the slot to be freed');
      expect(entity.status().activity).toMatchObject({ completed: 0, failed: 0 });
      await client.activity.heartbeat(a.taskToken, 'still working');
      await client.activity.complete(a.taskToken, 'done by token');
      expect(await byToken.result()).toBe('done by token');

      const byId = await client.workflow.start('asyncCompleted', { taskQueue, workflowId: `${taskQueue}-id` });
      const b = await started(byId.workflowId);
      await client.activity.complete({ workflowId: b.workflowId, activityId: b.activityId }, 'done by id');
      expect(await byId.result()).toBe('done by id');

      const failing = await client.workflow.start('asyncCompleted', { taskQueue, workflowId: `${taskQueue}-fail` });
      const c = await started(failing.workflowId);
      await client.activity.fail(c.taskToken, ApplicationFailure.nonRetryable('given up', 'AsyncGiveUp'));
      const err = await failing.result().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WorkflowFailedError);
      const cause = (err as WorkflowFailedError).cause;
      expect(cause).toBeInstanceOf(ActivityFailure);
      expect((cause as ActivityFailure).cause).toMatchObject({ message: 'given up', type: 'AsyncGiveUp' });
    } finally {
      await entity.close();
    }
  });

  it('gives the same history as the official worker', async () => {
    const shapes: string[][] = [];
    for (const side of ['ours', 'official'] as const) {
      const taskQueue = uniqueTaskQueue(`async-${side}`);
      const { activities, started } = asyncActivities();
      const entity = side === 'ours' ? new WorkerEntity({ taskQueue, workflowsPath, activities }, { connection: server.connection, sandbox: shared.sandbox }) : undefined;
      await entity?.start();
      const official = side === 'official' ? await startOfficialWorker(taskQueue, { activities }, workflowsPath) : undefined;
      try {
        const handle = await server.client.workflow.start('asyncCompleted', { taskQueue, workflowId: taskQueue });
        const { taskToken } = await started(taskQueue);
        await server.client.activity.heartbeat(taskToken, 1);
        await server.client.activity.complete(taskToken, side);
        expect(await handle.result()).toBe(side);
        shapes.push(shapeOf(await handle.fetchHistory(), 'exact'));
      } finally {
        await entity?.close();
        await official?.stop();
      }
    }
    expect(shapes[0]).toEqual(shapes[1]);
  });
});
