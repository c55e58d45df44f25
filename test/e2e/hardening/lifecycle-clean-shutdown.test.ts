/**
 * A clean shutdown writes no failure into anyone's history: runs cached on the shared sticky
 * queue, signalled while the runtime (or one of its workers) goes away, finish later on another
 * worker with no WorkflowTaskFailed event, as with the official worker.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { describe, expect, it } from 'vitest';
import type { Runtime } from '../../../core/runtime/runtime.js';
import { fixtureWorkflowsPath, startOfficialWorker } from '../../helpers/official-worker.js';
import { testRuntime } from '../../helpers/runtime.js';
import { uniqueTaskQueue, useServer, waitFor } from '../../helpers/temporal.js';

const server = useServer();
const EventType = temporal.api.enums.v1.EventType;
const RUNS_PER_QUEUE = 3;

async function startCollectors(runtime: Runtime, taskQueues: string[]): Promise<WorkflowHandle[]> {
  const handles: WorkflowHandle[] = [];
  for (const taskQueue of taskQueues) {
    for (let i = 0; i < RUNS_PER_QUEUE; i++) {
      const h = await server.client.workflow.start('collector', { taskQueue, workflowId: `${taskQueue}-${i}` });
      await h.signal('addItem', 'first');
      handles.push(h);
    }
  }
  // Every run has answered a task naming the shared sticky queue: each is cached.
  await waitFor(() => runtime.list().every((w) => w.cachedRuns === RUNS_PER_QUEUE), 30_000, 'every run cached');
  return handles;
}

/** Signals every run every 50 ms until stopped: tasks keep reaching the sticky queue while workers leave. */
function keepSignalling(handles: WorkflowHandle[]): () => Promise<number> {
  let stop = false;
  let sent = 0;
  const loop = (async () => {
    while (!stop) {
      await Promise.all(handles.map((h) => h.signal('addItem', `during-${sent}`)));
      sent++;
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  return async () => {
    stop = true;
    await loop;
    return sent;
  };
}

async function failedTasks(handles: WorkflowHandle[]): Promise<Array<{ workflowId: string; message?: string | null; cause?: number | null }>> {
  const out = [];
  for (const h of handles) {
    const { events } = await h.fetchHistory();
    for (const e of events ?? []) {
      if (e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED) {
        out.push({ workflowId: h.workflowId, message: e.workflowTaskFailedEventAttributes?.failure?.message, cause: e.workflowTaskFailedEventAttributes?.cause });
      }
    }
  }
  return out;
}

async function timedOutTasks(handles: WorkflowHandle[]): Promise<number> {
  let n = 0;
  for (const h of handles) n += ((await h.fetchHistory()).events ?? []).filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT).length;
  return n;
}

async function finishOn(taskQueues: string[], handles: WorkflowHandle[]): Promise<void> {
  const rest = await testRuntime();
  try {
    for (const taskQueue of taskQueues) await rest.addWorker({ taskQueue, workflowsPath: fixtureWorkflowsPath });
    await Promise.all(handles.map((h) => h.signal('finish')));
    const results = (await Promise.all(handles.map((h) => h.result()))) as string[][];
    for (const items of results) expect(items[0]).toBe('first');
  } finally {
    await rest.shutdown({ graceMs: 5_000 });
  }
}

describe('a clean shutdown keeps histories clean', () => {
  it('the yardstick: the official worker, shut down while its cached runs are signalled, writes no WorkflowTaskFailed', async () => {
    const taskQueue = uniqueTaskQueue('clean-official');
    const official = await startOfficialWorker(taskQueue);
    const handles: WorkflowHandle[] = [];
    for (let i = 0; i < RUNS_PER_QUEUE; i++) {
      const h = await server.client.workflow.start('collector', { taskQueue, workflowId: `${taskQueue}-${i}` });
      await h.signal('addItem', 'first');
      handles.push(h);
    }
    await waitFor(async () => (await Promise.all(handles.map((h) => h.query<string[]>('items')))).every((items) => items.length === 1), 30_000, 'every run past its first signal');
    const stopSignals = keepSignalling(handles);
    await new Promise((r) => setTimeout(r, 300));
    await official.stop();
    await stopSignals();
    await finishOn([taskQueue], handles);
    console.log(`[lifecycle] official worker shutdown: ${(await failedTasks(handles)).length} WorkflowTaskFailed, ${await timedOutTasks(handles)} WorkflowTaskTimedOut`);
    expect(await failedTasks(handles)).toEqual([]);
  });

  it('runtime shutdown with cached runs being signalled: no WorkflowTaskFailed in any history', async () => {
    const queues = [uniqueTaskQueue('clean-a'), uniqueTaskQueue('clean-b')];
    const runtime = await testRuntime();
    let handles: WorkflowHandle[] = [];
    try {
      for (const taskQueue of queues) await runtime.addWorker({ taskQueue, workflowsPath: fixtureWorkflowsPath });
      handles = await startCollectors(runtime, queues);
      const stopSignals = keepSignalling(handles);
      await new Promise((r) => setTimeout(r, 300));
      await runtime.shutdown({ graceMs: 5_000 });
      expect(await stopSignals()).toBeGreaterThan(0);
    } finally {
      await runtime.shutdown({ graceMs: 0 });
    }
    await finishOn(queues, handles);
    console.log(`[lifecycle] runtime shutdown: ${(await failedTasks(handles)).length} WorkflowTaskFailed, ${await timedOutTasks(handles)} WorkflowTaskTimedOut`);
    expect(await failedTasks(handles)).toEqual([]);
  });

  it('removing one worker while another stays on the shared sticky queue: no WorkflowTaskFailed', async () => {
    const [gone, stays] = [uniqueTaskQueue('clean-gone'), uniqueTaskQueue('clean-stays')];
    const runtime = await testRuntime();
    let handles: WorkflowHandle[] = [];
    try {
      const a = await runtime.addWorker({ taskQueue: gone, workflowsPath: fixtureWorkflowsPath });
      await runtime.addWorker({ taskQueue: stays, workflowsPath: fixtureWorkflowsPath });
      handles = await startCollectors(runtime, [gone, stays]);
      const stopSignals = keepSignalling(handles);
      await new Promise((r) => setTimeout(r, 300));
      await runtime.remove(a.id, { graceMs: 5_000 });
      await new Promise((r) => setTimeout(r, 1_000));
      await stopSignals();
      expect(runtime.stickyQueueOf()?.counts.handedBack).toBe(0);
      // The queue that stayed still serves its runs.
      const staying = handles.filter((h) => h.workflowId.startsWith(stays));
      await Promise.all(staying.map((h) => h.signal('finish')));
      await Promise.all(staying.map((h) => h.result()));
    } finally {
      await runtime.shutdown({ graceMs: 5_000 });
    }
    await finishOn([gone], handles.filter((h) => h.workflowId.startsWith(gone)));
    expect(await failedTasks(handles)).toEqual([]);
  });
});
