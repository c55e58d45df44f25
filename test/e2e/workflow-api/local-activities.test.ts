/**
 * Local activities (`proxyLocalActivities`), differential against the official worker on the real
 * server: each scenario runs the same workflow on our runtime and on the official worker, and
 * must give the same result and the same history shape; then each history replays in the other
 * side's replayer, and replaying must not run any activity again.
 */
import type { Client, WorkflowHandle, WorkflowStartOptions } from '@temporalio/client';
import proto from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Replayer } from '../../../core/replay/index.js';
import { WorkerEntity } from '../../../core/worker/worker-entity.js';
import { WorkflowSandbox } from '../../../sandbox/workflow-sandbox.js';
import { executions, localActivities, running } from '../../fixtures/workflows/workflow-api/local-activities-activities.js';
import { officialBundle as bundleFor, startOfficialWorker } from '../../helpers/official-worker.js';
import { silentLogger } from '../../helpers/runtime.js';
import { uniqueTaskQueue, useServer, waitFor } from '../../helpers/temporal.js';
import { shapeOf } from '../replay/history-shape.js';

type IHistory = proto.temporal.api.history.v1.IHistory;
const EventType = proto.temporal.api.enums.v1.EventType;

const here = path.dirname(fileURLToPath(import.meta.url));
const workflowsPath = path.resolve(here, '../../fixtures/workflows/workflow-api/local-activities.ts');
const changedWorkflowsPath = path.resolve(here, '../../fixtures/workflows/workflow-api/local-activities-changed.ts');

const server = useServer();
/** Two pairs of workers: with the sticky cache (as deployed), and without (every task replays). */
const side = {
  ours: { queue: uniqueTaskQueue('la-ours'), noCache: uniqueTaskQueue('la-ours-nocache') },
  official: { queue: uniqueTaskQueue('la-official'), noCache: uniqueTaskQueue('la-official-nocache') },
};
let sandbox: WorkflowSandbox;
let entities: WorkerEntity[] = [];
let officials: Array<{ stop: () => Promise<void> }> = [];
let officialBundle: { code: string };
let replayer: Replayer;

beforeAll(async () => {
  sandbox = await WorkflowSandbox.create({ threads: 2, deadlockTimeoutMs: 2000, maxOldGenerationSizeMb: 64 });
  const entity = (taskQueue: string, maxCachedWorkflows?: number) =>
    new WorkerEntity({ taskQueue, workflowsPath, activities: localActivities, ...(maxCachedWorkflows === undefined ? {} : { maxCachedWorkflows }) }, { connection: server.connection, sandbox, logger: silentLogger });
  entities = [entity(side.ours.queue), entity(side.ours.noCache, 0)];
  // The official workers first: they install the official Runtime, which the official replayer needs too.
  officials = await Promise.all([
    startOfficialWorker(side.official.queue, { activities: localActivities }, workflowsPath),
    startOfficialWorker(side.official.noCache, { activities: localActivities, maxCachedWorkflows: 0 }, workflowsPath),
  ]);
  await Promise.all(entities.map((e) => e.start()));
  [officialBundle, replayer] = await Promise.all([
    bundleFor(workflowsPath),
    Replayer.create({ workflowsPath, sandbox }),
  ]);
});
afterAll(async () => {
  await Promise.all([...entities.map((e) => e.close()), ...officials.map((o) => o.stop())]);
  await replayer?.close();
  await sandbox?.close();
});

interface Run {
  result: unknown;
  history: IHistory;
  workflowId: string;
}

/** Runs `type` to its end on `taskQueue`; `during` acts on the running workflow (cancel it...). */
async function runOn(
  client: Client,
  taskQueue: string,
  type: string,
  args: unknown[],
  opts: { start?: Partial<WorkflowStartOptions>; during?: (h: WorkflowHandle) => Promise<void> } = {},
): Promise<Run> {
  const workflowId = `${taskQueue}-${type}-${args.join('-')}`;
  const handle = await client.workflow.start(type, { taskQueue, workflowId, args, ...opts.start } as WorkflowStartOptions);
  await opts.during?.(handle);
  const result = await handle.result();
  return { result, history: await handle.fetchHistory(), workflowId };
}

