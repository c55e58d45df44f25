/**
 * `transport: 'http2'` (core/connection/http2-transport.ts) against the real server: the same
 * calls and errors as through grpc-js. The TLS, outage and activity suites also pass with
 * `TEMPO_GRPC_TRANSPORT=http2`, which makes it every connection's default.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@temporalio/client';
import { Connection } from '../../../core/connection/connection.js';
import { temporal } from '../../../core/connection/proto.js';
import { WorkerEntity } from '../../../core/worker/worker-entity.js';
import { fixtureWorkflowsPath } from '../../helpers/official-worker.js';
import { officialClient, temporalAddress, uniqueTaskQueue } from '../../helpers/temporal.js';
import { scenarioActivities } from '../../fixtures/workflows/scenario-activities.js';

let client: Client;
let closeClient: () => Promise<void>;
let connection: Connection;
beforeAll(async () => {
  ({ client, close: closeClient } = await officialClient());
  connection = await Connection.connect({ address: temporalAddress(), transport: 'http2' });
});
afterAll(async () => {
  await connection?.close();
  await closeClient?.();
});

const poll = (taskQueue: string) => ({ namespace: 'default', taskQueue: { name: taskQueue, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL }, identity: 'http2-test' });

describe("transport: 'http2'", () => {
  it('a worker entity runs workflows and activities over it', async () => {
    const taskQueue = uniqueTaskQueue('http2');
    const entity = new WorkerEntity({ taskQueue, workflowsPath: fixtureWorkflowsPath, activities: scenarioActivities }, { connection });
    try {
      await entity.start();
      const results = await Promise.all(['a', 'b', 'c'].map((n) => client.workflow.execute('hello', { taskQueue, workflowId: `${taskQueue}-${n}`, args: [n] })));
      expect(results).toEqual(['Hello, a!', 'Hello, b!', 'Hello, c!']);
    } finally {
      await entity.close();
    }
  });

  it("reports the server's gRPC status and message (a trailers-only answer)", async () => {
    await expect(connection.call('describeNamespace', { namespace: 'no-such-namespace-http2' })).rejects.toMatchObject({ code: 'GRPC_NOT_FOUND', details: expect.stringContaining('no-such-namespace-http2') });
    await expect(Connection.connect({ address: temporalAddress(), namespace: 'no-such-namespace-http2', transport: 'http2' })).rejects.toMatchObject({ code: 'NAMESPACE_NOT_FOUND' });
  });

  it('a long poll ends CANCELLED on abort, and the connection serves the next call', async () => {
    const taskQueue = uniqueTaskQueue('http2-idle');
    const abort = new AbortController();
    const pending = connection.call('pollActivityTaskQueue', poll(taskQueue), { longPoll: true, signal: abort.signal });
    setTimeout(() => abort.abort(), 100);
    await expect(pending).rejects.toMatchObject({ code: 'GRPC_CANCELLED' });
    expect((await connection.call('getSystemInfo', {})).serverVersion).toBeTruthy();
  });

  it('an unreachable address fails UNAVAILABLE, named on connect', async () => {
    await expect(Connection.connect({ address: '127.0.0.1:1', transport: 'http2', connectTimeoutMs: 2_000 })).rejects.toMatchObject({ code: 'CONNECTION_UNREACHABLE', message: expect.stringContaining('UNAVAILABLE') });
  });

  it('close() ends the calls in flight', async () => {
    const own = await Connection.connect({ address: temporalAddress(), transport: 'http2' });
    const pending = own.call('pollActivityTaskQueue', poll(uniqueTaskQueue('http2-close')), { longPoll: true });
    await new Promise((r) => setTimeout(r, 100));
    await own.close();
    await expect(pending).rejects.toMatchObject({ code: expect.stringMatching(/^GRPC_(CANCELLED|UNAVAILABLE)$/) });
  });
});
