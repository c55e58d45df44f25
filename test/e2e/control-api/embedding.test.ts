/** The embedding examples: an existing service creates a Runtime and mounts the control API. */
import { describe, expect, it } from 'vitest';
import { createHonoHost } from '../../../examples/embedding/hono-host.js';
import { startNodeHttpHost } from '../../../examples/embedding/node-http-host.js';
import { startOfficialWorker } from '../../helpers/official-worker.js';
import { silentLogger, json } from '../../helpers/runtime.js';
import { officialClient, temporalAddress, uniqueTaskQueue } from '../../helpers/temporal.js';

describe('embedding', () => {
  it('a plain node:http service mounts the API under /temporal; its worker runs an activity that injects the host DB', async () => {
    const taskQueue = uniqueTaskQueue('embed-http');
    const host = await startNodeHttpHost({ temporalAddress: temporalAddress(), taskQueue, token: 'embed-token-0123456789', logger: silentLogger });
    const official = await startOfficialWorker(taskQueue);
    const { client, close } = await officialClient();
    try {
      expect(await json(await fetch(`${host.url}/orders/o-1`))).toEqual({ id: 'o-1', status: 'shipped' });
      const list = await json(await fetch(`${host.url}/temporal/workers`));
      expect(list.workers).toEqual([expect.objectContaining({ taskQueue, activityPlugins: ['orders'], state: 'RUNNING' })]);
      expect((await fetch(`${host.url}/temporal/workers/${list.workers[0].id}/pause`, { method: 'POST' })).status).toBe(401);
      const result = await client.workflow.execute('callActivity', { taskQueue, workflowId: taskQueue, args: ['orderStatus', ['o-1']] });
      expect(result).toBe('shipped');
      expect(await (await fetch(`${host.url}/temporal/metrics`)).text()).toContain(`temporal_activity_execution_latency_count{service_name="temporal-core-sdk",namespace="default",task_queue="${taskQueue}",activity_type="orderStatus",workflow_type="callActivity"} 1`);
    } finally {
      await close();
      await official.stop();
      await host.close();
    }
    expect(host.runtime.isShuttingDown).toBe(true);
  });

  it('a Hono service mounts the API with app.route()', async () => {
    const taskQueue = uniqueTaskQueue('embed-hono');
    const { app, runtime } = await createHonoHost({ temporalAddress: temporalAddress(), token: 'embed-token-0123456789', taskQueue, logger: silentLogger });
    try {
      expect(await (await app.request('/')).text()).toBe('the host service');
      const { workers } = await json(await app.request('/ops/temporal/workers'));
      expect(workers).toEqual([expect.objectContaining({ taskQueue, activities: ['greet'] })]);
      const doc = await json(await app.request('/ops/temporal/openapi.json'));
      expect(doc.servers).toEqual([{ url: '/ops/temporal' }]);
    } finally {
      await runtime.shutdown({ graceMs: 0 });
    }
  });
});
