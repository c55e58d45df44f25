/**
 * The official WorkerOptions names in a worker spec (runtime.addWorker, the config file and
 * POST /workers share its schema), each with its semantics on the real server: activity rate
 * limits, enableNonLocalActivities, a fixed-size tuner, and the shutdown durations as strings.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { temporal } from '../../../core/connection/proto.js';
import { hasErrorCode } from '../../../core/errors.js';
import type { Runtime } from '../../../core/runtime/runtime.js';
import { NativeConnection, Worker } from '@temporalio/worker';
import { startOfficialWorker } from '../../helpers/official-worker.js';
import { testRuntime } from '../../helpers/runtime.js';
import { officialClient, temporalAddress, uniqueTaskQueue, waitFor } from '../../helpers/temporal.js';

let runtime: Runtime;
let client: Client;
let closeClient: () => Promise<void>;

beforeAll(async () => {
  ({ client, close: closeClient } = await officialClient());
  runtime = await testRuntime();
});
afterAll(async () => {
  await runtime?.shutdown({ graceMs: 0 });
  await closeClient?.();
});

/** Activities that record when each started; the workflows run on the official worker (no eager activities to us). */
function stampActivities() {
  const starts: number[] = [];
  return { starts, activities: { stamp: async () => void starts.push(Date.now()), sleep: (ms: number) => new Promise((r) => setTimeout(r, ms)) } };
}

async function withOfficialWorkflows<T>(taskQueue: string, fn: () => Promise<T>): Promise<T> {
  const official = await startOfficialWorker(taskQueue);
  try {
    return await fn();
  } finally {
    await official.stop();
  }
}

const localActivityWorkflows = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/workflows/workflow-api/local-activities.ts');

const spread = (starts: number[]) => Math.max(...starts) - Math.min(...starts);

