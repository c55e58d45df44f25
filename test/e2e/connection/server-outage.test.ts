import { Client, Connection as ClientConnection } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { Connection } from '../../../core/connection/connection.js';
import { freePort, TemporalDevServer } from '../../../core/dev-server/temporal-dev-server.js';
import { WorkerEntity } from '../../../core/worker/worker-entity.js';
import { fixtureWorkflowsPath } from '../../helpers/official-worker.js';
import { uniqueTaskQueue } from '../../helpers/temporal.js';

// A server of its own: this test stops and restarts it, which the shared one must never see.
describe('a server that goes away', () => {
  it('the entity keeps polling with backoff, never fails, and serves again once the server is back', async () => {
    const port = await freePort();
    let server = await TemporalDevServer.start({ port });
    const connection = await Connection.connect({ address: server.address, retry: { maxIntervalMs: 500 } });
    const taskQueue = uniqueTaskQueue('outage');
    const entity = new WorkerEntity({ taskQueue, workflowsPath: fixtureWorkflowsPath, activities: { greet: async (n: string) => `Hello, ${n}!` } }, { connection, logger: silent });
    await entity.start();
    const run = async (name: string) => {
      const conn = await ClientConnection.connect({ address: server.address });
      try {
        return await new Client({ connection: conn }).workflow.execute('hello', { taskQueue, workflowId: `${taskQueue}-${name}`, args: [name] });
      } finally {
        await conn.close();
      }
    };
    try {
      expect(await run('before')).toBe('Hello, before!');
      await server.stop();
      await new Promise((r) => setTimeout(r, 2_000));
      expect(entity.state).toBe('RUNNING');
      server = await TemporalDevServer.start({ port });
      expect(await run('after')).toBe('Hello, after!');
      expect(entity.state).toBe('RUNNING');
    } finally {
      await entity.close();
      await connection.close();
      await server.stop();
    }
  }, 90_000);
});

const noop = () => undefined;
const silent = { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: noop };
