import { Context } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { WorkerEntity } from '../../../core/worker/worker-entity.js';
import type { ActivityFunction } from '../../../core/activity/activity-execution.js';
import { uniqueTaskQueue, useServer, waitFor } from '../../helpers/temporal.js';
import { startOfficialWorker } from '../../helpers/official-worker.js';

const server = useServer();


/** Our entity runs the activities, the official worker the workflows, on a fresh task queue. */
async function withWorkers<T>(
  activities: Record<string, ActivityFunction>,
  body: (ctx: { taskQueue: string; entity: WorkerEntity; run: (wf: string, args: unknown[]) => Promise<unknown> }) => Promise<T>,
  entityOptions: Partial<ConstructorParameters<typeof WorkerEntity>[0]> = {},
): Promise<T> {
  const taskQueue = uniqueTaskQueue('act');
  const official = await startOfficialWorker(taskQueue);
  const entity = new WorkerEntity({ taskQueue, activities, ...entityOptions }, { connection: server.connection });
  await entity.start();
  try {
    const run = (wf: string, args: unknown[]) => server.client.workflow.execute(wf, { taskQueue, workflowId: `${taskQueue}-${Math.random()}`, args });
    return await body({ taskQueue, entity, run });
  } finally {
    await entity.close();
    await official.stop();
  }
}

