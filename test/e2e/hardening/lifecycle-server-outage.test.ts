/**
 * A server outage longer than the connection's fixed retries (~21 s) loses no activity result:
 * answers are retried until the attempt's own deadline. A server of its own, with its state in a
 * SQLite file, is stopped for 60 s while 50 activities run and restarted on the same port; every
 * workflow completes with its first attempt's result.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection as ClientConnection } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { Context } from '@temporalio/activity';
import { Connection } from '../../../core/connection/connection.js';
import { freePort, TemporalDevServer } from '../../../core/dev-server/temporal-dev-server.js';
import { WorkerEntity } from '../../../core/worker/worker-entity.js';
import { fixtureWorkflowsPath } from '../../helpers/official-worker.js';
import { silentLogger } from '../../helpers/runtime.js';
import { uniqueTaskQueue, waitFor } from '../../helpers/temporal.js';

const WORKFLOWS = 50;
const OUTAGE_MS = 60_000;

async function withClient<T>(address: string, fn: (client: Client) => Promise<T>): Promise<T> {
  const conn = await ClientConnection.connect({ address });
  try {
    return await fn(new Client({ connection: conn }));
  } finally {
    await conn.close();
  }
}

describe('a long server outage', () => {
  it(`${WORKFLOWS} activities finishing during a ${OUTAGE_MS / 1000} s outage: every result reaches the server once it is back`, async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tempo-outage-'));
    const dbFilename = path.join(dir, 'temporal.db');
    const port = await freePort();
    let server = await TemporalDevServer.start({ port, dbFilename });
    // Default retry options: before, an answer gave up after 10 attempts (~21 s).
    const connection = await Connection.connect({ address: server.address });
    const taskQueue = uniqueTaskQueue('outage-60s');
    // Every activity waits for the gate, opened once the server is down: all 50 are in flight at
    // the stop however slowly a loaded machine schedules them, and all finish during the outage.
    let openGate = (): void => undefined;
    const gate = new Promise<void>((r) => (openGate = r));
    const sleepy = async (i: number) => {
      await gate;
      return { i, attempt: Context.current().info.attempt };
    };
    const entity = new WorkerEntity({ taskQueue, workflowsPath: fixtureWorkflowsPath, activities: { sleepy } }, { connection, logger: silentLogger });
    await entity.start();
    try {
      const ids = [...Array(WORKFLOWS)].map((_, i) => `${taskQueue}-${i}`);
      await withClient(server.address, (client) =>
        Promise.all(ids.map((workflowId, i) => client.workflow.start('callActivity', { taskQueue, workflowId, args: ['sleepy', [i], { startToCloseTimeout: '150s' }] }))),
      );
      await waitFor(() => entity.status().activity.slotsUsed === WORKFLOWS, 60_000, `${WORKFLOWS} activities in flight`);
      // They all finish while the server is down.
      await server.stop();
      openGate();
      await new Promise((r) => setTimeout(r, OUTAGE_MS));
      expect(entity.state).toBe('RUNNING');
      expect(entity.status().activity.slotsUsed).toBe(WORKFLOWS); // still answering
      server = await TemporalDevServer.start({ port, dbFilename });
      const results = await withClient(server.address, (client) => Promise.all(ids.map((id) => client.workflow.getHandle(id).result())));
      expect(results).toEqual(ids.map((_, i) => ({ i, attempt: 1 })));
      expect(entity.status().activity).toMatchObject({ completed: WORKFLOWS, failed: 0 });
      expect(entity.state).toBe('RUNNING');
    } finally {
      await entity.close();
      await connection.close();
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});
