/**
 * `worker.getStatus()` and `worker.connection` of the drop-in facade against the official
 * worker's, on the real server, with the same options: while a heartbeating activity runs, and
 * after shutdown.
 */
import type { Client } from '@temporalio/client';
import { NativeConnection as OfficialConnection, Worker as OfficialWorker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NativeConnection, Worker } from '../../../compat/index.js';
import { fixtureWorkflowsPath, installOfficialRuntime } from '../../helpers/official-worker.js';
import { officialClient, temporalAddress, uniqueTaskQueue, waitFor } from '../../helpers/temporal.js';

let client: Client;
let closeClient: () => Promise<void>;
beforeAll(async () => {
  installOfficialRuntime('ERROR');
  ({ client, close: closeClient } = await officialClient());
});
afterAll(() => closeClient?.());

/** The fields compared while the activity runs (poll presence is timing, the rest is not). */
interface Seen {
  running: Record<string, unknown>;
  stopped: Record<string, unknown>;
  sameConnection: boolean;
}

async function observe(side: 'official' | 'ours'): Promise<Seen> {
  const taskQueue = uniqueTaskQueue(`status-${side}`);
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let heartbeats = 0;
  const activities = {
    async waitsHeartbeating(): Promise<string> {
      const { Context } = await import('@temporalio/activity');
      Context.current().heartbeat('started');
      heartbeats++;
      await gate;
      return 'released';
    },
  };
  const Impl = side === 'official' ? { W: OfficialWorker, C: OfficialConnection } : { W: Worker, C: NativeConnection };
  const connection = await Impl.C.connect({ address: temporalAddress() });
  // `as never`: the same official options object for both workers.
  const worker = await Impl.W.create({ connection, taskQueue, workflowsPath: fixtureWorkflowsPath, activities, maxCachedWorkflows: 10 } as never);
  const w = worker as unknown as { getStatus(): Record<string, unknown>; connection: unknown; shutdown(): void; run(): Promise<void> };
  const running = w.run();
  const handle = await client.workflow.start('callActivity', { taskQueue, workflowId: taskQueue, args: ['waitsHeartbeating', [], { startToCloseTimeout: '30s', heartbeatTimeout: '20s' }] });
  await waitFor(() => heartbeats === 1, 20_000, 'the activity heartbeating');
  await waitFor(() => w.getStatus().numHeartbeatingActivities === 1, 5_000, 'the heartbeat counted');
  const { hasOutstandingWorkflowPoll: _w, hasOutstandingActivityPoll: _a, ...during } = w.getStatus();
  release();
  expect(await handle.result()).toBe('released');
  w.shutdown();
  await running;
  const { hasOutstandingWorkflowPoll, hasOutstandingActivityPoll, ...after } = w.getStatus();
  const sameConnection = w.connection === connection;
  await connection.close();
  return { running: during, stopped: { ...after, hasOutstandingWorkflowPoll, hasOutstandingActivityPoll }, sameConnection };
}

describe('worker.getStatus() (real server)', () => {
  it('reports what the official worker reports while an activity heartbeats and after shutdown', async () => {
    const official = await observe('official');
    const ours = await observe('ours');
    expect(official.running).toMatchObject({ runState: 'RUNNING', numInFlightActivities: 1, numInFlightNonLocalActivities: 1, numHeartbeatingActivities: 1, numCachedWorkflows: 1 });
    expect(ours).toEqual(official);
  }, 90_000);
});