describe('activity tasks on the real server', () => {
  it('passes arguments and results of several types through the payload converter', async () => {
    const echo = async (...args: unknown[]) => args;
    const input = [1, 'two', { three: [3] }, null, true, 2.5];
    await withWorkers({ echo }, async ({ run }) => {
      expect(await run('callActivity', ['echo', input])).toEqual(input);
      expect(await run('callActivity', ['echo', []])).toEqual([]);
    });
  });

  it('exposes Context.current().info to the activity', async () => {
    const whoami = async () => {
      const { info } = Context.current();
      return { type: info.activityType, attempt: info.attempt, taskQueue: info.taskQueue, wfType: info.workflowType, ns: info.namespace };
    };
    await withWorkers({ whoami }, async ({ run, taskQueue }) => {
      expect(await run('callActivity', ['whoami', []])).toEqual({ type: 'whoami', attempt: 1, taskQueue, wfType: 'callActivity', ns: 'default' });
    });
  });

  it('retries a plain Error; attempt 2 sees the heartbeat details of attempt 1', async () => {
    const flaky = async () => {
      const ctx = Context.current();
      if (ctx.info.attempt === 1) {
        ctx.heartbeat('checkpoint-a');
        ctx.heartbeat('checkpoint-b'); // throttled: must still be flushed before the failure
        throw new Error('first attempt fails');
      }
      return { attempt: ctx.info.attempt, seen: ctx.info.heartbeatDetails };
    };
    await withWorkers({ flaky }, async ({ run }) => {
      const result = await run('callActivity', ['flaky', [], { startToCloseTimeout: '10s', retry: { initialInterval: '50ms' } }]);
      expect(result).toEqual({ attempt: 2, seen: 'checkpoint-b' });
    });
  });

  it('a non-retryable ApplicationFailure reaches the workflow with its type and message', async () => {
    let calls = 0;
    const failHard = async () => {
      calls++;
      throw ApplicationFailure.nonRetryable('card declined', 'PaymentError');
    };
    await withWorkers({ failHard }, async ({ run }) => {
      const result = await run('callActivityCatching', ['failHard', [], { startToCloseTimeout: '10s' }]);
      expect(result).toMatchObject({ error: 'ActivityFailure', causeName: 'ApplicationFailure', causeType: 'PaymentError', causeMessage: 'card declined', nonRetryable: true });
      expect(calls).toBe(1);
    });
  });

  it('cancellation from the workflow reaches a heartbeating activity (WAIT_CANCELLATION_COMPLETED)', async () => {
    const seen: { signalAborted?: boolean; reason?: string } = {};
    const heartbeatForever = async () => {
      const ctx = Context.current();
      try {
        for (;;) {
          ctx.heartbeat();
          await ctx.sleep(100);
        }
      } catch (err) {
        seen.signalAborted = ctx.cancellationSignal.aborted;
        seen.reason = err instanceof CancelledFailure ? err.message : String(err);
        throw err;
      }
    };
    await withWorkers({ heartbeatForever }, async ({ run, entity }) => {
      const result = await run('cancelActivityAfter', ['heartbeatForever', 500]);
      expect(result).toMatchObject({ cancelled: true, name: 'ActivityFailure', causeName: 'CancelledFailure' });
      expect(seen).toEqual({ signalAborted: true, reason: 'CANCELLED' });
      // The count moves when our RespondActivityTaskCanceled returns, which can be after the
      // server has already delivered the cancellation to the workflow and the workflow completed.
      await waitFor(() => entity.status().activity.cancelled === 1, 10_000, 'the cancelled count');
    });
  });

  it('start-to-close timeout: the server times the attempt out and our activity is told to stop', async () => {
    let aborted = false;
    const tooSlow = async () => {
      const ctx = Context.current();
      await ctx.sleep(5_000).catch((err) => {
        aborted = err instanceof CancelledFailure && err.message === 'TIMED_OUT';
      });
    };
    await withWorkers({ tooSlow }, async ({ run }) => {
      const result = await run('callActivityCatching', ['tooSlow', [], { startToCloseTimeout: '1s', retry: { maximumAttempts: 1 } }]);
      expect(result).toMatchObject({ error: "ActivityFailure", causeName: "TimeoutFailure", timeoutType: "START_TO_CLOSE" });
      expect(aborted).toBe(true);
    });
  });

  it('heartbeat timeout: an activity that stops heartbeating fails with a HEARTBEAT timeout', async () => {
    const goesSilent = async () => {
      Context.current().heartbeat('alive');
      await Context.current().sleep(4_000).catch(() => undefined);
    };
    await withWorkers({ goesSilent }, async ({ run }) => {
      const result = await run('callActivityCatching', ['goesSilent', [], { startToCloseTimeout: '20s', heartbeatTimeout: '1s', retry: { maximumAttempts: 1 } }]);
      expect(result).toMatchObject({ error: 'ActivityFailure', causeName: 'TimeoutFailure', timeoutType: "HEARTBEAT" });
    });
  });

  it('never runs more than maxConcurrentActivityTaskExecutions at once', async () => {
    const N = 3;
    let active = 0;
    let peak = 0;
    const tracked = async () => {
      active++;
      peak = Math.max(peak, active);
      await new Promise((r) => setTimeout(r, 150));
      active--;
    };
    await withWorkers(
      { tracked },
      async ({ run, entity }) => {
        expect(await run('fanOut', ['tracked', 3 * N])).toBe(3 * N);
        expect(peak).toBe(N);
        expect(entity.status().activity.completed).toBe(3 * N);
      },
      { maxConcurrentActivityTaskExecutions: N },
    );
  });

  it('fails an unknown activity type with a message listing the registered types', async () => {
    await withWorkers({ alpha: async () => 1, beta: async () => 2 }, async ({ run }) => {
      const result = await run('callActivityCatching', ['gamma', [], { startToCloseTimeout: '10s', retry: { maximumAttempts: 1 } }]);
      expect(result).toMatchObject({ causeType: 'NotFoundError' });
      expect((result as { causeMessage: string }).causeMessage).toContain('registered activities: [alpha, beta]');
    });
  });

  it('drain: in-flight activities finish, polling stops, the entity ends DRAINED and every workflow completes', async () => {
    const taskQueue = uniqueTaskQueue('drain');
    const official = await startOfficialWorker(taskQueue);
    let started = 0;
    const work = async (ms: number) => {
      started++;
      await new Promise((r) => setTimeout(r, ms));
      return 'done';
    };
    const first = new WorkerEntity({ taskQueue, activities: { work }, maxConcurrentActivityTaskExecutions: 4 }, { connection: server.connection });
    await first.start();
    const handles = await Promise.all(
      Array.from({ length: 3 }, (_, i) => server.client.workflow.start('fanOut', { taskQueue, workflowId: `${taskQueue}-${i}`, args: ['work', 4, [800]] })),
    );
    await waitFor(() => first.status().activity.slotsUsed === 4, 20_000, 'four activities in flight');
    await first.drain({ graceMs: 10_000 });
    expect(first.state).toBe('DRAINED');
    expect(first.status().activity).toMatchObject({ completed: 4, failed: 0, slotsUsed: 0 });
    const startedAtDrain = started;
    // A second entity picks up what the first never took.
    const second = new WorkerEntity({ taskQueue, activities: { work } }, { connection: server.connection });
    await second.start();
    try {
      for (const h of handles) expect(await h.result()).toBe(4);
      expect(started - startedAtDrain).toBe(8);
    } finally {
      await second.close();
      await first.close();
      await official.stop();
    }
  });

  it('drain past its grace cancels running activities as WORKER_SHUTDOWN and the retry succeeds elsewhere', async () => {
    const taskQueue = uniqueTaskQueue('grace');
    const official = await startOfficialWorker(taskQueue);
    const reasons: string[] = [];
    const stubborn = async () => {
      const ctx = Context.current();
      if (ctx.info.attempt === 1) {
        await ctx.sleep(30_000).catch((err: Error) => {
          reasons.push(err.message);
          throw err;
        });
      }
      return ctx.info.attempt;
    };
    const first = new WorkerEntity({ taskQueue, activities: { stubborn } }, { connection: server.connection });
    await first.start();
    const handle = await server.client.workflow.start('callActivity', { taskQueue, workflowId: taskQueue, args: ['stubborn', [], { startToCloseTimeout: '60s', retry: { initialInterval: '50ms' } }] });
    await waitFor(() => first.status().activity.slotsUsed === 1, 20_000, 'activity in flight');
    await first.drain({ graceMs: 100 });
    expect(reasons).toEqual(['WORKER_SHUTDOWN']);
    expect(first.status().activity.failed).toBe(1);
    const second = new WorkerEntity({ taskQueue, activities: { stubborn } }, { connection: server.connection });
    await second.start();
    try {
      expect(await handle.result()).toBe(2);
    } finally {
      await second.close();
      await first.close();
      await official.stop();
    }
  });
});
