/**
 * One worker pair per test file for the Workflow Update scenarios: our runtime and the official
 * worker, each on its own task queue, the same fixtures. Each scenario runs on both; the results,
 * the history shape and replay both ways must agree (as test/e2e/replay/differential.test.ts does
 * for the core scenarios).
 */
import type { Client, WorkflowHandle } from '@temporalio/client';
import proto from '@temporalio/proto';
import { bundleWorkflowCode, DefaultLogger, Worker, type WorkerOptions } from '@temporalio/worker';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect } from 'vitest';
import { Replayer } from '../../../core/replay/index.js';
import type { WorkerEntityInput } from '../../../core/worker/worker-entity-options.js';
import { WorkerEntity } from '../../../core/worker/worker-entity.js';
import type { WorkflowLogRecord } from '../../../sandbox/protocol.js';
import { WorkflowSandbox } from '../../../sandbox/workflow-sandbox.js';
import { startOfficialWorker } from '../../helpers/official-worker.js';
import { uniqueTaskQueue, useServer } from '../../helpers/temporal.js';
import { shapeOf, type Shape } from '../replay/history-shape.js';

type IHistory = proto.temporal.api.history.v1.IHistory;

export const updateWorkflowsPath = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/workflows/updates/index.ts');

/** Drives one scenario on `taskQueue`; returns what both runtimes must agree on and the runs to check. */
export type Scenario = (client: Client, taskQueue: string) => Promise<{ result: unknown; handles: WorkflowHandle[] }>;

export interface PairOptions {
  ours?: Partial<WorkerEntityInput>;
  official?: Partial<WorkerOptions>;
}

export interface UpdatePair {
  readonly client: Client;
  /** Our worker entity (for its status). */
  readonly ours: WorkerEntity;
  /** What workflow code logged on our runtime (`log.*`, and the workflow library's own warnings). */
  readonly workflowLogs: WorkflowLogRecord[];
  /**
   * Runs `scenario` on both workers at once; expects equal results, equal shapes (when `shape` is
   * given), and each runtime's histories to replay on the other's replayer. Returns the histories.
   */
  compare(scenario: Scenario, shape?: Shape): Promise<{ ours: IHistory[]; official: IHistory[]; result: unknown }>;
}

export function useUpdatePair(options: PairOptions = {}): UpdatePair {
  const server = useServer();
  const oursQueue = uniqueTaskQueue('upd-ours');
  const officialQueue = uniqueTaskQueue('upd-official');
  let sandbox: WorkflowSandbox;
  let ours: WorkerEntity;
  let official: { stop: () => Promise<void> };
  let officialBundle: { code: string };
  let replayer: Replayer;
  const workflowLogs: WorkflowLogRecord[] = [];

  beforeAll(async () => {
    // The race scenario keeps a task busy on purpose for about a second: allow it.
    sandbox = await WorkflowSandbox.create({ threads: 2, deadlockTimeoutMs: 5000, maxOldGenerationSizeMb: 64, onWorkflowLog: (r) => workflowLogs.push(r) });
    ours = new WorkerEntity({ taskQueue: oursQueue, workflowsPath: updateWorkflowsPath, ...options.ours }, { connection: server.connection, sandbox });
    [official] = await Promise.all([startOfficialWorker(officialQueue, options.official ?? {}, updateWorkflowsPath), ours.start()]);
    [officialBundle, replayer] = await Promise.all([
      bundleWorkflowCode({ workflowsPath: updateWorkflowsPath, logger: new DefaultLogger('WARN') }),
      Replayer.create({ workflowsPath: updateWorkflowsPath, sandbox }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([ours?.close(), official?.stop()]);
    await replayer?.close();
    await sandbox?.close();
  });

  return {
    get client() {
      return server.client;
    },
    get ours() {
      return ours;
    },
    workflowLogs,
    async compare(scenario, shape) {
      const client = server.client;
      const [a, b] = await Promise.all([scenario(client, oursQueue), scenario(client, officialQueue)]);
      expect(a.result, 'our result vs the official worker').toEqual(b.result);
      const [oursHistories, officialHistories] = await Promise.all([historiesOf(client, a.handles), historiesOf(client, b.handles)]);
      for (const history of oursHistories) await Worker.runReplayHistory({ workflowBundle: officialBundle }, history);
      for (const history of officialHistories) {
        const verdict = await replayer.replay(history);
        expect(verdict.ok ? 'ok' : `${verdict.error.code}: ${verdict.error.message}`).toBe('ok');
      }
      // Ours replayed by ours too: the path a cache miss takes.
      for (const history of oursHistories) {
        const verdict = await replayer.replay(history);
        expect(verdict.ok ? 'ok' : `${verdict.error.code}: ${verdict.error.message}`).toBe('ok');
      }
      if (shape) expect(oursHistories.map((h) => shapeOf(h, shape))).toEqual(officialHistories.map((h) => shapeOf(h, shape)));
      // No workflow task may have failed on either side (a failed task is retried and would hide a bug).
      expect(countEvents(oursHistories, EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED), 'failed workflow tasks (ours)').toBe(0);
      expect(countEvents(officialHistories, EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED), 'failed workflow tasks (official)').toBe(0);
      return { ours: oursHistories, official: officialHistories, result: a.result };
    },
  };
}

/** Histories of every run of each workflow, following continue-as-new from the first run. */
async function historiesOf(client: Client, handles: WorkflowHandle[]): Promise<IHistory[]> {
  const histories: IHistory[] = [];
  for (const h of handles) {
    let runId: string | undefined = (h as { firstExecutionRunId?: string }).firstExecutionRunId ?? (await h.describe()).runId;
    while (runId) {
      const history = await client.workflow.getHandle(h.workflowId, runId).fetchHistory();
      histories.push(history);
      runId = history.events?.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
    }
  }
  return histories;
}

const EventType = proto.temporal.api.enums.v1.EventType;

/** How many events of `type` a set of histories holds. */
export function countEvents(histories: IHistory[], type: number): number {
  return histories.reduce((n, h) => n + (h.events ?? []).filter((e) => e.eventType === type).length, 0);
}

export { EventType };