/** Runs on both sides at once; checks results, history shapes, and replay both ways without re-execution. */
async function differential(
  type: string,
  args: unknown[] = [],
  opts: { start?: Partial<WorkflowStartOptions>; during?: (h: WorkflowHandle) => Promise<void>; noCache?: boolean } = {},
): Promise<{ ours: Run; official: Run }> {
  const queue = (s: (typeof side)['ours']) => (opts.noCache ? s.noCache : s.queue);
  const [ours, official] = await Promise.all([runOn(server.client, queue(side.ours), type, args, opts), runOn(server.client, queue(side.official), type, args, opts)]);
  expect(ours.result, `${type}: same result on both workers`).toEqual(official.result);
  expect(shapeOf(ours.history, 'exact'), `${type}: same history shape`).toEqual(shapeOf(official.history, 'exact'));
  for (const run of [ours, official]) {
    expect(eventTypes(run.history)).not.toContain(EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT);
    expect(eventTypes(run.history)).not.toContain(EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED);
  }
  const before = [executions.get(ours.workflowId), executions.get(official.workflowId)];
  // Ours in the official replayer (throws on nondeterminism), the official one in ours.
  await Worker.runReplayHistory({ workflowBundle: officialBundle }, ours.history);
  const replayed = await replayer.replay(official.history);
  expect(replayed.ok ? 'ok' : `${replayed.error.code}: ${replayed.error.message}`).toBe('ok');
  // Our own history in our replayer too: the marker must give back what execution gave.
  const own = await replayer.replay(ours.history);
  expect(own.ok ? 'ok' : `${own.error.code}: ${own.error.message}`).toBe('ok');
  expect([executions.get(ours.workflowId), executions.get(official.workflowId)], 'replay ran no activity').toEqual(before);
  return { ours, official };
}

function eventTypes(history: IHistory): number[] {
  return (history.events ?? []).map((e) => e.eventType ?? 0);
}

/** Event types after the first WorkflowTaskCompleted: the heartbeat tasks' completions with no command in between. */
function heartbeats(history: IHistory): number {
  const types = eventTypes(history);
  let n = 0;
  for (let i = 0; i + 1 < types.length; i++) {
    if (types[i] === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED && types[i + 1] === EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED) n++;
  }
  return n;
}

