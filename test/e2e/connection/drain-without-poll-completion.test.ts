/**
 * Drain on a server without `workerPollCompleteOnShutdown` (ShutdownWorker leaves open polls
 * open there) and with the stock 60 s long-poll interval, as the conformance suite's servers and
 * servers before 1.32 run: polls carry `uncompletedPollTimeoutMs`, the server ends them itself,
 * and a drain neither waits out a long poll nor cancels one.
 */
import { Client, Connection as ClientConnection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Connection, ServiceCallError } from '../../../core/connection/connection.js';
import { devServerDefaults, TemporalDevServer } from '../../../core/dev-server/temporal-dev-server.js';
import { WorkerEntity } from '../../../core/worker/worker-entity.js';
import { fixtureWorkflowsPath } from '../../helpers/official-worker.js';
import { uniqueTaskQueue, waitFor } from '../../helpers/temporal.js';
import path from 'node:path';
import { scenarioActivities } from '../../fixtures/workflows/scenario-activities.js';

let server: TemporalDevServer;
let client: Client;
let closeClient: () => Promise<void>;

beforeAll(async () => {
  const { 'matching.longPollExpirationInterval': _stockInterval, ...dynamicConfig } = devServerDefaults.dynamicConfig;
  server = await TemporalDevServer.start({ dynamicConfig: { ...dynamicConfig, 'frontend.enableCancelWorkerPollsOnShutdown': false } });
  const connection = await ClientConnection.connect({ address: server.address });
  client = new Client({ connection, namespace: 'default' });
  closeClient = () => connection.close();
}, 90_000);
afterAll(async () => {
  await closeClient?.();
  await server?.stop();
});

/** Our connection, recording how every long poll that ended after `since()` ended. */
async function recordingConnection(): Promise<{ connection: Connection; endings: string[]; mark: () => void }> {
  const connection = await Connection.connect({ address: server.address, namespace: 'default' });
  const endings: string[] = [];
  let marked = false;
  const call = connection.call.bind(connection);
  connection.call = (async (method, request, opts) => {
    try {
      const res = await call(method, request, opts);
      if (marked && opts?.longPoll) endings.push('answered');
      return res;
    } catch (err) {
      if (marked && opts?.longPoll) endings.push(err instanceof ServiceCallError ? err.code : String(err));
      throw err;
    }
  }) as Connection['call'];
  return { connection, endings, mark: () => (marked = true) };
}

describe('drain on a server without workerPollCompleteOnShutdown', () => {
  it('the namespace lacks the capability, and polls get the short deadline', async () => {
    const connection = await Connection.connect({ address: server.address, namespace: 'default' });
    try {
      expect(connection.pollCompleteOnShutdown).toBe(false);
      expect(connection.longPollDeadlineMs).toBe(3_000);
    } finally {
      await connection.close();
    }
  });

  it('an idle entity drains once its polls are answered by the server, cancelling none', async () => {
    const { connection, endings, mark } = await recordingConnection();
    const entity = new WorkerEntity({ taskQueue: uniqueTaskQueue('idle-drain'), workflowsPath: fixtureWorkflowsPath, activities: scenarioActivities }, { connection });
    try {
      await entity.start();
      await waitFor(() => entity.status().pollers.workflow > 0 && entity.status().pollers.activity > 0, 10_000, 'open polls');
      // Polls opened well before the drain, so a 60 s long poll would still be open.
      await new Promise((r) => setTimeout(r, 1_000));
      mark();
      const started = performance.now();
      await entity.drain();
      const drainMs = performance.now() - started;
      expect(entity.state).toBe('DRAINED');
      // The old drain waited 5 s and then aborted its polls 3 s later; the server answers these
      // within 2 s of their start. Slack for a loaded machine.
      expect(drainMs).toBeLessThan(4_500);
      expect(endings.length).toBeGreaterThan(0);
      expect(endings.filter((e) => e !== 'answered')).toEqual([]);
    } finally {
      await entity.close();
      await connection.close();
    }
  });

  it('a busy entity drained mid-run loses no task: another entity finishes every run with no task timed out', async () => {
    const taskQueue = uniqueTaskQueue('busy-drain');
    const { connection, endings, mark } = await recordingConnection();
    const first = new WorkerEntity({ taskQueue, workflowsPath: fixtureWorkflowsPath, activities: scenarioActivities }, { connection });
    await first.start();
    const handles = await Promise.all(
      Array.from({ length: 5 }, (_, i) => client.workflow.start('sequentialActivities', { taskQueue, workflowId: `${taskQueue}-${i}`, args: [30], workflowTaskTimeout: '5s' })),
    );
    let second: WorkerEntity | undefined;
    try {
      await waitFor(async () => ((await handles[0]!.fetchHistory()).events?.length ?? 0) > 20, 20_000, 'runs under way');
      mark();
      await first.drain();
      expect(endings.filter((e) => e !== 'answered')).toEqual([]);
      second = new WorkerEntity({ taskQueue, workflowsPath: fixtureWorkflowsPath, activities: scenarioActivities }, { connection });
      await second.start();
      const results = await Promise.all(handles.map((h) => h.result()));
      expect(results).toEqual([30, 30, 30, 30, 30]);
      for (const h of handles) {
        const events = (await h.fetchHistory()).events ?? [];
        const timedOut = events.filter((e) => e.workflowTaskTimedOutEventAttributes || e.activityTaskTimedOutEventAttributes || e.workflowTaskFailedEventAttributes);
        expect(timedOut, `${h.workflowId}: a task timed out or failed`).toEqual([]);
      }
    } finally {
      await first.close();
      await second?.close();
      await connection.close();
    }
  }, 120_000);

  it("cached runs are handed back: their next tasks do not wait on the drained worker's sticky queue", async () => {
    const taskQueue = uniqueTaskQueue('sticky-handback');
    const connection = await Connection.connect({ address: server.address, namespace: 'default' });
    const stickyTimeoutMs = 2_000;
    const entity = new WorkerEntity(
      { taskQueue, workflowsPath: path.resolve('test/fixtures/workflows/drain/timer-loop.ts'), activities: { noop: async () => undefined }, stickyQueueScheduleToStartTimeoutMs: stickyTimeoutMs },
      { connection },
    );
    await entity.start();
    const handles = await Promise.all(Array.from({ length: 5 }, (_, i) => client.workflow.start('timerLoop', { taskQueue, workflowId: `${taskQueue}-${i}` })));
    try {
      await waitFor(async () => ((await handles[0]!.fetchHistory()).events?.length ?? 0) > 30, 20_000, 'runs under way');
      await entity.drain();
      // Without the hand-back, every run's next task sat on the sticky queue and timed out
      // (ScheduleToStart) after stickyTimeoutMs; no worker polls now, so nothing else can happen.
      await new Promise((r) => setTimeout(r, stickyTimeoutMs * 2));
      for (const h of handles) {
        const events = (await h.fetchHistory()).events ?? [];
        expect(events.filter((e) => e.workflowTaskTimedOutEventAttributes || e.workflowTaskFailedEventAttributes), h.workflowId).toEqual([]);
      }
    } finally {
      await Promise.all(handles.map((h) => h.terminate('test done').catch(() => undefined)));
      await entity.close();
      await connection.close();
    }
  }, 60_000);
});
