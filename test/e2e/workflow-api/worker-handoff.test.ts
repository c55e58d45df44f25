/**
 * A run moves between the official worker and ours while it waits (real server), so the second
 * worker replays history the first one wrote: search attribute and memo upserts, and events no
 * worker acts on (WorkflowExecutionOptionsUpdated, from UpdateWorkflowExecutionOptions).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import proto from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Connection } from '../../../core/connection/connection.js';
import { Replayer } from '../../../core/replay/index.js';
import { WorkerEntity } from '../../../core/worker/worker-entity.js';
import { WorkflowSandbox } from '../../../sandbox/workflow-sandbox.js';
import { officialBundle, startOfficialWorker } from '../../helpers/official-worker.js';
import { officialClient, ourConnection, uniqueTaskQueue, waitFor } from '../../helpers/temporal.js';
import type { Client } from '@temporalio/client';

const EventType = proto.temporal.api.enums.v1.EventType;
const workflowsPath = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/workflows/workflow-api/search-attributes.ts');

let client: Client;
let closeClient: () => Promise<void>;
let connection: Connection;
let sandbox: WorkflowSandbox;
let bundle: { code: string };
let replayer: Replayer;

beforeAll(async () => {
  ({ client, close: closeClient } = await officialClient());
  connection = await ourConnection();
  sandbox = await WorkflowSandbox.create({ threads: 1, deadlockTimeoutMs: 2000, maxOldGenerationSizeMb: 64 });
  bundle = await officialBundle(workflowsPath);
  replayer = await Replayer.create({ workflowsPath, sandbox });
});
afterAll(async () => {
  await replayer?.close();
  await sandbox?.close();
  await closeClient?.();
  await connection?.close();
});

type Side = 'official' | 'ours';

async function startWorker(side: Side, taskQueue: string): Promise<() => Promise<void>> {
  if (side === 'official') return (await startOfficialWorker(taskQueue, { workflowBundle: bundle }, workflowsPath)).stop;
  const entity = new WorkerEntity({ taskQueue, workflowsPath, activities: {} }, { connection, sandbox });
  await entity.start();
  return () => entity.close();
}

describe('a run moves between workers mid-flight (real server)', () => {
  it.each<[Side, Side]>([
    ['official', 'ours'],
    ['ours', 'official'],
  ])('started on %s, finished on %s: upserts and an options update replay, the result is whole', async (first, second) => {
    const taskQueue = uniqueTaskQueue('handoff');
    const stopFirst = await startWorker(first, taskQueue);
    const handle = await client.workflow.start('upsertsAcrossWorkers', { taskQueue, workflowId: `${taskQueue}-wf` });
    await waitFor(async () => (await handle.describe()).memo?.['step'] === 1, 20_000, 'the first upserts');
    // An event no worker acts on, written while the run waits.
    await client.workflowService.updateWorkflowExecutionOptions({
      namespace: 'default',
      workflowExecution: { workflowId: handle.workflowId },
      workflowExecutionOptions: { priority: { priorityKey: 2 } },
      updateMask: { paths: ['priority'] },
    });
    await stopFirst();
    const stopSecond = await startWorker(second, taskQueue);
    try {
      await handle.signal('proceed');
      expect(await handle.result()).toMatchObject({ memo: { step: 2 }, searchAttributes: { CustomKeywordField: ['first worker'], CustomIntField: [2] } });
    } finally {
      await stopSecond();
    }
    const history = await handle.fetchHistory();
    const types = (history.events ?? []).map((e) => e.eventType);
    expect(types).toContain(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_OPTIONS_UPDATED);
    expect(types).not.toContain(EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED);
    // Both replayers accept the history the two workers wrote together.
    await Worker.runReplayHistory({ workflowBundle: bundle }, history, handle.workflowId);
    const replayed = await replayer.replay(history);
    expect(replayed.ok ? 'ok' : `${replayed.error.code}: ${replayed.error.message}`).toBe('ok');
  });
});