describe('official WorkerOptions in a worker spec', () => {
  it('maxActivitiesPerSecond spaces the activity tasks this worker takes, as on the official worker', async () => {
    // As in sdk-core, polls start at most 4 a second: the 10 polls open when the burst arrives
    // take their tasks at once, the next 10 come 250 ms apart.
    const run = async (start: (taskQueue: string, activities: object) => Promise<() => Promise<void>>) => {
      const taskQueue = uniqueTaskQueue('opt-rate');
      const { starts, activities } = stampActivities();
      const stop = await start(taskQueue, activities);
      try {
        await new Promise((r) => setTimeout(r, 3_000)); // every poller has opened its poll
        await withOfficialWorkflows(taskQueue, () => client.workflow.execute('fanOut', { taskQueue, workflowId: taskQueue, args: ['stamp', 20] }));
      } finally {
        await stop();
      }
      expect(starts).toHaveLength(20);
      return spread(starts);
    };
    const ours = await run(async (taskQueue, activities) => {
      const w = await runtime.addWorker({ taskQueue, activities: activities as Record<string, () => Promise<void>>, maxActivitiesPerSecond: 4 });
      return () => runtime.remove(w.id);
    });
    const official = await run(async (taskQueue, activities) => {
      const connection = await NativeConnection.connect({ address: temporalAddress() });
      const worker = await Worker.create({ connection, taskQueue, activities, maxActivitiesPerSecond: 4 });
      const running = worker.run();
      return async () => {
        worker.shutdown();
        await running;
        await connection.close();
      };
    });
    expect(official).toBeGreaterThanOrEqual(2_000);
    expect(ours).toBeGreaterThanOrEqual(2_000);
  }, 90_000);

  it('maxTaskQueueActivitiesPerSecond is sent on polls and the server enforces it', async () => {
    const taskQueue = uniqueTaskQueue('opt-tq-rate');
    const { starts, activities } = stampActivities();
    const w = await runtime.addWorker({ taskQueue, activities, maxTaskQueueActivitiesPerSecond: 2 });
    await withOfficialWorkflows(taskQueue, () => client.workflow.execute('fanOut', { taskQueue, workflowId: taskQueue, args: ['stamp', 8] }));
    expect(starts).toHaveLength(8);
    expect(spread(starts)).toBeGreaterThanOrEqual(1_500);
    await runtime.remove(w.id);
  }, 60_000);

  it('enableNonLocalActivities: false polls no activity tasks', async () => {
    const taskQueue = uniqueTaskQueue('opt-nonlocal');
    const { starts, activities } = stampActivities();
    const off = await runtime.addWorker({ taskQueue, activities, enableNonLocalActivities: false, identity: `off-${taskQueue}` });
    const pollers = async () => {
      const res = await client.workflowService.describeTaskQueue({ namespace: 'default', taskQueue: { name: taskQueue }, taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY });
      return (res.pollers ?? []).map((p) => p.identity);
    };
    await withOfficialWorkflows(taskQueue, async () => {
      const handle = await client.workflow.start('fanOut', { taskQueue, workflowId: taskQueue, args: ['stamp', 1] });
      await new Promise((r) => setTimeout(r, 2_000));
      expect(starts).toHaveLength(0);
      expect(await pollers()).not.toContain(`off-${taskQueue}`);
      // The same activities with the default (true) take the task at once.
      const on = await runtime.addWorker({ taskQueue, activities, identity: `on-${taskQueue}`, allowDuplicate: true });
      expect(await handle.result()).toBe(1);
      expect(await pollers()).toContain(`on-${taskQueue}`);
      await runtime.remove(on.id);
    });
    await runtime.remove(off.id);
  }, 60_000);

  it('enableNonLocalActivities: false still runs the workflows\' local activities', async () => {
    const taskQueue = uniqueTaskQueue('opt-nonlocal-la');
    const greet = async (_key: string, name: string) => `Hello, ${name}!`;
    const w = await runtime.addWorker({ taskQueue, workflowsPath: localActivityWorkflows, activities: { greet }, enableNonLocalActivities: false });
    expect(await client.workflow.execute('laSimple', { taskQueue, workflowId: taskQueue, args: ['local'] })).toBe('Hello, local!');
    expect(runtime.get(w.id).pollers?.activity).toBe(0);
    await runtime.remove(w.id);
  }, 60_000);

  it('a fixed-size tuner sets the slots; beside maxConcurrent… or resource-based it is refused', async () => {
    const taskQueue = uniqueTaskQueue('opt-tuner');
    const { activities } = stampActivities();
    const w = await runtime.addWorker({ taskQueue, activities, tuner: { activityTaskSlotSupplier: { type: 'fixed-size', numSlots: 3 } } });
    expect(runtime.get(w.id).slots.activity).toEqual({ used: 0, free: 3 });
    await runtime.remove(w.id);
    const both = runtime.addWorker({ taskQueue, activities, limits: { maxConcurrentActivityTaskExecutions: 5 }, tuner: { activityTaskSlotSupplier: { type: 'fixed-size', numSlots: 3 } } });
    await expect(both).rejects.toThrow(/cannot set both tuner and maxConcurrentActivityTaskExecutions/);
    const resourceBased = { activityTaskSlotSupplier: { type: 'resource-based', tunerOptions: { targetMemoryUsage: 0.8, targetCpuUsage: 0.9 } } };
    // @ts-expect-error resource-based suppliers are not in the type either
    await expect(runtime.addWorker({ taskQueue, activities, tuner: resourceBased })).rejects.toSatisfy((e: unknown) => hasErrorCode(e, 'CONFIG_INVALID'));
  });

  it("shutdownGraceTime / shutdownForceTime as '1s' strings bound the worker's drain", async () => {
    const taskQueue = uniqueTaskQueue('opt-grace');
    const { activities } = stampActivities();
    const w = await runtime.addWorker({ taskQueue, activities, shutdownGraceTime: '500ms', shutdownForceTime: '1s' });
    await withOfficialWorkflows(taskQueue, async () => {
      const handle = await client.workflow.start('callActivityCatching', { taskQueue, workflowId: taskQueue, args: ['sleep', [20_000], { startToCloseTimeout: '60s', retry: { maximumAttempts: 1 } }] });
      await waitFor(() => runtime.get(w.id).slots.activity.used === 1, 20_000, 'the activity running');
      const started = performance.now();
      // The runtime's own default grace is 10 s: only the spec's values can end this drain so soon.
      const drained = await runtime.drain(w.id);
      expect(performance.now() - started).toBeLessThan(3_000);
      expect(drained.tasks.activity.failed + drained.tasks.activity.cancelled).toBe(1);
      await handle.terminate();
    });
    await runtime.remove(w.id);
  }, 60_000);
});
