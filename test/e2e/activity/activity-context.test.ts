import { Context } from '@temporalio/activity';
import { describe, expect, it } from 'vitest';
import { sandboxApiWorkflowsPath as workflowsPath } from '../../helpers/sandbox.js';
import { testRuntime } from '../../helpers/runtime.js';
import { uniqueTaskQueue, useServer } from '../../helpers/temporal.js';

const server = useServer();

const activities = {
  /** Starts and signals another workflow with the activity's own client, and returns its result. */
  async startOther(otherId: string): Promise<string> {
    const { client, info } = Context.current();
    const handle = await client.workflow.start('waitsForRelease', { taskQueue: info.taskQueue, workflowId: otherId });
    await handle.signal('release');
    return handle.result();
  },
  async countIt(): Promise<string> {
    const { metricMeter } = Context.current();
    metricMeter.createCounter('tempo_test_activity_calls', 'calls', 'Calls of countIt').add(2, { color: 'red' });
    metricMeter.createHistogram('tempo_test_activity_size').record(7);
    metricMeter.withTags({ shade: 'dark' }).createGauge('tempo_test_activity_level', 'float').set(0.5);
    return 'counted';
  },
};

describe('the activity Context: client and metricMeter', () => {
  it('Context.current().client starts and signals another workflow; metricMeter counters, histograms and gauges show on /metrics', async () => {
    const runtime = await testRuntime({ plugins: [{ module: 'builtin:prometheus' }], sandbox: { threads: 1 } });
    const taskQueue = uniqueTaskQueue('context');
    try {
      await runtime.addWorker({ taskQueue, workflowsPath, activities });
      const otherId = `${taskQueue}-other`;
      expect(await server.client.workflow.execute('startsOther', { taskQueue, workflowId: taskQueue, args: [otherId] })).toBe('released');
      const other = await server.client.workflow.getHandle(otherId).describe();
      expect(other.status.name).toBe('COMPLETED');
      expect(other.type).toBe('waitsForRelease');

      expect(await server.client.workflow.execute('countsMetric', { taskQueue, workflowId: `${taskQueue}-metrics` })).toBe('counted');
      const body = (await runtime.scrapeMetrics())!.body;
      const base = `namespace="default",taskQueue="${taskQueue}",activityType="countIt"`;
      expect(body).toContain(`tempo_test_activity_calls{${base},color="red",service_name="temporal-core-sdk"} 2`);
      expect(body).toContain(`tempo_test_activity_size_count{${base},service_name="temporal-core-sdk"} 1`);
      expect(body).toContain(`tempo_test_activity_size_sum{${base},service_name="temporal-core-sdk"} 7`);
      expect(body).toContain(`tempo_test_activity_level{${base},shade="dark",service_name="temporal-core-sdk"} 0.5`);
      expect(body).toContain(`tempo_test_workflow_calls{namespace="default",taskQueue="${taskQueue}",workflowType="countsMetric",service_name="temporal-core-sdk"} 1`);
    } finally {
      await runtime.shutdown({ graceMs: 5_000 });
    }
  });
});