describe('local activities, ours against the official worker (real server)', () => {
  it('a simple local activity runs in the worker with isLocal, recorded as a marker', async () => {
    const { ours } = await differential('laSimple', ['World']);
    expect(ours.result).toBe('Hello, World! (local: true)');
    expect(shapeOf(ours.history, 'exact')).toEqual([
      'WORKFLOW_EXECUTION_STARTED',
      'WORKFLOW_TASK_SCHEDULED',
      'WORKFLOW_TASK_STARTED',
      'WORKFLOW_TASK_COMPLETED',
      'MARKER_RECORDED',
      'WORKFLOW_EXECUTION_COMPLETED',
    ]);
    expect(executions.get(ours.workflowId)).toBe(1);
  });

  it('several in sequence and in parallel, all in one workflow task', async () => {
    const { ours } = await differential('laSequenceAndParallel');
    expect((ours.result as string[]).length).toBe(5);
    expect(eventTypes(ours.history).filter((t) => t === EventType.EVENT_TYPE_MARKER_RECORDED)).toHaveLength(5);
    expect(eventTypes(ours.history).filter((t) => t === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)).toHaveLength(1);
  });

  it('a failing local activity is retried with short backoffs inside the task, then succeeds', async () => {
    const { ours } = await differential('laRetryThenSuccess');
    expect(ours.result).toBe(3);
    expect(executions.get(ours.workflowId)).toBe(3);
  });

  it('a local activity that exhausts its retries fails the call as the official worker fails it', async () => {
    const { ours } = await differential('laExhaustsRetries');
    expect(ours.result).toMatchObject({ name: 'ApplicationFailure', message: 'always fails (attempt 3)' });
    expect(executions.get(ours.workflowId)).toBe(3);
  });

  it('start-to-close and schedule-to-close timeouts reach the workflow as ActivityFailure(TimeoutFailure)', async () => {
    const [stc, stc2] = await Promise.all([differential('laStartToCloseTimeout'), differential('laScheduleToCloseTimeout')]);
    expect(stc.ours.result).toMatchObject({ name: 'ActivityFailure', message: 'Local Activity timed out', cause: { name: 'TimeoutFailure', timeoutType: 'START_TO_CLOSE' } });
    expect(executions.get(stc.ours.workflowId)).toBe(2);
    expect(stc2.ours.result).toMatchObject({ name: 'ActivityFailure', cause: { name: 'TimeoutFailure', timeoutType: 'SCHEDULE_TO_CLOSE' } });
  });

  it('a backoff over localRetryThreshold goes through a workflow timer and a new schedule', async () => {
    const { ours } = await differential('laLongBackoff');
    expect(ours.result).toBe(2);
    expect(shapeOf(ours.history, 'parallelActivities')).toEqual(['WORKFLOW_EXECUTION_STARTED', 'MARKER_RECORDED', 'TIMER_STARTED', 'TIMER_FIRED', 'MARKER_RECORDED', 'WORKFLOW_EXECUTION_COMPLETED']);
  });

  it('a local activity longer than the workflow task timeout heartbeats the task instead of timing it out', async () => {
    // 5 s: the heartbeat comes at 4 s, the next one would at 8 s. Shorter timeouts made the
    // official worker itself time its first task out on a loaded 2-core machine.
    const { ours } = await differential('laLongRunning', [5500], { start: { workflowTaskTimeout: '5s' } });
    expect(ours.result).toBe(5500);
    expect(heartbeats(ours.history)).toBe(1);
    expect(executions.get(ours.workflowId)).toBe(1);
  });

  it('cancelled in the activation that scheduled it, for every cancellation type: never runs, still recorded', async () => {
    const results = await Promise.all(['TRY_CANCEL', 'WAIT_CANCELLATION_COMPLETED', 'ABANDON'].map((t) => differential('laCancelledBeforeStart', [t])));
    for (const { ours } of results) {
      expect(ours.result).toMatchObject({ name: 'ActivityFailure', message: 'Local Activity cancelled', cause: { name: 'CancelledFailure' } });
      expect(executions.get(ours.workflowId)).toBeUndefined();
    }
  });

  it('a running local activity when its workflow is cancelled, for every cancellation type', async () => {
    const cancelWhenRunning = async (h: WorkflowHandle) => {
      await waitFor(() => running.has(h.workflowId), 10_000, `${h.workflowId} to run its local activity`);
      await h.cancel();
    };
    const results = await Promise.all(
      ['TRY_CANCEL', 'WAIT_CANCELLATION_COMPLETED', 'ABANDON'].map((t) => differential('laCancelledWithWorkflow', [t], { start: { workflowTaskTimeout: '5s' }, during: cancelWhenRunning })),
    );
    for (const { ours } of results) expect(ours.result).toMatchObject({ name: 'ActivityFailure', message: 'Local Activity cancelled', activityFailure: true });
    // WAIT_CANCELLATION_COMPLETED waits for the activity's own CancelledFailure.
    expect(results[1]!.ours.result).toMatchObject({ cause: { message: 'CANCELLED' } });
  });

  it('without a cache every task replays: local activities resolve from their markers and never run again', async () => {
    const { ours, official } = await differential('laAroundTimer', [], { noCache: true });
    expect(ours.result).toEqual(['Hello, before! (local: true)', 'Hello, after! (local: true)']);
    expect(executions.get(ours.workflowId)).toBe(2);
    expect(executions.get(official.workflowId)).toBe(2);
  });

  it('a draining entity lets a running local activity finish and answers its workflow task (ours only)', async () => {
    // The official worker's default shutdownGraceTime is 0: it cancels at once, so there is nothing to compare.
    const queue = uniqueTaskQueue('la-drain');
    const entity = new WorkerEntity({ taskQueue: queue, workflowsPath, activities: localActivities }, { connection: server.connection, sandbox, logger: silentLogger });
    await entity.start();
    try {
      const handle = await server.client.workflow.start('laLongRunning', { taskQueue: queue, workflowId: `${queue}-drain`, args: [1500] });
      await waitFor(() => executions.get(handle.workflowId) === 1, 10_000, 'the local activity to start');
      await entity.drain({ graceMs: 10_000 });
      expect(await handle.result()).toBe(1500);
      const history = await handle.fetchHistory();
      expect(eventTypes(history)).toContain(EventType.EVENT_TYPE_MARKER_RECORDED);
      expect(eventTypes(history)).not.toContain(EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT);
      expect(executions.get(handle.workflowId)).toBe(1);
    } finally {
      await entity.close();
    }
  });

  it('replaying against changed code: a marker the code no longer asks for, and one it asks for anew, are nondeterminism on both replayers', async () => {
    const [simpleRun, severalRun, bundle, changed] = await Promise.all([
      runOn(server.client, side.ours.queue, 'laSimple', ['changed']),
      runOn(server.client, side.ours.queue, 'laSequenceAndParallel', ['changed']),
      bundleFor(changedWorkflowsPath),
      Replayer.create({ workflowsPath: changedWorkflowsPath, sandbox }),
    ]);
    const [simple, several] = [simpleRun.history, severalRun.history];
    try {
      for (const history of [simple, several]) {
        await expect(Worker.runReplayHistory({ workflowBundle: bundle }, history)).rejects.toThrow(DeterminismViolationError);
      }
      const noLongerAsked = await changed.replay(simple);
      expect(noLongerAsked.ok ? 'ok' : `${noLongerAsked.error.code}: ${noLongerAsked.error.message}`).toMatch(/^WORKFLOW_NONDETERMINISM: .*local activity 1 \(type 'greet'\), but the workflow code did not schedule it/);
      const askedAnew = await changed.replay(several);
      expect(askedAnew.ok ? 'ok' : `${askedAnew.error.code}: ${askedAnew.error.message}`).toMatch(/^WORKFLOW_NONDETERMINISM: .*WorkflowExecutionCompleted/);
    } finally {
      await changed.close();
    }
  });
});
