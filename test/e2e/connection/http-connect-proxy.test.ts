/**
 * NativeConnection's official `proxy` option (HTTP CONNECT): a drop-in worker connected through
 * a proxy runs a workflow, and its traffic went through the proxy's tunnels (with basic auth when given).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NativeConnection, Worker } from '../../../compat/index.js';
import { HttpConnectProxy } from '../../conformance/http-connect-proxy.js';
import { scenarioActivities } from '../../fixtures/workflows/scenario-activities.js';
import { fixtureWorkflowsPath } from '../../helpers/official-worker.js';
import { officialClient, temporalAddress, uniqueTaskQueue } from '../../helpers/temporal.js';

let proxy: HttpConnectProxy;
beforeAll(async () => {
  proxy = await HttpConnectProxy.start();
});
afterAll(() => proxy?.close());

describe('NativeConnection through an HTTP CONNECT proxy', () => {
  it.each([
    ['without auth', undefined, 'unauthedTunnels'],
    ['with basic auth', { username: 'proxy-user', password: 'proxy-pass' }, 'authedTunnels'],
  ] as const)('%s: the worker runs a workflow and its connection is tunnelled', async (_name, basicAuth, counter) => {
    const before = proxy[counter];
    const connection = await NativeConnection.connect({ address: temporalAddress(), proxy: { type: 'http-connect', targetHost: proxy.url, ...(basicAuth && { basicAuth }) } });
    const { client, close } = await officialClient();
    try {
      const taskQueue = uniqueTaskQueue('proxied');
      const worker = await Worker.create({ connection, taskQueue, workflowsPath: fixtureWorkflowsPath, activities: scenarioActivities });
      const result = await worker.runUntil(client.workflow.execute('hello', { taskQueue, workflowId: taskQueue, args: ['Proxy'] }));
      expect(result).toBe('Hello, Proxy!');
      expect(proxy[counter]).toBeGreaterThan(before);
    } finally {
      await close();
      await connection.close();
    }
  });

  it('a wrong proxy password fails the connect', async () => {
    await expect(NativeConnection.connect({ address: temporalAddress(), proxy: { type: 'http-connect', targetHost: proxy.url, basicAuth: { username: 'proxy-user', password: 'wrong' } } })).rejects.toThrow();
  });
});
